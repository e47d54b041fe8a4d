"""HTML to PDF: the Jinja2 templates in ``templates/print/`` laid out by WeasyPrint.

One function per kind of file (``channels.print_catalogue.pages`` builds what they show):
the body's parts, the front matter and the index all go through ``render_pdf``, which
fixes the profile's rules:

- "print": A4 with 3 mm bleed and crop marks, PDF/X-4 with the FOGRA39 CMYK output intent.
  The profile reaches WeasyPrint as a ``data:`` URL built here from the package's own file,
  so the fetcher reads nothing more than before. Every colour of the stylesheet is a
  ``device-cmyk()`` one (``PALETTES``), and images are CMYK (``images``).
- "screen": A4, PDF/A-2b (sRGB output intent), RGB colours, clickable links.

Fonts are DejaVu, which WeasyPrint embeds (subset) in every file.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from functools import cache
from typing import Any, BinaryIO

import jinja2
import pydyf
import qrcode
import qrcode.image.svg
import weasyprint
from django.utils.translation import gettext
from markupsafe import Markup

from channels.documents import DocumentSpec
from core.jinja import template_environment

from .images import ImagePreparer, PreparedFetcher, cmyk_profile_bytes

_TEMPLATE_DIR = "print"

PDF_VARIANTS = {"print": "pdf/x-4", "screen": "pdf/a-2b"}

# The stylesheet's colours per profile: process colours (CMYK) for print, sRGB for screen.
PALETTES: dict[str, dict[str, str]] = {
    "print": {
        "text": "device-cmyk(0 0 0 1)",
        "muted": "device-cmyk(0 0 0 0.65)",
        "rule": "device-cmyk(0 0 0 0.25)",
        "tint": "device-cmyk(0 0 0 0.06)",
        "accent": "device-cmyk(1 0.5 0 0.1)",
        "paper": "device-cmyk(0 0 0 0)",
    },
    "screen": {
        "text": "#1a1a1a",
        "muted": "#555555",
        "rule": "#bfbfbf",
        "tint": "#f0f0f0",
        "accent": "#0b5394",
        "paper": "#ffffff",
    },
}
QR_FILL = {"print": "device-cmyk(0 0 0 1)", "screen": "#000000"}


@cache
def environment() -> jinja2.Environment:
    """The catalogue's Jinja2 environment, one per process, with its filters."""
    env = template_environment(_TEMPLATE_DIR)
    env.filters["css_string"] = css_string
    env.globals["_"] = gettext
    return env


def css_string(value: object) -> Markup:
    """``value`` as a quoted CSS string in which only letters, digits and spaces stay
    literal, so no text can end the string or the ``<style>`` element."""
    escaped = "".join(
        # The space after an escape ends it and is not part of the text.
        char if char.isalnum() or char == " " else f"\\{ord(char):x} "
        for char in str(value)
    )
    return Markup(f'"{escaped}"')  # noqa: S704 (all but letters, digits, spaces escaped)


@cache
def cmyk_profile_url() -> str:
    data = base64.b64encode(cmyk_profile_bytes()).decode("ascii")
    return f"data:application/vnd.iccprofile;base64,{data}"


def qr_data_url(url: str, *, profile: str) -> str:
    """A QR code of ``url`` as a vector (SVG) ``data:`` URL, in the profile's black."""
    code = qrcode.QRCode(border=0, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(url)
    code.make(fit=True)
    svg = code.make_image(image_factory=qrcode.image.svg.SvgPathImage).to_string(encoding="unicode")
    svg = svg.replace('fill="#000000"', f'fill="{QR_FILL[profile]}"', 1)
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode("ascii")


_RGB_GREY = re.compile(rb"^(\S+) \1 \1 (rg|RG)$")


def _greys_to_black_ink(document, pdf) -> None:
    """WeasyPrint draws the crop marks (and nothing else of ours) in DeviceRGB black,
    which PDF/X-4 with a CMYK intent forbids: every RGB grey becomes black ink (K)."""
    for pdf_object in pdf.objects:
        if not isinstance(pdf_object, pydyf.Stream):
            continue
        for position, item in enumerate(pdf_object.stream):
            if isinstance(item, bytes) and (match := _RGB_GREY.match(item)):
                black = 1 - float(match.group(1))
                operator = b"k" if match.group(2) == b"rg" else b"K"
                pdf_object.stream[position] = b"0 0 0 %s %s" % (f"{black:g}".encode(), operator)


@dataclass
class Rendered:
    """A laid-out document and the PDF written from it."""

    document: Any  # weasyprint.Document
    pages: int


def render_pdf(
    template: str,
    context: dict[str, Any],
    *,
    spec: DocumentSpec,
    preparer: ImagePreparer,
    out: BinaryIO,
) -> Rendered:
    """Render ``template`` with ``context`` into ``out`` as the profile's PDF variant."""
    profile = spec.profile if spec.profile in PDF_VARIANTS else "screen"
    html = (
        environment()
        .get_template(template)
        .render(
            profile=profile,
            colours=PALETTES[profile],
            icc_url=cmyk_profile_url() if profile == "print" else "",
            spec=spec,
            **context,
        )
    )
    fetcher = PreparedFetcher(preparer, base_url=preparer.fetcher.base_url)
    document = weasyprint.HTML(string=html, base_url=fetcher.base_url, url_fetcher=fetcher).render()
    document.write_pdf(
        out,
        pdf_variant=PDF_VARIANTS[profile],
        finisher=_greys_to_black_ink if profile == "print" else None,
    )
    return Rendered(document=document, pages=len(document.pages))

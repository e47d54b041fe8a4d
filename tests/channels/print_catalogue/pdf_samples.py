"""WeasyPrint-made PDFs as the catalogue's parts are, and ways to spoil them, for the tests
of assembling, checking and previewing."""

from __future__ import annotations

import base64
import io
from collections.abc import Callable, Sequence
from pathlib import Path

import weasyprint
from PIL import Image
from pypdf import PdfReader, PdfWriter

ICC = Path(__file__).resolve().parents[3] / "channels/print_catalogue/icc/FOGRA39L.icc"

PRINT_CSS = """
@color-profile device-cmyk {
  src: url(data:application/vnd.iccprofile;base64,%s);
  components: c, m, y, k;
}
@page { size: A4; bleed: 3mm; %s }
body { font-family: 'DejaVu Sans'; color: device-cmyk(0 0 0 1); }
a { color: device-cmyk(1 0.5 0 0); }
h1 { bookmark-level: 1; color: device-cmyk(0 1 1 0); break-before: page; }
h1:first-child { break-before: auto; }
"""
SCREEN_CSS = """
@page { size: A4; }
body { font-family: 'DejaVu Sans'; color: #000; }
h1 { bookmark-level: 1; color: #0050a0; break-before: page; }
h1:first-child { break-before: auto; }
"""


def print_css(*, marks: bool = False) -> str:
    profile = base64.b64encode(ICC.read_bytes()).decode()
    return PRINT_CSS % (profile, "marks: crop;" if marks else "")


def part_html(chapters: Sequence[str], *, css: str, anchor: str = "", extra: str = "") -> str:
    """A part: a page per chapter (a bookmark each), text, a web link, and a link to the
    last chapter (id ``anchor``) when given."""
    body = []
    for index, chapter in enumerate(chapters):
        last = index == len(chapters) - 1
        ident = f" id='{anchor}'" if anchor and last else ""
        body.append(f"<h1{ident}>{chapter}</h1><p>Text of {chapter}.</p>")
    link = f"<p><a href='#{anchor}'>to {chapters[-1]}</a></p>" if anchor else ""
    web = "<p><a href='https://shop.example/drill'>Shop</a></p>"
    return (
        f"<html lang='de'><head><title>Part</title><style>{css}</style></head>"
        f"<body>{''.join(body[:1])}{web}{link}{extra}{''.join(body[1:])}</body></html>"
    )


def render(html: str, path: Path, variant: str) -> Path:
    weasyprint.HTML(string=html).write_pdf(path, pdf_variant=variant)
    return path


def print_part(path: Path, chapters: Sequence[str], **options) -> Path:
    css = print_css(marks=options.pop("marks", False)) + options.pop("css", "")
    return render(part_html(chapters, css=css, **options), path, "pdf/x-4")


def screen_part(path: Path, chapters: Sequence[str], **options) -> Path:
    css = SCREEN_CSS + options.pop("css", "")
    return render(part_html(chapters, css=css, **options), path, "pdf/a-2b")


def png_data_url(colour: tuple[int, int, int] = (200, 30, 30)) -> str:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), colour).save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


def spoiled(source: Path, target: Path, change: Callable[[PdfWriter], None]) -> Path:
    """A copy of ``source`` changed by ``change`` (given the writer holding it)."""
    writer = PdfWriter(clone_from=PdfReader(source))
    change(writer)
    with target.open("wb") as out:
        writer.write(out)
    return target

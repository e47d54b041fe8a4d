"""Generated demo media: product placeholder images (Pillow) and data sheets (WeasyPrint).

Nothing is downloaded: Debian's DejaVu fonts (fonts-dejavu-core) draw the images, so umlauts
show; without them Pillow's bundled font stands in. WeasyPrint renders the PDFs.
"""

# German typography: the en dash in the data sheet is intended.
# ruff: noqa: RUF001

from __future__ import annotations

import io
import textwrap
from functools import cache
from pathlib import Path

from django.utils.html import escape
from PIL import Image as PILImage
from PIL import ImageDraw, ImageFont

from content.models import Product

IMAGE_SIZE = (640, 480)
FONT_DIR = Path("/usr/share/fonts/truetype/dejavu")
FONT_FILES = {False: "DejaVuSans.ttf", True: "DejaVuSans-Bold.ttf"}


@cache
def _font(size: int, *, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    """DejaVu Sans at ``size``: it has every German glyph, Pillow's bundled font lacks äöüß."""
    path = FONT_DIR / FONT_FILES[bold]
    if path.is_file():
        return ImageFont.truetype(str(path), size=size)
    # A machine without fonts-dejavu-core still seeds: the text loses its umlauts, nothing fails.
    return ImageFont.load_default(size=size)


def product_jpeg(*, name: str, sku: str, colour: str, detail: bool) -> bytes:
    """A plain product placeholder: coloured background, a shape and the product's name."""
    image = PILImage.new("RGB", IMAGE_SIZE, colour)
    draw = ImageDraw.Draw(image)
    # Different shapes tell the photo and the detail view apart in the chooser.
    if detail:
        draw.ellipse((380, 40, 600, 260), fill="white", outline="black", width=4)
        draw.ellipse((450, 110, 530, 190), fill=colour)
    else:
        draw.rounded_rectangle((360, 60, 600, 240), radius=24, fill="white", outline="black")
        draw.rectangle((400, 120, 560, 180), fill=colour)
    lines = textwrap.wrap(name, width=28)[:4]
    draw.multiline_text(
        (32, 270), "\n".join(lines), fill="white", font=_font(30, bold=True), spacing=8
    )
    draw.text((32, 40), sku, fill="white", font=_font(26))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def data_sheet_pdf(*, product: Product) -> bytes:
    """A one-page German data sheet for ``product``."""
    # Imported here: WeasyPrint takes half a second to import, and `--logins` needs none of it.
    import weasyprint

    rows = "".join(
        f"<tr><td>{escape(f.name)}</td><td>{escape(f.value)} {escape(f.unit)}</td></tr>"
        for f in product.features.all()
    )
    html = f"""<html><head><style>
        @page {{ size: A4; margin: 2cm; }}
        body {{ font-family: sans-serif; font-size: 10pt; }}
        table {{ border-collapse: collapse; width: 100%; }}
        td {{ border: 1px solid #999; padding: 4px 8px; }}
        </style></head><body>
        <h1>Datenblatt</h1><h2>{escape(product.name)}</h2>
        <p>Artikelnummer {escape(product.sku)} · GTIN {escape(product.gtin or "–")} ·
        {escape(product.brand)} {escape(product.manufacturer_part_number)}</p>
        <p>{escape(product.short_text)}</p><table>{rows}</table>
        <p><small>Demodaten, erzeugt von seed_demo.</small></p></body></html>"""
    return weasyprint.HTML(string=html).write_pdf()

import io

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, ImageStat

from hub.demo.media import FONT_DIR, product_jpeg

BOLD = FONT_DIR / "DejaVuSans-Bold.ttf"
TEXT_BOX = (32, 262, 520, 320)  # where product_jpeg writes a one-line name


def _drawn_name(name: str, font: ImageFont.FreeTypeFont) -> Image.Image:
    image = Image.new("RGB", (640, 480), "#335577")
    ImageDraw.Draw(image).multiline_text((32, 270), name, fill="white", font=font, spacing=8)
    return image.crop(TEXT_BOX)


def _difference(first: Image.Image, second: Image.Image) -> float:
    return sum(ImageStat.Stat(ImageChops.difference(first, second)).mean)


@pytest.mark.skipif(not BOLD.is_file(), reason="Debian's fonts-dejavu-core is not installed")
def test_demo_image_writes_umlauts_with_the_dejavu_truetype_font():
    name = "Ä Ö Ü ß"

    jpeg = product_jpeg(name=name, sku="HW-TEST-0001", colour="#335577", detail=False)

    written = Image.open(io.BytesIO(jpeg)).convert("RGB").crop(TEXT_BOX)
    with_dejavu = _drawn_name(name, ImageFont.truetype(str(BOLD), size=30))
    with_bundled = _drawn_name(name, ImageFont.load_default(size=30))
    # JPEG noise keeps the match from being exact (about 3); the bundled font differs by about 27.
    assert _difference(written, with_dejavu) < 6
    assert _difference(written, with_bundled) > 4 * _difference(written, with_dejavu)

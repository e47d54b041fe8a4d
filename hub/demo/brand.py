"""The demo company's brand and legal details (``BrandSettings``) with a generated logo.

Set once for the default site; settings someone changed afterwards are left as they are.
"""

from __future__ import annotations

import io
from collections import Counter

from django.core.files.images import ImageFile
from PIL import Image as PILImage
from PIL import ImageDraw
from wagtail.images.models import Image
from wagtail.models import Site

from campaigns.models import BrandSettings

from .media import _font

LOGO_TITLE = "Hubwerk Logo"

BRAND = {
    "company_name": "Hubwerk Industriebedarf GmbH",
    "postal_address": "Werkstraße 12\n70565 Stuttgart\nDeutschland",
    "imprint_url": "https://hubwerk.example/impressum",
    "privacy_url": "https://hubwerk.example/datenschutz",
    "sender_name": "Hubwerk Marketing",
    "sender_email": "news@hubwerk.example",
    "reply_to": "service@hubwerk.example",
    "footer_text_de": (
        "Hubwerk Industriebedarf GmbH · Amtsgericht Stuttgart HRB 123456 · "
        "Geschäftsführer: Erika Muster · USt-IdNr. DE123456789"
    ),
    "footer_text_en": (
        "Hubwerk Industriebedarf GmbH · Stuttgart District Court HRB 123456 · "
        "Managing director: Erika Muster · VAT ID DE123456789"
    ),
}


def logo_png() -> bytes:
    """A plain word mark: the company's name on its red."""
    image = PILImage.new("RGB", (400, 120), "#c8102e")
    ImageDraw.Draw(image).text((28, 34), "HUBWERK", fill="white", font=_font(48, bold=True))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _logo(created: Counter[str]) -> Image:
    image = Image.objects.filter(title=LOGO_TITLE).first()
    if image is None:
        image = Image(title=LOGO_TITLE, file=ImageFile(io.BytesIO(logo_png()), name="hubwerk.png"))
        image._set_image_file_metadata()  # what the admin's upload form does
        image.save()
        created["images"] += 1
    return image


def seed_brand(created: Counter[str]) -> None:
    """The default site's brand settings, unless it has some already."""
    site = Site.objects.filter(is_default_site=True).first()
    if site is None or BrandSettings.objects.filter(site=site).exists():
        return
    BrandSettings.objects.create(site=site, logo=_logo(created), **BRAND)
    created["brand settings"] += 1

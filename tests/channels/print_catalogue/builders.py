"""Catalogue rows for the rendering tests: what the hub would prepare, with real images."""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal

import pypdf
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.test import override_settings
from PIL import Image as PILImage

from channels.documents import Chapter, ChapterOutline, DocumentIntro, DocumentSpec
from channels.feeds import FeedAsset, FeedFeature, FeedProduct
from tests.channels.marketplace.builders import feed_product, feed_text

BASE = "http://testserver"
GENERATED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


@contextmanager
def media_root(path) -> Iterator[None]:
    with override_settings(MEDIA_ROOT=str(path), MEDIA_URL="/media/", WAGTAILADMIN_BASE_URL=BASE):
        yield


def save_image(name: str, data: bytes) -> str:
    """Saves ``data`` in the default storage; its URL as the hub gives it."""
    saved = default_storage.save(name, ContentFile(data, name))
    return f"{BASE}/media/{saved}"


def jpeg_bytes(width: int = 80, height: int = 60, colour: str = "darkorange") -> bytes:
    buffer = io.BytesIO()
    PILImage.new("RGB", (width, height), colour).save(buffer, "JPEG")
    return buffer.getvalue()


def image_asset(url: str) -> FeedAsset:
    return FeedAsset(url, "image/png", url.rsplit("/", 1)[-1], "Ansicht")


def product(sku: str, image_url: str, *, long_text: str = "", **text) -> FeedProduct:
    """A German product ``sku`` with its own approved texts and one image."""
    long = long_text or f"Langtext von {sku}."
    values = {
        "name": f"Artikel {sku}",
        "short_text": f"Kurztext {sku}",
        "long_html": f"<p>{long}</p>",
        "long_text": long,
        "url": f"https://shop.example.com/de/p/{sku}",
        "features": (
            FeedFeature("Spannung", "18", "V", "EF000008", "N"),
            FeedFeature("Mit Akku", "true", "", "EF000009", "L"),
        ),
    }
    values.update(text)
    return feed_product(
        sku=sku,
        texts={"de": feed_text("de", **values)},
        images=(image_asset(image_url),) if image_url else (),
        price=Decimal("1299.5"),
        lead_time_days=3,
    )


def catalogue(image_url: str, sizes: tuple[int, ...] = (3, 1, 2)) -> list[Chapter]:
    """Chapters "kapitel-1", ... with ``sizes`` products each (SKUs K1-1, K1-2, ...)."""
    return [
        Chapter(
            f"kapitel-{n}",
            f"Kapitel {n}",
            tuple(product(f"K{n}-{m}", image_url) for m in range(1, size + 1)),
        )
        for n, size in enumerate(sizes, start=1)
    ]


def outlines(chapters: list[Chapter]) -> list[ChapterOutline]:
    return [ChapterOutline(c.key, c.title, len(c.products)) for c in chapters]


def doc_spec(**overrides) -> DocumentSpec:
    values = {
        "key": "herbst",
        "title": "Herbstkatalog 2026",
        "language": "de",
        "generated_at": GENERATED_AT,
        "profile": "screen",
        "intro": DocumentIntro("Willkommen", "<p>Unser Sortiment für Sie.</p>"),
        "subtitle": "Werkzeuge und Zubehör",
        "price_basis": "list",
        "publisher": "ACME Tools GmbH",
    }
    values.update(overrides)
    return DocumentSpec(**values)


def read_pdf(data: bytes) -> pypdf.PdfReader:
    return pypdf.PdfReader(io.BytesIO(data))


def footer_number(page: pypdf.PageObject) -> str:
    """The text printed in the page's footer's right box (its page number), or ""."""
    found: list[str] = []
    width = float(page.trimbox.right)

    def visit(text, cm, tm, font, size):
        x, y = tm[4] * cm[0] + cm[4], tm[5] * cm[3] + cm[5]
        if text.strip() and y < 60 and x > width * 0.6:
            found.append(text.strip())

    page.extract_text(visitor_text=visit)
    return " ".join(found)


def page_text(page: pypdf.PageObject) -> str:
    return re.sub(r"\s+", " ", page.extract_text())

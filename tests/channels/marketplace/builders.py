"""FeedProduct and FeedSpec rows for the format tests: what the hub would prepare."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from channels.feeds import (
    DirectorySink,
    FeedAsset,
    FeedFeature,
    FeedProduct,
    FeedSpec,
    FeedText,
)

GENERATED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)


def feed_text(language: str = "de", **overrides) -> FeedText:
    values = {
        "language": language,
        "name": "Akku-Bohrschrauber BS 18" if language == "de" else "Cordless drill BS 18",
        "short_text": "18 V, 2 Akkus" if language == "de" else "18 V, two batteries",
        "long_html": "<p>Robust.</p><p>Mit Koffer.</p>"
        if language == "de"
        else "<p>Sturdy.</p><p>With case.</p>",
        "long_text": "Robust.\n\nMit Koffer." if language == "de" else "Sturdy.\n\nWith case.",
        "url": f"https://shop.example.com/{language}/p/BS-18",
        "features": (
            FeedFeature("Spannung", "18", "V", "EF000008", "N", "EU570448"),
            FeedFeature("Mit Akku", "true", "", "EF000009", "L"),
            FeedFeature("Farbe", "EV000080", "", "EF000007", "A"),
            FeedFeature("Drehmoment", "20-45", "Nm", "EF000010", "R", "EU570092"),
        ),
        "category_path": ("Werkzeuge", "Akkuwerkzeuge"),
    }
    values.update(overrides)
    return FeedText(**values)


def feed_product(**overrides) -> FeedProduct:
    values = {
        "sku": "BS-18",
        "texts": {"de": feed_text("de"), "en": feed_text("en")},
        "gtin": "4006381333931",
        "brand": "ACME",
        "manufacturer_part_number": "ACME-BS18",
        "manufacturer_name": "ACME Tools GmbH",
        "images": (
            FeedAsset("https://hub.example.com/media/bs18.jpg", "image/jpeg", "bs18.jpg", "Front"),
            FeedAsset("https://hub.example.com/media/bs18-b.jpg", "image/jpeg", "bs18-b.jpg"),
        ),
        "documents": (
            FeedAsset(
                "https://hub.example.com/documents/bs18.pdf",
                "application/pdf",
                "bs18.pdf",
                "Datenblatt",
                "data_sheet",
            ),
        ),
        "price": Decimal("129.00"),
        "currency": "EUR",
        "group_prices": {"A": Decimal("99.00"), "B": Decimal("109.50")},
        "availability": "in_stock",
        "lead_time_days": 2,
        "etim_classes": {"9.0": "EC002580", "10.0": "EC002580"},
        "category_slugs": ("akkuwerkzeuge",),
        "updated_at": GENERATED_AT - dt.timedelta(days=1),
    }
    values.update(overrides)
    return FeedProduct(**values)


def feed_spec(**overrides) -> FeedSpec:
    values = {
        "feed_key": "test-feed",
        "name": "Test feed",
        "languages": ("de",),
        "generated_at": GENERATED_AT,
    }
    values.update(overrides)
    return FeedSpec(**values)


__all__ = ["FEED_OPTIONS", "DirectorySink", "feed_product", "feed_spec", "feed_text"]


# Options a receiver of each feed format needs at least; a new feed format adds its own
# (the contract test asks every configured feed channel for them).
FEED_OPTIONS = {
    "google_merchant": {"shipping_price": "4.95"},
    "amazon": {
        "seller_id": "A2EUQ1WTGCTBG2",
        "marketplace_id": "A1PA6795UKMFR9",
        "product_types": [
            {"product_type": "PRODUCT", "attributes": {"item_name": "name", "brand": "brand"}}
        ],
    },
    "bmecat": {
        "supplier_name": "ACME Tools GmbH",
        "supplier_id": "4012345000009",
        "supplier_id_type": "gln",
        "catalog_id": "ACME-2026",
    },
}

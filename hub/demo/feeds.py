"""The demo's ETIM reference data and its feed receivers (Google, Amazon, a BMEcat buyer)."""

from __future__ import annotations

from collections import Counter

from campaigns.models import Feed
from content.models import EtimFeature

from .datafiles import load


def seed_etim_features(created: Counter[str]) -> None:
    """The ETIM features the demo's products use, with their data types (idempotent)."""
    for row in load("etim")["features"]:
        _feature, made = EtimFeature.objects.get_or_create(
            code=row["code"],
            defaults={
                "name": row["name"],
                "data_type": row["data_type"],
                "unit_symbol": row.get("unit_symbol", ""),
            },
        )
        if made:
            created["ETIM features"] += 1


# The demo's receivers: Google Shopping, Amazon.de and the e-procurement system of a
# buyer. Marked as changed, so the worker writes their files within a minute of start-up;
# their secret URLs are made in the admin (Campaigns → Feeds → New secret URL).
DEMO_FEEDS = (
    {
        "slug": "google-shopping-de",
        "name": "Google Shopping (DE)",
        "channel": "google_merchant",
        "languages": "de",
        "options": {"variant": "rss", "shipping_price": "5.90", "condition": "new"},
        "schedule_minutes": 24 * 60,
    },
    {
        "slug": "amazon-de",
        "name": "Amazon.de",
        "channel": "amazon",
        "languages": "de",
        "options": {
            "seller_id": "A2EUQ1WTGCTBG2",
            "marketplace_id": "A1PA6795UKMFR9",
            "issue_locale": "de_DE",
            "product_types": [
                {
                    "product_type": "TOOLS",
                    "attributes": {
                        "item_name": "name",
                        "brand": "brand",
                        "product_description": "long_text",
                        "bullet_point": "features",
                        "manufacturer": "manufacturer_name",
                        "part_number": "manufacturer_part_number",
                        "externally_assigned_product_identifier": "gtin",
                    },
                }
            ],
        },
    },
    {
        "slug": "bmecat-bau-ag",
        "name": "BMEcat für Bau AG (E-Procurement)",
        "channel": "bmecat",
        "languages": "de,en",
        "buyer_price_groups": "A,B",
        "etim_release": "9.0",
        "options": {
            "supplier_name": "Hubwerk GmbH",
            "supplier_id": "4012345000009",
            "supplier_id_type": "gln",
            "buyer_name": "Bau AG",
            "buyer_id": "K-1001",
            "catalog_id": "HUBWERK-2026",
            "catalog_version": "1.0",
            "catalog_name": "Hubwerk Katalog 2026",
            "funit": "text",
        },
    },
)


def seed_feeds(*, now, created: Counter[str]) -> None:
    """The demo's feed receivers (idempotent: by slug)."""
    for row in DEMO_FEEDS:
        if Feed.objects.filter(slug=row["slug"]).exists():
            continue
        feed = Feed(**row, dirty_since=now)
        feed.set_token()
        feed.save()
        created["feeds"] += 1

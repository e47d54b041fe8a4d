"""Synthetic feed products for ``bench.feeds``: what the hub hands a feed writer, made lazily.

A realistic product of a tool and electrical wholesaler in German and English: a name, a
short text and a long text of a few hundred words, 8 to 15 technical features with ETIM
codes and types (numbers with units, ranges, logicals, EV value codes), two to four
images, a data sheet, group prices and sometimes net content and an energy label.

The products come from a seeded generator, so every process (the timed runs are fresh
processes) writes the same products in the same order. Texts and feature sets are drawn
from pools made once: building a product must cost little next to writing it, since both
writers under test pay for it alike.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from decimal import Decimal

from channels.feeds import (
    FeedAsset,
    FeedCertification,
    FeedFeature,
    FeedProduct,
    FeedSpec,
    FeedText,
)

SEED = 20261206
GENERATED_AT = dt.datetime(2026, 12, 1, 9, 30, tzinfo=dt.UTC)
LANGUAGES = ("de", "en")
PRICE_GROUPS = ("A", "B", "C")

TEXTS = {
    "de": (
        "Der bürstenlose Motor liefert hohe Leistung bei geringem Gewicht und arbeitet "
        "besonders leise, sodass Handwerker auch in bewohnten Räumen ohne Störung arbeiten "
        "können. Das robuste Gehäuse aus glasfaserverstärktem Kunststoff schützt die "
        "Elektronik vor Staub, Spritzwasser und Stößen auf der Baustelle. Mit dem "
        "Schnellspannbohrfutter wechseln Sie Bits und Bohrer ohne Werkzeug in Sekunden. "
        "Die helle LED beleuchtet den Arbeitsbereich, der Gürtelclip hält das Gerät griffbereit "
        "und der Akku mit Ladestandsanzeige zeigt jederzeit die verbleibende Laufzeit an."
    ),
    "en": (
        "The brushless motor delivers high power at low weight and runs particularly "
        "quietly, so tradespeople can work in occupied rooms without disturbance. The "
        "rugged housing of glass fibre reinforced plastic protects the electronics from "
        "dust, splashing water and knocks on site. With the keyless chuck you change bits "
        "and drills in seconds without tools. The bright LED lights the work area, the belt "
        "clip keeps the tool at hand and the battery with charge indicator always shows the "
        "remaining run time & capacity, with < 3 % loss per month."
    ),
}
NOUNS = {
    "de": ("Akku-Bohrschrauber", "Schlagbohrmaschine", "Winkelschleifer", "Kabeltrommel",
           "LED-Strahler", "Installationskabel", "Stichsäge", "Multimeter"),
    "en": ("Cordless drill", "Hammer drill", "Angle grinder", "Cable reel", "LED floodlight",
           "Installation cable", "Jigsaw", "Multimeter"),
}  # fmt: skip
CATEGORIES = {
    "de": (("Werkzeuge", "Akkuwerkzeuge"), ("Elektro", "Kabel und Leitungen"), ("Licht",)),
    "en": (("Tools", "Cordless tools"), ("Electrical", "Cables and wires"), ("Lighting",)),
}
BRANDS = (("ACME", "ACME Tools GmbH"), ("Voltura", "Voltura Elektro AG"), ("Kraftwerk", ""))
# ETIM features: code, German and English names, type, unit and its ETIM unit code.
FEATURES = (
    ("EF000008", "Spannung", "Voltage", "N", "V", "EU570448"),
    ("EF000009", "Mit Akku", "With battery", "L", "", ""),
    ("EF000007", "Farbe", "Colour", "A", "", ""),
    ("EF000010", "Drehmoment", "Torque", "R", "Nm", "EU570092"),
    ("EF000011", "Gewicht", "Weight", "N", "kg", "EU570140"),
    ("EF000012", "Leerlaufdrehzahl", "No-load speed", "R", "1/min", "EU570187"),
    ("EF000013", "Schutzart (IP)", "Degree of protection (IP)", "A", "", ""),
    ("EF000014", "Mit LED-Beleuchtung", "With LED light", "L", "", ""),
    ("EF000015", "Akkukapazität", "Battery capacity", "N", "Ah", "EU570010"),
    ("EF000016", "Leiterquerschnitt", "Conductor cross-section", "N", "mm²", "EU570014"),
    ("EF000017", "Betriebstemperatur", "Operating temperature", "R", "°C", "EU570073"),
    ("EF000018", "Material Gehäuse", "Housing material", "A", "", ""),
    ("EF000019", "Halogenfrei", "Halogen free", "L", "", ""),
    ("EF000020", "Länge", "Length", "N", "m", "EU570097"),
    ("EF000021", "Lichtstrom", "Luminous flux", "N", "lm", "EU570246"),
    ("EF000022", "Anzahl Akkus", "Number of batteries", "N", "", ""),
    ("EF000023", "Bohrfutterspannweite", "Chuck capacity", "R", "mm", "EU570016"),
    ("EF000024", "Mit Koffer", "With case", "L", "", ""),
)
POOL = 256


def _value(rng: random.Random, kind: str) -> str:
    if kind == "N":
        return rng.choice(
            (str(rng.randrange(1, 400)), f"{rng.randrange(1, 99)},{rng.randrange(1, 9)}")
        )
    if kind == "R":
        low = rng.randrange(-20, 40)
        high = low + rng.randrange(5, 300)
        return rng.choice((f"{low}-{high}", f"{low},5..{high},5", f"{low} - {high}",
                           f"{low}\u2013{high}"))  # fmt: skip
    if kind == "L":
        return rng.choice(("true", "false", "ja", "nein"))
    return f"EV{rng.randrange(1, 30000):06d}"


def _feature_sets(rng: random.Random) -> list[dict[str, tuple[FeedFeature, ...]]]:
    sets = []
    for _ in range(POOL):
        chosen = rng.sample(FEATURES, rng.randint(8, 15))
        values = [_value(rng, kind) for _code, _de, _en, kind, _unit, _eu in chosen]
        sets.append(
            {
                language: tuple(
                    FeedFeature(names[index], value, unit, code, kind, etim_unit)
                    for (code, *names, kind, unit, etim_unit), value in zip(
                        chosen, values, strict=True
                    )
                )
                for index, language in enumerate(LANGUAGES)
            }
        )
    return sets


def _long_texts(rng: random.Random, language: str) -> list[tuple[str, str]]:
    """(plain text, HTML) pairs of 200 to 450 words in two to five paragraphs."""
    texts = []
    words = TEXTS[language].split(" ")
    for _ in range(POOL // 4):
        paragraphs = []
        for _ in range(rng.randint(2, 5)):
            count = rng.randint(60, 110)
            start = rng.randrange(len(words))
            paragraphs.append(" ".join(words[(start + n) % len(words)] for n in range(count)))
        plain = "\n\n".join(paragraphs)
        html = "".join(f"<p>{p.replace('&', '&amp;').replace('<', '&lt;')}</p>" for p in paragraphs)
        texts.append((plain, html))
    return texts


class Pools:
    """What products are made of, made once per process."""

    def __init__(self) -> None:
        rng = random.Random(SEED)
        self.features = _feature_sets(rng)
        self.long = {language: _long_texts(rng, language) for language in LANGUAGES}


# The GS1 check digit of 400638 and a six-digit number, from two tables of three digits
# each: products are made in every measured run, so they must be made cheaply.
_GTIN_BODY = "400638"
_HIGH = [sum(int(d) * w for d, w in zip(f"{n:03d}", (1, 3, 1), strict=True)) for n in range(1000)]
_LOW = [sum(int(d) * w for d, w in zip(f"{n:03d}", (3, 1, 3), strict=True)) for n in range(1000)]
_BODY_SUM = sum(int(d) * w for d, w in zip(_GTIN_BODY, (1, 3, 1, 3, 1, 3), strict=True))


def _gtin(index: int) -> str:
    """A valid GTIN-13 for ``index`` (below a million)."""
    total = _BODY_SUM + _HIGH[index // 1000] + _LOW[index % 1000]
    return f"{_GTIN_BODY}{index:06d}{(10 - total % 10) % 10}"


def products(count: int, pools: Pools | None = None) -> Iterator[FeedProduct]:
    """``count`` products, made one at a time as they are asked for."""
    pools = pools or Pools()
    draw = random.Random(SEED + 1).random  # int(draw() * n): 0 <= value < n, cheaply
    availabilities = ("in_stock", "in_stock", "low_stock", "on_request", "out_of_stock")
    for index in range(count):
        sku = f"BF-{index:07d}"
        lower = sku.lower()
        kind = int(draw() * len(NOUNS["de"]))
        brand, manufacturer = BRANDS[int(draw() * len(BRANDS))]
        model = f"{brand[:2].upper()} {10 + int(draw() * 89)}-{100 + int(draw() * 899)}"
        features = pools.features[int(draw() * POOL)]
        long_index = int(draw() * (POOL // 4))
        categories = int(draw() * len(CATEGORIES["de"]))
        texts = {}
        for language in LANGUAGES:
            plain, html = pools.long[language][long_index]
            noun = NOUNS[language][kind]
            texts[language] = FeedText(
                language=language,
                name=f"{brand} {noun} {model}",
                short_text=f"{noun} {model}: {plain[:120].rsplit(' ', 1)[0]}",
                long_html=html,
                long_text=plain,
                url=f"https://shop.example.com/{language}/p/{lower}",
                features=features[language],
                category_path=CATEGORIES[language][categories],
            )
        name = texts["de"].name
        images = tuple(
            FeedAsset(
                f"https://cdn.example.com/products/{lower}-{n}.jpg",
                "image/png" if n == 3 else "image/jpeg",
                f"{lower}-{n}.jpg",
                f"{name}, Ansicht {n}" if n < 2 else "",
            )
            for n in range(2 + int(draw() * 3))
        )
        cents = 499 + int(draw() * 249_500)
        availability = availabilities[int(draw() * len(availabilities))]
        cable = kind in (3, 5)
        yield FeedProduct(
            sku=sku,
            texts=texts,
            gtin=_gtin(index) if index % 10 else "",
            brand=brand,
            manufacturer_part_number=f"{brand[:3].upper()}-{index:06d}",
            manufacturer_name=manufacturer,
            images=images,
            documents=(
                FeedAsset(
                    f"https://cdn.example.com/documents/{lower}-datenblatt.pdf",
                    "application/pdf",
                    f"{lower}-datenblatt.pdf",
                    "Datenblatt",
                    "data_sheet",
                ),
            ),
            price=Decimal(cents).scaleb(-2),
            group_prices={
                group: Decimal(cents * (90 - 5 * n) // 100).scaleb(-2)
                for n, group in enumerate(PRICE_GROUPS)
                if (index + n) % 4
            },
            availability=availability,
            lead_time_days=1 + int(draw() * 29)
            if availability == "on_request" or index % 3
            else None,
            etim_classes={"9.0": f"EC{1 + int(draw() * 3999):06d}", "10.0": "EC002580"},
            category_slugs=(("akkuwerkzeuge", "kabel", "licht")[categories],),
            net_content=Decimal(5 + int(draw() * 95)) if cable else None,
            net_content_unit="m" if cable else "",
            certifications=(
                (FeedCertification("EC", "EPREL", str(100000 + int(draw() * 899999))),)
                if kind == 4
                else ()
            ),
            updated_at=GENERATED_AT - dt.timedelta(days=index % 30),
        )


GOOGLE_OPTIONS = {
    "shipping_price": "4.95",
    "shipping_service": "Standard",
    "google_product_category": "Hardware > Tools > Drills",
}
BMECAT_OPTIONS = {
    "supplier_name": "ACME Tools GmbH",
    "supplier_id": "4012345000009",
    "supplier_id_type": "gln",
    "buyer_name": "Bau AG",
    "buyer_id": "K-1001",
    "catalog_id": "ACME-2026",
    "catalog_version": "2.1",
    "catalog_name": "ACME Katalog 2026",
}
AMAZON_OPTIONS = {
    "seller_id": "A2EUQ1WTGCTBG2",
    "marketplace_id": "A1PA6795UKMFR9",
    "product_types": [
        {
            "categories": ["akkuwerkzeuge"],
            "product_type": "DRILL",
            "attributes": {
                "item_name": "name",
                "brand": "brand",
                "product_description": "long_text",
                "bullet_point": "features",
                "externally_assigned_product_identifier": "gtin?",
                "part_number": "manufacturer_part_number?",
                "manufacturer": "manufacturer_name?",
                "supplier_declared_dg_hz_regulation": {"value": "not_applicable"},
            },
        },
        {
            "product_type": "PRODUCT",
            "attributes": {"item_name": "name", "brand": "brand", "bullet_point": "features"},
        },
    ],
}


def spec(options: dict, **overrides) -> FeedSpec:
    values = {
        "feed_key": "bench",
        "name": "Bench feed",
        "languages": LANGUAGES,
        "generated_at": GENERATED_AT,
        "buyer_price_groups": ("A", "B"),
        "options": options,
    }
    values.update(overrides)
    return FeedSpec(**values)

"""The demo catalogue (``data/catalogue.json``) and what becomes of each product.

Five top-level categories of four product families with three variants each: 60 German
products. Where a product ends up in the approval workflow, whether it has a GTIN, images or
a data sheet, and whether it is translated follow from its position (0-11) in its category.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from content.taxonomy import Availability
from content.validators import gtin_check_digit

from .datafiles import load, pair

# A value in German and English; a plain string is the same in both (decimal commas become
# points in English).
Text = str | tuple[str, str]


def in_language(value: Text, language: str) -> str:
    if isinstance(value, tuple):
        return value[0] if language == "de" else value[1]
    return value if language == "de" else re.sub(r"(?<=\d),(?=\d)", ".", value)


def _text(value: str | dict[str, str]) -> Text:
    return pair(value) if isinstance(value, dict) else value


@dataclass(frozen=True)
class Feature:
    name: Text
    unit: Text
    values: tuple[Text, ...]  # one value for every variant, or one per variant
    etim: str = ""

    def value(self, variant: int) -> Text:
        return self.values[0] if len(self.values) == 1 else self.values[variant]


@dataclass(frozen=True)
class Variant:
    label: Text
    code: str
    price: str


@dataclass(frozen=True)
class Family:
    """Three variants of one product; ``{v}`` in the texts is the variant's label."""

    name: tuple[str, str]
    short: tuple[str, str]
    long: tuple[str, str]
    brand: str
    mpn: str
    etim_class: str
    variants: tuple[Variant, ...]
    features: tuple[Feature, ...]
    category: str = ""  # slug of a child category; blank: the top-level category


@dataclass(frozen=True)
class CategorySpec:
    slug: str
    name: str
    name_en: str
    code: str  # the middle part of the SKUs
    colour: str  # background of the generated product images
    families: tuple[Family, ...]
    children: tuple[tuple[str, str, str], ...] = ()  # (slug, name, name_en)


def _family(row: dict) -> Family:
    return Family(
        name=pair(row["name"]),
        short=pair(row["short"]),
        long=pair(row["long"]),
        brand=row["brand"],
        mpn=row["mpn"],
        etim_class=row["etim_class"],
        category=row.get("category", ""),
        variants=tuple(
            Variant(label=_text(v["label"]), code=v["code"], price=v["price"])
            for v in row["variants"]
        ),
        features=tuple(
            Feature(
                name=_text(f["name"]),
                unit=_text(f["unit"]),
                values=tuple(_text(value) for value in f["values"]),
                etim=f.get("etim", ""),
            )
            for f in row["features"]
        ),
    )


def _category(row: dict) -> CategorySpec:
    return CategorySpec(
        slug=row["slug"],
        name=row["name"],
        name_en=row["name_en"],
        code=row["code"],
        colour=row["colour"],
        families=tuple(_family(family) for family in row["families"]),
        children=tuple(
            (child["slug"], child["name"], child["name_en"]) for child in row.get("children", ())
        ),
    )


CATEGORIES = tuple(_category(row) for row in load("catalogue")["categories"])

_REVIEW = load("catalogue")["review"]
PRODUCT_DATA_REJECTION: str = _REVIEW["product_data_rejection"]
LEGAL_REJECTION: str = _REVIEW["legal_rejection"]
# The claim the legal reviewer objects to.
LEGAL_CLAIM: str = _REVIEW["legal_claim"]
LATER_EDIT: str = _REVIEW["later_edit"]


@dataclass(frozen=True)
class Plan:
    """Where an item ends up: how far it got through the three review steps."""

    submit: bool = True
    approvals: int = 3  # steps approved; 3 publishes
    reject_comment: str = ""  # the step after the approved ones requests changes
    edit_after_publishing: bool = False  # a newer draft on top of the live version


DRAFT = Plan(submit=False, approvals=0)
LIVE = Plan()


def waiting_at(step: int) -> Plan:
    return Plan(approvals=step)


def plan_from_data(value: str | dict | None) -> Plan | None:
    """A plan as the data files write it: "live", "draft", null or the fields of a Plan."""
    if value is None:
        return None
    if isinstance(value, str):
        return {"live": LIVE, "draft": DRAFT}[value]
    return Plan(**value)


# The fate of a product by its position (0-11) within its category; the rest go live. The
# review positions rotate by category so that every step has items waiting.
REVIEW_POSITIONS = (2, 5)
DRAFT_POSITION = 8
SPECIAL_POSITION = 11
SPECIAL_PLANS = (
    Plan(approvals=0, reject_comment=PRODUCT_DATA_REJECTION),
    Plan(edit_after_publishing=True),
    Plan(approvals=1, reject_comment=LEGAL_REJECTION),
    Plan(edit_after_publishing=True),
    DRAFT,
)


def product_plan(*, category: int, position: int) -> Plan:
    if position in REVIEW_POSITIONS:
        return waiting_at((category + REVIEW_POSITIONS.index(position)) % 3)
    if position == DRAFT_POSITION:
        return DRAFT
    if position == SPECIAL_POSITION:
        return SPECIAL_PLANS[category % len(SPECIAL_PLANS)]
    return LIVE


def english_plan(*, category: int, position: int) -> Plan | None:
    """None: not translated yet. Translations of items still in review wait as drafts."""
    if position in (DRAFT_POSITION, SPECIAL_POSITION):
        return None
    if position in REVIEW_POSITIONS:
        return DRAFT
    if position == 10:
        return waiting_at(category % 3)
    return LIVE


# Completeness varies on purpose, so each channel's "incomplete" filter finds something.
NO_GTIN_POSITIONS = (4, 10)
NO_IMAGE_POSITIONS = (7,)
NO_DATA_SHEET_POSITIONS = (3, 7, 11)
AVAILABILITY = {
    1: (Availability.LOW_STOCK, 5),
    6: (Availability.OUT_OF_STOCK, 21),
    9: (Availability.ON_REQUEST, 28),  # priced per quote: no list price
}


def gtin_for(number: int) -> str:
    # GS1 prefix 20-29 is "restricted circulation": it never belongs to a real product.
    body = f"2099000{number:05d}"
    return body + str(gtin_check_digit(body))


# Spare parts and accessories, given with the product when it is created (part of its first,
# reviewed revision): the related product is always created before it. HW-HYD-0003 waits in
# review, so the pump's relation to it stays out of every live answer until it is approved.
RELATIONS: dict[str, tuple[tuple[str, str, str], ...]] = {
    # (kind, related SKU, note)
    "HW-HYD-0007": (
        ("spare_part", "HW-HYD-0001", "Druckleitung, Verschleißteil"),
        ("spare_part", "HW-HYD-0003", "Saugleitung"),
        ("accessory", "HW-HYD-0004", "Absperrung vor der Pumpe"),
    ),
    "HW-HYD-0010": (
        ("spare_part", "HW-HYD-0002", "Zuleitung, Verschleißteil"),
        ("accessory", "HW-HYD-0005", ""),
    ),
}

"""Reads of live products for feeds: the whole catalogue, lazily, as ``FeedProduct`` rows.

A feed may hold 100,000 products; this reads them a chunk at a time with a fixed number of
queries per chunk (``values()`` rows, no model instances), so memory stays flat and the
time grows with the catalogue, not with the catalogue times its relations. Like
``content.selectors``, it returns only live rows: drafts never reach a feed.
"""

from __future__ import annotations

import mimetypes
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _
from wagtail.images.models import Image

from channels.feeds import FeedAsset, FeedCertification, FeedFeature, FeedProduct, FeedText
from channels.registry import get_channel

from .models import (
    Category,
    EtimFeature,
    Product,
    ProductDocument,
    ProductEtimClass,
    ProductFeature,
    ProductImage,
)
from .rich_text import rich_text_html, rich_text_plain
from .selectors import (
    FIELD_CHECKS,
    category_subtree,
    document_url,
    live_products,
    products_with_completeness,
)

CHUNK_SIZE = 500

_SCALARS = (
    "pk",
    "sku",
    "translation_key",
    "gtin",
    "brand",
    "manufacturer_part_number",
    "name",
    "short_text",
    "long_text",
    "etim_class",
    "etim_release",
    "price",
    "currency",
    "availability",
    "lead_time_days",
    "net_content",
    "net_content_unit",
    "eprel_code",
    "updated_at",
    "erp_updated_at",
)
_TEXT_SCALARS = ("pk", "translation_key", "name", "short_text", "long_text")

# Where a document's label says what it is, BMEcat and others want the purpose.
_DATA_SHEET_WORDS = ("datenblatt", "data sheet", "datasheet")
_SAFETY_WORDS = ("sicherheitsdatenblatt", "safety data sheet")


@dataclass(frozen=True)
class SourceProduct:
    """A live product as a feed candidate: its facts, and what the channel finds missing."""

    product_id: int  # the live row in the feed's main language (its edit view)
    product: FeedProduct  # without shop URLs and price-group prices (campaigns add those)
    missing: tuple[str, ...]  # labels of the fields the channel requires that it lacks


def _absolute(url: str) -> str:
    return url if "://" in url else settings.WAGTAILADMIN_BASE_URL.rstrip("/") + url


def _purpose(label: str) -> str:
    lowered = label.lower()
    if any(word in lowered for word in _SAFETY_WORDS):
        return "safety_data_sheet"
    if any(word in lowered for word in _DATA_SHEET_WORDS):
        return "data_sheet"
    return "others"


def _mime_type(name: str) -> str:
    return mimetypes.guess_type(name)[0] or "application/octet-stream"


class _Tree:
    """The category tree, read once per feed: paths by language."""

    def __init__(self) -> None:
        self.nodes = {
            pk: (parent, name, name_en)
            for pk, parent, name, name_en in Category.objects.values_list(
                "pk", "parent_id", "name", "name_en"
            )
        }

    def path(self, category_id: int, language: str) -> tuple[str, ...]:
        names: list[str] = []
        node: int | None = category_id
        while node is not None and node in self.nodes and len(names) < 32:
            parent, name, name_en = self.nodes[node]
            names.append((name_en or name) if language == "en" else name)
            node = parent
        return tuple(reversed(names))


def _missing_labels(
    row: dict[str, Any], required: Sequence[str], language: str, main: bool
) -> list[str]:
    labels = []
    for field in required:
        if row.get(f"missing_{field}"):
            label = str(FIELD_CHECKS[field].label)
            labels.append(label if main else f"{label} ({language})")
    return labels


def feed_source(
    *,
    channel_key: str,
    languages: Sequence[str],
    category_slugs: Sequence[str] = (),
    chunk_size: int = CHUNK_SIZE,
) -> Iterator[SourceProduct]:
    """Every live product in ``languages[0]`` (in these categories and below; all when
    none are given), ordered by SKU, with its live text in each of ``languages`` that has
    one, and the labels of what the channel ``channel_key`` requires and it lacks."""
    channel = get_channel(channel_key)
    main, others = languages[0], tuple(languages[1:])
    products = live_products(locale=main)
    if category_slugs:
        ids = {pk for slug in category_slugs for pk in category_subtree(slug)}
        products = products.filter(categories__in=ids).distinct()
    pks = list(products.order_by("sku").values_list("pk", flat=True))
    tree = _Tree()
    etim = {
        code: (data_type, unit_code, unit_symbol)
        for code, data_type, unit_code, unit_symbol in EtimFeature.objects.values_list(
            "code", "data_type", "unit_code", "unit_symbol"
        )
    }
    for start in range(0, len(pks), chunk_size):
        yield from _chunk(pks[start : start + chunk_size], channel, main, others, tree, etim)


def _features(pks: Sequence[int], etim: dict) -> dict[int, list[FeedFeature]]:
    features: dict[int, list[FeedFeature]] = defaultdict(list)
    for product_id, name, value, unit, code in (
        ProductFeature.objects.filter(product_id__in=pks)
        .order_by("product_id", "sort_order", "pk")
        .values_list("product_id", "name", "value", "unit", "etim_feature")
    ):
        data_type, unit_code, unit_symbol = etim.get(code, ("", "", ""))
        same_unit = unit_code and (not unit or unit == unit_symbol)
        features[product_id].append(
            FeedFeature(name, value, unit, code, data_type, unit_code if same_unit else "")
        )
    return features


def _text(row: dict, language: str, features, tree: _Tree, category_id) -> FeedText:
    return FeedText(
        language=language,
        name=row["name"],
        short_text=row["short_text"],
        long_html=rich_text_html(row["long_text"] or ""),
        long_text=rich_text_plain(row["long_text"] or ""),
        url="",
        features=tuple(features.get(row["pk"], ())),
        category_path=tree.path(category_id, language) if category_id else (),
    )


def _chunk(pks, channel, main, others, tree, etim) -> Iterator[SourceProduct]:
    rows = {
        row["pk"]: row
        for row in products_with_completeness(Product.objects.filter(pk__in=pks)).values(
            *_SCALARS, *(f"missing_{f}" for f in channel.required_fields_for(main))
        )
    }
    keys = [row["translation_key"] for row in rows.values()]
    translations: dict[tuple[Any, str], dict] = {}
    if others:
        fields = sorted({f for language in others for f in channel.required_fields_for(language)})
        for row in products_with_completeness(
            live_products().filter(translation_key__in=keys, locale__language_code__in=others)
        ).values(*_TEXT_SCALARS, "locale__language_code", *(f"missing_{f}" for f in fields)):
            translations[row["translation_key"], row["locale__language_code"]] = row
    text_pks = [*pks, *(row["pk"] for row in translations.values())]
    features = _features(text_pks, etim)
    categories: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for product_id, category_id, slug in (
        Product.categories.through.objects.filter(product_id__in=pks)
        .order_by("product_id", "category__sort_order", "category_id")
        .values_list("product_id", "category_id", "category__slug")
    ):
        categories[product_id].append((category_id, slug))
    images: dict[int, list[FeedAsset]] = defaultdict(list)
    storage = Image._meta.get_field("file").storage
    for product_id, alt, name in (
        ProductImage.objects.filter(product_id__in=pks)
        .order_by("product_id", "sort_order", "pk")
        .values_list("product_id", "alt_text", "image__file")
    ):
        images[product_id].append(
            FeedAsset(_absolute(storage.url(name)), _mime_type(name), os.path.basename(name), alt)
        )
    documents: dict[int, list[FeedAsset]] = defaultdict(list)
    for product_id, document_id, label, title, name in (
        ProductDocument.objects.filter(product_id__in=pks)
        .order_by("product_id", "sort_order", "pk")
        .values_list("product_id", "document_id", "label", "document__title", "document__file")
    ):
        documents[product_id].append(
            FeedAsset(
                _absolute(document_url(document_id, name)),
                _mime_type(name),
                os.path.basename(name),
                label or title,
                _purpose(label or title),
            )
        )
    other_classes: dict[int, dict[str, str]] = defaultdict(dict)
    for product_id, release, etim_class in ProductEtimClass.objects.filter(
        product_id__in=pks
    ).values_list("product_id", "release", "etim_class"):
        other_classes[product_id][release] = etim_class

    for pk in pks:
        row = rows[pk]
        first_category = categories[pk][0][0] if categories[pk] else None
        texts = {main: _text(row, main, features, tree, first_category)}
        missing = _missing_labels(row, channel.required_fields_for(main), main, main=True)
        for language in others:
            translated = translations.get((row["translation_key"], language))
            if translated is None:
                missing.append(_("translation (%(language)s)") % {"language": language})
                continue
            texts[language] = _text(translated, language, features, tree, first_category)
            missing.extend(
                _missing_labels(
                    translated, channel.required_fields_for(language), language, main=False
                )
            )
        classes = dict(other_classes[pk])
        if row["etim_class"]:
            classes[row["etim_release"]] = row["etim_class"]
        product = FeedProduct(
            sku=row["sku"],
            texts=texts,
            gtin=row["gtin"],
            brand=row["brand"],
            manufacturer_part_number=row["manufacturer_part_number"],
            manufacturer_name=row["brand"],
            images=tuple(images[pk]),
            documents=tuple(documents[pk]),
            price=row["price"],
            currency=row["currency"],
            availability=row["availability"],
            lead_time_days=row["lead_time_days"],
            etim_classes=classes,
            category_slugs=tuple(slug for _id, slug in categories[pk]),
            net_content=row["net_content"],
            net_content_unit=row["net_content_unit"],
            certifications=(
                (FeedCertification("EC", "EPREL", row["eprel_code"]),) if row["eprel_code"] else ()
            ),
            updated_at=max(filter(None, (row["updated_at"], row["erp_updated_at"])), default=None),
        )
        yield SourceProduct(product_id=pk, product=product, missing=tuple(missing))

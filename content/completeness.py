"""How complete a product is for each channel and language: the field checks, the
per-row flags annotated in SQL, and the values the admin, the API and the feeds read.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale

from channels.base import BaseChannel
from channels.registry import get_channels

from .models import (
    ERP_FIELDS,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
)
from .translation_state import (
    annotate_translation_state,
    needing_translation_q,
    untranslated_fields,
)


def _blank_text(value: object) -> bool:
    return not (value or "").strip()


# An emptied rich text editor leaves an empty paragraph behind.
EMPTY_RICH_TEXT = ("", "<p></p>")


def _blank_rich_text(value: object) -> bool:
    return (value or "").strip() in EMPTY_RICH_TEXT


def _is_none(value: object) -> bool:
    return value is None


@dataclass(frozen=True)
class FieldCheck:
    """How to tell that a required product field is missing, in SQL and on an object.

    The SQL form filters listings ("incomplete for channel X"); the object form judges a
    draft that only exists as a revision. Tests hold the two to the same answer.
    """

    label: str
    missing_q: Callable[[], Q]
    is_missing: Callable[[Product], bool]
    in_row: bool = True  # judged from the product's own columns, no other table


def _text(field: str, label: str) -> FieldCheck:
    return FieldCheck(
        label,
        lambda: Q(**{field: ""}),
        lambda product: _blank_text(getattr(product, field)),
    )


def _nullable(field: str, label: str) -> FieldCheck:
    return FieldCheck(
        label,
        lambda: Q(**{f"{field}__isnull": True}),
        lambda product: _is_none(getattr(product, field)),
    )


def _child_rows(model, relation: str, label: str) -> FieldCheck:
    return FieldCheck(
        label,
        lambda: ~Exists(model.objects.filter(product=OuterRef("pk"))),
        lambda product: not list(getattr(product, relation).all()),
        in_row=False,
    )


FIELD_CHECKS: dict[str, FieldCheck] = {
    "sku": _text("sku", _("SKU")),
    "gtin": _text("gtin", _("GTIN")),
    "brand": _text("brand", _("brand")),
    "manufacturer_part_number": _text("manufacturer_part_number", _("manufacturer part number")),
    "name": _text("name", _("name")),
    "short_text": _text("short_text", _("short text")),
    "long_text": FieldCheck(
        _("long text"),
        lambda: Q(long_text__in=EMPTY_RICH_TEXT),
        lambda product: _blank_rich_text(product.long_text),
    ),
    "etim_class": _text("etim_class", _("ETIM class")),
    "features": _child_rows(ProductFeature, "features", _("features")),
    "categories": FieldCheck(
        _("categories"),
        lambda: ~Exists(Product.categories.through.objects.filter(product=OuterRef("pk"))),
        lambda product: not list(product.categories.all()),
        in_row=False,
    ),
    "images": _child_rows(ProductImage, "images", _("images")),
    "documents": _child_rows(ProductDocument, "documents", _("documents")),
    "price": _nullable("price", _("price")),
    "availability": _text("availability", _("availability")),
    "lead_time_days": _nullable("lead_time_days", _("lead time")),
}


@dataclass(frozen=True)
class Completeness:
    """How complete one product is for one channel in one locale."""

    channel_key: str
    channel_name: str
    locale: str
    required: tuple[str, ...]
    missing: tuple[str, ...]
    translated: bool = True
    # Text fields of a copy made by "Translate" still in the source language: each counts
    # as one more thing to do, required by the channel or not.
    untranslated: tuple[str, ...] = ()

    @property
    def percent(self) -> int:
        if not self.translated:
            return 0
        todo = set(self.required) | set(self.untranslated)
        if not todo:
            return 100
        done = todo - set(self.missing) - set(self.untranslated)
        return len(done) * 100 // len(todo)

    @property
    def complete(self) -> bool:
        return self.translated and not self.missing and not self.untranslated

    @property
    def missing_labels(self) -> list[str]:
        if not self.translated:
            return [str(_("translation"))]
        labels = [str(FIELD_CHECKS[field].label) for field in self.missing]
        return labels + [
            str(_("%(field)s (not translated)"))
            % {"field": FIELD_CHECKS[field].label if field in FIELD_CHECKS else field}
            for field in self.untranslated
            if field not in self.missing
        ]

    @property
    def editor_missing_labels(self) -> list[str]:
        """What an editor can still fill in: the missing fields the ERP does not deliver."""
        if not self.translated:
            return [str(_("translation"))]
        return [str(FIELD_CHECKS[f].label) for f in self.missing if f not in ERP_FIELDS]

    @property
    def erp_missing_labels(self) -> list[str]:
        """Missing fields only the ERP import fills (price, availability): the admin shows
        them read-only, so no editor can complete them."""
        if not self.translated:
            return []
        return [str(FIELD_CHECKS[f].label) for f in self.missing if f in ERP_FIELDS]


# (channel, locale) -> the fields it requires, and interned Completeness values: a page
# of 200 products asks 1,200 times and meets a handful of distinct answers. The channel
# objects are the registry's (rebuilt when HUB_CHANNELS changes), so the keys follow it.
_REQUIRED: dict[tuple[BaseChannel, str], tuple[str, ...]] = {}
_INTERNED: dict[tuple, Completeness] = {}
_CACHE_LIMIT = 10_000


def _required(channel: BaseChannel, locale: str) -> tuple[str, ...]:
    key = (channel, locale)
    required = _REQUIRED.get(key)
    if required is None:
        if len(_REQUIRED) >= _CACHE_LIMIT:
            _REQUIRED.clear()
        required = _REQUIRED[key] = tuple(channel.required_fields_for(locale))
    return required


def _missing_fields(
    product: Product, required: tuple[str, ...], checked: dict[str, bool]
) -> tuple[str, ...]:
    # Rows annotated by products_with_completeness() answer without further queries; on
    # other objects each field is checked once per call of product_completeness and
    # remembered in ``checked`` for the other channels (six channels: six image queries).
    missing = []
    values = product.__dict__
    for field in required:
        flag = values.get(f"missing_{field}")
        if flag is None:
            flag = checked.get(field)
            if flag is None:
                flag = checked[field] = FIELD_CHECKS[field].is_missing(product)
        if flag:
            missing.append(field)
    return tuple(missing)


def _completeness(
    key: str,
    channel: BaseChannel,
    locale: str,
    product: Product,
    checked: dict[str, bool],
    untranslated: tuple[str, ...],
) -> Completeness:
    required = _required(channel, locale)
    missing = _missing_fields(product, required, checked)
    interned_key = (key, channel, locale, missing, untranslated)
    found = _INTERNED.get(interned_key)
    if found is None:
        if len(_INTERNED) >= _CACHE_LIMIT:
            _INTERNED.clear()
        found = _INTERNED[interned_key] = Completeness(
            channel_key=key,
            channel_name=channel.name,
            locale=locale,
            required=required,
            missing=missing,
            untranslated=untranslated,
        )
    return found


def completeness_for(product: Product, channel_key: str) -> Completeness:
    """Completeness of this product version, in its own locale, for one channel.

    No query for a row from ``products_with_completeness`` (or ``channel_ready_products``).
    """
    channel = get_channels()[channel_key]
    locale = product.locale.language_code
    return _completeness(channel_key, channel, locale, product, {}, untranslated_fields(product))


def product_completeness(product: Product) -> list[Completeness]:
    """Completeness of this product version, in its own locale, for every channel.

    No query for a row from ``products_with_completeness``.
    """
    checked: dict[str, bool] = {}
    locale = product.locale.language_code
    untranslated = untranslated_fields(product)
    return [
        _completeness(key, channel, locale, product, checked, untranslated)
        for key, channel in get_channels().items()
    ]


def product_completeness_matrix(product: Product) -> list[Completeness]:
    """Completeness for every channel x content locale.

    ``product`` (possibly an unsaved draft from a revision) stands for its own locale; the
    other locales are judged on their latest version, and a missing translation is 0 %.
    """
    results: list[Completeness] = []
    translations = {product.locale_id: product}
    if product.pk:
        for other in Product.objects.filter(translation_key=product.translation_key).exclude(
            pk=product.pk
        ):
            translations[other.locale_id] = other.get_latest_revision_as_object()
    for locale in Locale.objects.order_by("pk"):
        version = translations.get(locale.pk)
        if version is None:
            results.extend(
                Completeness(
                    channel_key=key,
                    channel_name=channel.name,
                    locale=locale.language_code,
                    required=channel.required_fields_for(locale.language_code),
                    missing=(),
                    translated=False,
                )
                for key, channel in get_channels().items()
            )
        else:
            results.extend(product_completeness(version))
    return results


def _required_anywhere() -> set[str]:
    return {
        field
        for channel in get_channels().values()
        for fields in channel.required_fields.values()
        for field in fields
    }


def products_with_completeness(
    queryset: QuerySet[Product], *, relations_only: bool = False
) -> QuerySet[Product]:
    """Annotate ``missing_<field>`` flags so a page of products needs no query per row.

    ``relations_only`` annotates only the flags of other tables (features, categories,
    images, documents): for model rows, whose own columns are loaded anyway and checked in
    Python for nothing, while every SQL flag costs compiling a subquery.
    """
    return (
        annotate_translation_state(queryset)
        .select_related("locale")
        .annotate(
            **{
                f"missing_{field}": ExpressionWrapper(
                    FIELD_CHECKS[field].missing_q(), output_field=BooleanField()
                )
                for field in sorted(_required_anywhere())
                if not (relations_only and FIELD_CHECKS[field].in_row)
            }
        )
    )


def _incomplete_condition(channel_key: str) -> Q:
    channel = get_channels()[channel_key]
    condition = Q()
    for locale in Locale.objects.all():
        fields = channel.required_fields_for(locale.language_code)
        if not fields:
            continue
        missing_any = Q()
        for field in fields:
            missing_any |= FIELD_CHECKS[field].missing_q()
        condition |= Q(locale=locale) & missing_any
    # A copy whose text is still the source language's is not complete for any channel.
    return condition | needing_translation_q()


def products_incomplete_for(queryset: QuerySet[Product], channel_key: str) -> QuerySet[Product]:
    """Products missing at least one field ``channel_key`` requires in their own locale."""
    condition = _incomplete_condition(channel_key)
    return queryset.filter(condition) if condition else queryset.none()


def products_complete_for(queryset: QuerySet[Product], channel_key: str) -> QuerySet[Product]:
    """Products with every field ``channel_key`` requires in their own locale."""
    condition = _incomplete_condition(channel_key)
    return queryset.exclude(condition) if condition else queryset


# --- live content ---------------------------------------------------------------------------

"""Reads of content: live products and messages, the category tree, completeness per
channel and locale, and who may fetch an asset.

This module is how other apps (campaigns, channels) read content: they never query
``content.models`` themselves. Only live rows are live content: a live item's row is its
published, approved version (drafts live in revisions), so nothing here returns a draft
unless its name says so (``known_skus``).
"""

from __future__ import annotations

import os
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    ExpressionWrapper,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
)
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from wagtail.documents.models import Document
from wagtail.images import get_image_model
from wagtail.images.models import Image
from wagtail.models import DraftStateMixin, Locale, ReferenceIndex
from wagtail.permissions import policy_registry

from channels.base import BaseChannel
from channels.registry import get_channels

from .models import (
    ERP_FIELDS,
    AudienceMessage,
    Category,
    EtimFeature,
    Product,
    ProductDocument,
    ProductFeature,
    ProductImage,
    ProductRelation,
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


def live_products(*, locale: str | None = None) -> QuerySet[Product]:
    """Every live product, in one language (``locale``, a language code) or all of them."""
    products = Product.objects.filter(live=True)
    return products if locale is None else products.filter(locale__language_code=locale)


def channel_ready_products(
    *, translation_keys: Iterable, locale: str, renditions: Iterable[str] = ()
) -> QuerySet[Product]:
    """The live versions in ``locale`` of these products (by translation key), ready for a
    channel: completeness flags annotated, images loaded with their existing ``renditions``
    (filter specs), so judging and showing them needs no further query however many there
    are (a rendition not made yet is made once, on first use)."""
    images = get_image_model().objects.prefetch_renditions(*renditions)
    return products_with_completeness(
        live_products(locale=locale).filter(translation_key__in=list(translation_keys))
    ).prefetch_related(Prefetch("images__image", queryset=images))


def live_products_complete_for(
    *,
    locale: str,
    channel_keys: Iterable[str],
    skus: Iterable[str] | None = None,
    category_ids: Iterable[int] | None = None,
) -> QuerySet[Product]:
    """Live products in ``locale`` complete for every one of ``channel_keys``, by SKU or in
    any of the categories (then with their categories loaded), ordered by SKU, with their
    images loaded."""
    products = live_products(locale=locale)
    for key in channel_keys:
        products = products_complete_for(products, key)
    if skus is not None:
        products = products.filter(sku__in=list(skus))
    if category_ids is not None:
        products = (
            products.filter(categories__in=list(category_ids))
            .prefetch_related("categories")
            .distinct()
        )
    return products.prefetch_related("images__image").order_by("sku")


def live_messages(
    *, locale: str | None = None, require_live_product: bool = True
) -> QuerySet[AudienceMessage]:
    """Live audience messages, in one language or all, with their product loaded.

    With ``require_live_product`` (channels reading the API) only messages that are
    free-standing or about a live product; without it every live message, for campaigns,
    which show a message about a withdrawn product without the product.
    """
    messages = AudienceMessage.objects.filter(live=True)
    if require_live_product:
        messages = messages.filter(Q(product__isnull=True) | Q(product__live=True))
    if locale is not None:
        messages = messages.filter(locale__language_code=locale)
    return messages.select_related("locale", "product")


@dataclass(frozen=True)
class RelatedProduct:
    """A live product related to another: its spare or wear part, or its accessory."""

    kind: str
    note: str
    product: Product


def related_products(
    product_translation_keys: Iterable, *, locale: str, kinds: Iterable[str] | None = None
) -> dict[uuid.UUID, list[RelatedProduct]]:
    """For each source product (by translation key), its live related products in ``locale``,
    in the editor's order.

    The relations are those of the source's live version in ``locale`` (or, where the
    source is not live in that language, of its live version in the default language):
    a live row is its published revision, so a relation added in a later draft is not
    used. Each related product is its live version in ``locale``, found by translation
    key; one that is not live there is left out. Three queries however many sources.
    """
    keys = [uuid.UUID(str(key)) for key in product_translation_keys]
    result: dict[uuid.UUID, list[RelatedProduct]] = {key: [] for key in keys}
    if not keys:
        return result
    languages = {locale, settings.LANGUAGE_CODE}
    sources = live_products().filter(translation_key__in=keys, locale__language_code__in=languages)
    chosen: dict[uuid.UUID, int] = {}
    for pk, key, language in sources.values_list("pk", "translation_key", "locale__language_code"):
        if language == locale or key not in chosen:
            chosen[key] = pk
    relations = ProductRelation.objects.filter(product_id__in=chosen.values())
    if kinds is not None:
        relations = relations.filter(kind__in=list(kinds))
    rows = list(
        relations.order_by("product_id", "sort_order", "pk").values_list(
            "product__translation_key", "kind", "note", "related__translation_key"
        )
    )
    targets = {
        product.translation_key: product
        for product in live_products(locale=locale)
        .filter(translation_key__in={row[3] for row in rows})
        .select_related("locale")
    }
    for source_key, kind, note, related_key in rows:
        target = targets.get(related_key)
        if target is not None:
            result[source_key].append(RelatedProduct(kind=kind, note=note, product=target))
    return result


def product_translation_keys(sku: str) -> QuerySet:
    """The translation keys of the products with this SKU, as a subquery."""
    return Product.objects.filter(sku=sku).values("translation_key")


# --- the category tree ----------------------------------------------------------------------


def category_exists(slug: str) -> bool:
    return Category.objects.filter(slug=slug).exists()


def category_ids(slugs: Iterable[str]) -> dict[str, int]:
    """Slug -> id of the categories with these slugs (unknown slugs are left out)."""
    return dict(Category.objects.filter(slug__in=set(slugs)).values_list("slug", "pk"))


def category_nodes() -> list[tuple[int, int | None, str]]:
    """Every category as (id, parent id, slug): the whole tree in one query."""
    return list(Category.objects.values_list("pk", "parent_id", "slug"))


def category_subtree(slug: str) -> list[int]:
    """The ids of the category with this slug and of all below it; [] for an unknown slug."""
    nodes = category_nodes()
    children: dict[int | None, list[int]] = {}
    for pk, parent, _slug in nodes:
        children.setdefault(parent, []).append(pk)
    subtree: list[int] = []
    stack = [pk for pk, _parent, node_slug in nodes if node_slug == slug]
    while stack:
        node = stack.pop()
        subtree.append(node)
        stack.extend(children.get(node, []))
    return subtree


def category_tree_version() -> tuple[int, object]:
    """(How many categories, when one last changed): the tree's version, in one query."""
    summary = Category.objects.aggregate(count=Count("pk"), at=Max("updated_at"))
    return summary["count"], summary["at"]


def categories_in_order() -> list[Category]:
    return list(Category.objects.order_by("sort_order", "name", "pk"))


def product_category_links() -> list[tuple[str, int]]:
    """(SKU, category id) of every product's categories, any locale, live or draft."""
    return list(Product.categories.through.objects.values_list("product__sku", "category_id"))


def skus_in_categories(category_ids: Iterable[int]) -> QuerySet:
    """The SKUs of products in these categories, as a subquery (``sku__in=``)."""
    return Product.categories.through.objects.filter(category_id__in=list(category_ids)).values(
        "product__sku"
    )


def channel_choices() -> Iterable[tuple[str, str]]:
    return [(key, channel.name) for key, channel in get_channels().items()]


def product_model() -> type[Product]:
    """The product snippet class, for another app's signal receivers (``sender=``)."""
    return Product


def catalogue_reference_models() -> tuple[type, ...]:
    """The snippets whose change alters how every product reads in a file (the category
    tree: paths and selections; the ETIM reference data: feature types), for another app's
    admin hooks."""
    return (Category, EtimFeature)


def known_skus(skus: Iterable[str]) -> set[str]:
    """Which of these SKUs a product in the hub has (in any locale, live or draft)."""
    return set(Product.objects.filter(sku__in=set(skus)).values_list("sku", flat=True).distinct())


# --- who may fetch an image or document file ------------------------------------------------


def asset_is_public(asset: Image | Document) -> bool:
    """Whether anyone may fetch ``asset`` (an image or a document): live content uses it.

    Live content is a live product (its published revision: a product's rows change only
    when a revision is published) or any other live item that refers to the asset, such as
    an approved campaign's newsletter, found through Wagtail's reference index. The files of
    a product that was never approved stay in the hub.
    """
    if isinstance(asset, Document):
        direct = ProductDocument.objects.filter(document_id=asset.pk, product__live=True)
    else:
        direct = ProductImage.objects.filter(image_id=asset.pk, product__live=True)
    if direct.exists():
        return True
    referrers: dict[int, set[str]] = defaultdict(set)
    for content_type_id, object_id in ReferenceIndex.get_references_to(asset).values_list(
        "base_content_type_id", "object_id"
    ):
        referrers[content_type_id].add(object_id)
    for content_type_id, object_ids in referrers.items():
        model = ContentType.objects.get_for_id(content_type_id).model_class()
        if (
            model is not None
            and issubclass(model, DraftStateMixin)
            and model._default_manager.filter(pk__in=object_ids, live=True).exists()
        ):
            return True
    return False


def document_url(document_id: int, name: str) -> str:
    """A document's URL from its id and stored file name, without building a Document
    (whose defaults cost a query each): the file itself when documents are served
    directly, else Wagtail's checked serve view."""
    if getattr(settings, "WAGTAILDOCS_SERVE_METHOD", None) == "direct":
        return Document._meta.get_field("file").storage.url(name)
    return reverse("wagtaildocs_serve", args=[document_id, os.path.basename(name)])


def user_may_see_asset(user, asset: Image | Document) -> bool:
    """Whether an admin user may see ``asset`` though it is not public (to edit or choose it)."""
    if not (user.is_authenticated and user.has_perm("wagtailadmin.access_admin")):
        return False
    policy = policy_registry.get_by_type(type(asset))
    return policy.user_has_any_permission_for_instance(user, ["change", "choose"], asset)

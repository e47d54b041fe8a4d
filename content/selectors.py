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
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import (
    Count,
    Max,
    Prefetch,
    Q,
    QuerySet,
)
from django.urls import reverse
from wagtail.documents.models import Document
from wagtail.images import get_image_model
from wagtail.images.models import Image
from wagtail.models import DraftStateMixin, ReferenceIndex
from wagtail.permissions import policy_registry

from channels.registry import get_channels

from .completeness import (  # noqa: F401 - the completeness reads, where callers look for them
    EMPTY_RICH_TEXT,
    FIELD_CHECKS,
    Completeness,
    FieldCheck,
    completeness_for,
    product_completeness,
    product_completeness_matrix,
    products_complete_for,
    products_incomplete_for,
    products_with_completeness,
)
from .models import (
    AudienceMessage,
    Category,
    EtimFeature,
    Product,
    ProductDocument,
    ProductImage,
    ProductRelation,
)


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

"""A feed's candidates: every live product in its languages and categories, with the shop
links and the price-group prices the receiver may need, and what the channel finds missing.

``content.feed_source`` reads the content a chunk at a time; this adds what campaigns own
(price-group prices from the ERP) and the shop's product URL per language, one query per
chunk, so a 100,000-product feed streams in flat memory.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings

from campaigns.models import GroupPrice
from channels.feeds import FeedProduct, iter_chunks
from content.feed_source import CHUNK_SIZE, feed_source


@dataclass(frozen=True)
class Candidate:
    """A live product a feed might carry; ``missing`` says why it cannot, if it cannot."""

    product: FeedProduct
    product_id: int  # the live row in the feed's main language, for the edit-view link
    missing: tuple[str, ...]


def shop_product_url(sku: str, language: str) -> str:
    """The product's page in the shop (``HUB_SHOP_PRODUCT_URL``; may use ``{language}``)."""
    return settings.HUB_SHOP_PRODUCT_URL.format(sku=sku, language=language)


def _with_urls(product: FeedProduct) -> dict:
    return {
        language: dataclasses.replace(text, url=shop_product_url(product.sku, language))
        for language, text in product.texts.items()
    }


def feed_candidates(
    *,
    channel_key: str,
    languages: Sequence[str],
    category_slugs: Sequence[str] = (),
    price_groups: Sequence[str] = (),
) -> Iterator[Candidate]:
    """Every live product in ``languages[0]`` (in these categories and below; all when
    none are given), ordered by SKU, lazily; with the prices of ``price_groups``."""
    source = feed_source(
        channel_key=channel_key, languages=languages, category_slugs=category_slugs
    )
    for chunk in iter_chunks(source, CHUNK_SIZE):
        prices: dict[str, dict[str, Decimal]] = defaultdict(dict)
        if price_groups:
            for sku, group, price in GroupPrice.objects.filter(
                sku__in=[item.product.sku for item in chunk], price_group__in=list(price_groups)
            ).values_list("sku", "price_group", "price"):
                prices[sku][group] = price
        for item in chunk:
            product = dataclasses.replace(
                item.product,
                texts=_with_urls(item.product),
                group_prices=prices.get(item.product.sku, {}),
            )
            yield Candidate(product=product, product_id=item.product_id, missing=item.missing)

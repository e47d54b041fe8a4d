"""Offers from purchase history: re-orders, spare parts, accessories, complementary products
and what was viewed and not bought, each with the reason it was chosen.

The interface the placements use. Fast by design: each account's offers are kept up to
date away from the request (``refresh``: after its orders change, and nightly), and a
request reads those rows, the contact's recent views and the live products (``read``).
"""

from __future__ import annotations

from collections.abc import Sequence

from channels.placements import Offer

from .read import offers_answer


def offers_for(
    *,
    contact_id: int | None,
    locale: str,
    kinds: Sequence[str],
    limit: int,
    price_group: str = "",
) -> tuple[Offer, ...]:
    """The offers for a contact's account (and, for "viewed", the contact), best first.

    Reads only precomputed state and live products: a fixed number of queries, no scan of
    orders. Cards carry the price group's price where it has one, else the list price.
    """
    return offers_answer(
        contact_id=contact_id, locale=locale, kinds=kinds, limit=limit, price_group=price_group
    ).offers

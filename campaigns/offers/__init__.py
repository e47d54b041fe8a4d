"""Offers from purchase history: re-orders, spare parts, accessories, complementary products
and what was viewed and not bought, each with the reason it was chosen.

The interface the placements use; the engine behind it is built in this package.
"""

from __future__ import annotations

from collections.abc import Sequence

from channels.placements import Offer


def offers_for(
    *,
    contact_id: int | None,
    locale: str,
    kinds: Sequence[str],
    limit: int,
    price_group: str = "",
) -> tuple[Offer, ...]:
    """The offers for a contact's account (and, for "viewed", the contact), best first.

    Reads only precomputed state and live products: one or two queries, no scan of orders.
    """
    return ()

"""Serving offers: the stored rows of the contact's account, the contact's recent product
views, and the live products, in a fixed number of queries whatever the history.

Queries: the contact's account; the account's stored offers (due re-orders only); the
contact's product views of the last 30 days, each with whether the account ordered the
product since (one query on the (contact, kind, occurred_at) index); the live products in
the answer's language with their images; the price group's prices. A product withdrawn
after the last refresh is not live, so it is not offered from the next read on.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from django.db.models import Exists, OuterRef, Q
from django.utils import formats, timezone, translation
from django.utils.translation import gettext, ngettext

from campaigns.models import AccountOffer, Contact, Event, EventKind, GroupPrice, OrderLine
from campaigns.personalisation import CARD_RENDITION, VIEWED_DAYS, product_card
from channels.placements import OFFER_KINDS, Offer
from content.offer_source import live_products_for_cards

VIEWED_ROWS = 200  # the newest views read per request; more say nothing new


@dataclass(frozen=True)
class OffersAnswer:
    """The offers, and which of their SKUs carry the price group's price (the others the
    list price)."""

    offers: tuple[Offer, ...] = ()
    group_priced: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Candidate:
    kind: str
    sku: str
    params: dict


def _stored(account_id: int, kinds: list[str], today: dt.date) -> list[_Candidate]:
    rows = (
        AccountOffer.objects.filter(account_id=account_id, kind__in=kinds)
        .filter(Q(due_on__isnull=True) | Q(due_on__lte=today))
        .order_by("-score", "sku")
        .values_list("kind", "sku", "params")
    )
    return [_Candidate(kind, sku, params) for kind, sku, params in rows]


def _viewed(contact_id: int, account_id: int | None, now: dt.datetime) -> list[_Candidate]:
    """The products the contact viewed lately and their account (or, without one, they
    themselves) did not order after the latest view, most recently viewed first."""
    buyer = Q(order__account_id=account_id) if account_id else Q(order__contact_id=contact_id)
    ordered_since = OrderLine.objects.filter(
        buyer, sku=OuterRef("sku"), order__ordered_at__gte=OuterRef("occurred_at")
    )
    rows = (
        Event.objects.filter(
            contact_id=contact_id,
            kind=EventKind.PRODUCT_VIEW,
            occurred_at__gte=now - dt.timedelta(days=VIEWED_DAYS),
        )
        .exclude(sku="")
        .annotate(ordered_since=Exists(ordered_since))
        .order_by("-occurred_at", "-pk")
        .values_list("sku", "occurred_at", "ordered_since")[:VIEWED_ROWS]
    )
    seen: set[str] = set()
    found = []
    for sku, occurred_at, ordered in rows:
        if sku in seen:
            continue
        seen.add(sku)  # the latest view of a product decides
        if not ordered:
            found.append(_Candidate("viewed", sku, {"viewed_on": timezone.localdate(occurred_at)}))
    return found


def _date(value: str | dt.date) -> str:
    day = dt.date.fromisoformat(value) if isinstance(value, str) else value
    return formats.date_format(day, "DATE_FORMAT")


def _reason(candidate: _Candidate, names: dict[str, str], locale: str) -> str:
    """The sentence saying why, in the active language (the caller overrides it)."""
    params = candidate.params
    if candidate.kind == "reorder":
        days = params["interval_days"]
        return ngettext(
            "You order this about every day; last ordered on %(date)s.",
            "You order this about every %(days)s days; last ordered on %(date)s.",
            days,
        ) % {"days": days, "date": _date(params["last_ordered_on"])}
    if candidate.kind == "spare_part":
        return gettext("A spare part for %(product)s, which you bought.") % {
            "product": names.get(params["bought"], params["bought"])
        }
    if candidate.kind == "accessory":
        return gettext("An accessory for %(product)s, which you bought.") % {
            "product": names.get(params["bought"], params["bought"])
        }
    if candidate.kind == "complementary":
        category = params["names"].get(locale) or next(iter(params["names"].values()), "")
        return gettext("You often buy from %(category)s.") % {"category": category}
    return gettext("You looked at this on %(date)s.") % {"date": _date(params["viewed_on"])}


def offers_answer(
    *,
    contact_id: int | None,
    locale: str,
    kinds: Sequence[str],
    limit: int,
    price_group: str = "",
    now: dt.datetime | None = None,
) -> OffersAnswer:
    """The offers for a contact's account (and, for "viewed", the contact), in the order of
    ``kinds``, best first within a kind, each product once, at most ``limit``. Unknown
    kinds are ignored (the API refuses them first)."""
    wanted = [kind for kind in dict.fromkeys(kinds) if kind in OFFER_KINDS]
    if contact_id is None or limit <= 0 or not wanted:
        return OffersAnswer()
    now = now or timezone.now()
    contact = Contact.objects.filter(pk=contact_id).values_list("account_id", flat=True)
    found = list(contact)
    if not found:
        return OffersAnswer()
    account_id = found[0]
    stored_kinds = [kind for kind in wanted if kind != "viewed"]
    candidates = (
        _stored(account_id, stored_kinds, timezone.localdate(now))
        if account_id and stored_kinds
        else []
    )
    if "viewed" in wanted:
        candidates += _viewed(contact_id, account_id, now)
    if not candidates:
        return OffersAnswer()
    sources = {c.params["bought"] for c in candidates if "bought" in c.params}
    products = {
        product.sku: product
        for product in live_products_for_cards(
            {c.sku for c in candidates} | sources, locale=locale, renditions=[CARD_RENDITION]
        )
    }
    names = {sku: product.name for sku, product in products.items()}
    prices: dict[str, tuple[Decimal, str]] = (
        {
            sku: (price, currency)
            for sku, price, currency in GroupPrice.objects.filter(
                price_group=price_group, sku__in=[c.sku for c in candidates if c.sku in products]
            ).values_list("sku", "price", "currency")
        }
        if price_group
        else {}
    )
    by_kind: dict[str, list[_Candidate]] = {kind: [] for kind in wanted}
    for candidate in candidates:
        by_kind[candidate.kind].append(candidate)
    offers: list[Offer] = []
    used: set[str] = set()
    with translation.override(locale):
        for kind in wanted:
            for candidate in by_kind[kind]:
                product = products.get(candidate.sku)
                if product is None or candidate.sku in used or len(offers) >= limit:
                    continue
                used.add(candidate.sku)
                card = product_card(product)
                if candidate.sku in prices:
                    price, currency = prices[candidate.sku]
                    card = replace(card, price=price, currency=currency)
                offers.append(
                    Offer(
                        product=card,
                        kind=kind,
                        reason=_reason(candidate, names, locale),
                        lead_time_days=product.lead_time_days,
                    )
                )
    return OffersAnswer(
        offers=tuple(offers),
        group_priced=frozenset(
            offer.product.sku for offer in offers if offer.product.sku in prices
        ),
    )

"""Reads of campaigns and their audience: who a segment reaches, which campaigns are due,
how a campaign's sending goes, and the recipients of a batch as a channel sees them.

Querysets and plain data, no writes; the services (``campaigns.services``) and the admin
read through here. Per recipient, everything personal is fetched for a whole batch at once:
a constant number of queries however large the batch; personal products that are
incomplete for a channel that shows them are skipped.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum
from django.db.models.functions import Length
from django.utils import timezone
from pyroaring import BitMap

from channels import base as contract
from channels.registry import get_channels
from content.selectors import live_products_complete_for

from .models import (
    BitmapSpan,
    Campaign,
    CampaignStatus,
    Contact,
    ContactBitmap,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    GroupPrice,
    OrderLine,
    OrderTotals,
    PairKind,
    ProductPairs,
    ScheduleMode,
    Segment,
    SegmentKind,
    SegmentMember,
    SegmentState,
)
from .models.campaign import OPEN_DELIVERY_STATES
from .personalisation import PERSONAL_PRODUCTS, VIEWED_DAYS, greeting, local_moment, product_card
from .segments import compile_rules
from .segments.backends import SegmentBackend, reachable_q, segment_backend
from .tracking import delivery_token, web_version_token

if TYPE_CHECKING:  # for annotations only: content is read through content.selectors
    from content.models import Product

# --- the audience ---------------------------------------------------------------------------


def reachable(queryset: QuerySet[Contact]) -> QuerySet[Contact]:
    """Only contacts who confirmed consent and whose address is not suppressed."""
    return queryset.filter(reachable_q())


def segment_contacts(
    segment: Segment,
    *,
    now: dt.datetime | None = None,
    rules: Any = None,
    kind: str | None = None,
    include_all: bool | None = None,
) -> QuerySet[Contact]:
    """The contacts in a segment now: its rules (or list) minus the unreachable.

    ``rules``, ``kind`` and ``include_all`` override the segment's own values, so the
    editor can count a tree before it is saved.
    """
    kind = kind or segment.kind
    include_all = segment.include_all if include_all is None else include_all
    contacts = Contact.objects.all()
    if kind == SegmentKind.STATIC:
        members = SegmentMember.objects.filter(segment_id=segment.pk, contact=OuterRef("pk"))
        contacts = contacts.filter(Exists(members)) if segment.pk else contacts.none()
    else:
        tree = segment.rules if rules is None else rules
        contacts = contacts.filter(compile_rules(tree, now=now or timezone.now()))
    return contacts if include_all else reachable(contacts)


def segment_members(
    segment: Segment,
    *,
    now: dt.datetime | None = None,
    rules: Any = None,
    kind: str | None = None,
    include_all: bool | None = None,
    within: BitMap | None = None,
    backend: SegmentBackend | None = None,
) -> BitMap:
    """The ids of the contacts in a segment now, as ``segment_contacts`` selects them, from
    the configured backend (the bitmaps by default: what counts and listings read)."""
    backend = backend or segment_backend()
    kind = kind or segment.kind
    include_all = segment.include_all if include_all is None else include_all
    if kind == SegmentKind.STATIC:
        listed = SegmentMember.objects.filter(segment_id=segment.pk) if segment.pk else None
        members = BitMap(listed.values_list("contact_id", flat=True)) if listed else BitMap()
        if within is not None:
            members &= within
    else:
        tree = segment.rules if rules is None else rules
        members = backend.members(tree, now=now or timezone.now(), within=within)
    return members if include_all else members & backend.reachable(within)


def segment_data_until(backend: SegmentBackend) -> dt.datetime | None:
    """Up to when the data behind a backend's answer goes: the moment the bitmaps were last
    refreshed, or None when SQL answers (exact at the moment it runs)."""
    if backend.name != "bitmap":
        return None
    return SegmentState.objects.values_list("refreshed_at", flat=True).first()


@dataclass(frozen=True)
class SegmentStateSize:
    """What the segment state holds: contact sets per span, their bytes, order-day rows,
    (contact, SKU) pairs of views and order lines (per day, summed)."""

    sets: dict[str, int]
    set_bytes: int
    order_days: int
    pairs: dict[str, int]


def segment_state_size() -> SegmentStateSize:
    rows = ContactBitmap.objects.order_by().values_list("span").annotate(n=Count("*"))
    return SegmentStateSize(
        sets={span: dict(rows).get(span, 0) for span in BitmapSpan.values},
        set_bytes=ContactBitmap.objects.aggregate(n=Sum(Length("bits")))["n"] or 0,
        order_days=OrderTotals.objects.filter(span=BitmapSpan.DAY).aggregate(n=Sum("size"))["n"]
        or 0,
        pairs={
            kind: ProductPairs.objects.filter(span=BitmapSpan.DAY, kind=kind).aggregate(
                n=Sum("size")
            )["n"]
            or 0
            for kind in PairKind.values
        },
    )


# --- campaigns due, and their progress ------------------------------------------------------


# The earliest clock on Earth (UTC+14): a local-time campaign is dispatched when its hour
# arrives there, and every other zone's rows wait for their own hour.
EARLIEST_ZONE = ZoneInfo("Etc/GMT-14")


def campaigns_due(now: dt.datetime) -> list[int]:
    """Scheduled campaigns whose dispatch is due now."""
    due = []
    for pk, mode, send_at, local_time in Campaign.objects.filter(
        status=CampaignStatus.SCHEDULED
    ).values_list("pk", "schedule_mode", "send_at", "local_send_time"):
        if mode == ScheduleMode.LOCAL:
            day = timezone.localtime(send_at).date()
            start = local_moment(day, local_time, EARLIEST_ZONE)
        else:
            start = send_at or now
        if start <= now:
            due.append(pk)
    return due


def campaign_progress(campaign: Campaign) -> dict[str, int]:
    """Deliveries per state, every state present (zero when none)."""
    counts = dict(
        Delivery.objects.filter(campaign=campaign)
        .order_by()
        .values_list("state")
        .annotate(n=Count("*"))
        .values_list("state", "n")
    )
    progress = {state.value: counts.get(state.value, 0) for state in DeliveryState}
    progress["total"] = sum(counts.values())
    progress["open"] = sum(counts.get(state, 0) for state in OPEN_DELIVERY_STATES)
    return progress


def campaigns_progress(campaign_ids: Iterable[int]) -> dict[int, dict[str, int]]:
    """``campaign_progress`` for several campaigns in one query (the home dashboard's list)."""
    ids = list(campaign_ids)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        Delivery.objects.filter(campaign_id__in=ids)
        .order_by()
        .values("campaign_id", "state")
        .annotate(n=Count("*"))
        .values_list("campaign_id", "state", "n")
    )
    for campaign_id, state, n in rows:
        counts[campaign_id][state] = n
    result = {}
    for campaign_id in ids:
        by_state = counts.get(campaign_id, {})
        progress = {state.value: by_state.get(state.value, 0) for state in DeliveryState}
        progress["total"] = sum(by_state.values())
        progress["open"] = sum(by_state.get(state, 0) for state in OPEN_DELIVERY_STATES)
        result[campaign_id] = progress
    return result


def campaign_unsent_reasons(campaign: Campaign, *, limit: int = 10) -> list[dict]:
    """Why messages failed or are in doubt: each state and reason with its count, most first."""
    rows = (
        Delivery.objects.filter(
            campaign=campaign, state__in=[DeliveryState.FAILED, DeliveryState.IN_DOUBT]
        )
        .order_by()
        .values("state", "detail")
        .annotate(count=Count("*"))
        .order_by("-count", "state", "detail")[:limit]
    )
    labels = dict(DeliveryState.choices)
    return [
        {
            "state": row["state"],
            "state_label": str(labels[row["state"]]),
            "reason": row["detail"],
            "count": row["count"],
        }
        for row in rows
    ]


# --- recipients of a batch ------------------------------------------------------------------


@dataclass
class BatchFacts:
    """What a batch's recipients viewed, bought and clicked: loaded once for all of them."""

    viewed: dict[int, list[str]]
    recommended: dict[int, list[str]]
    cards: dict[str, contract.ProductCard]


def _personal_product_channels() -> list[str]:
    """The channels that show products per recipient: personal products must suit them all.

    Viewed and recommended products differ per recipient, so they cannot be checked when a
    campaign is scheduled: an incomplete one is simply not shown.
    """
    return [key for key, channel in get_channels().items() if channel.per_recipient]


def _batch_facts(
    contact_ids: Sequence[int], locale: str, now: dt.datetime, shown: frozenset[str]
) -> BatchFacts:
    """``shown`` are the SKUs the message shows everybody (its grids and messages): a
    personal block repeating one of them would waste a place, so they count as seen."""
    since = now - dt.timedelta(days=VIEWED_DAYS)
    bought: dict[int, set[str]] = defaultdict(set)
    for contact_id, sku in OrderLine.objects.filter(
        order__contact_id__in=contact_ids, order__ordered_at__gte=since
    ).values_list("order__contact_id", "sku"):
        bought[contact_id].add(sku)
    viewed: dict[int, Counter] = defaultdict(Counter)
    clicked: dict[int, Counter] = defaultdict(Counter)
    for contact_id, kind, sku, category_id in Event.objects.filter(
        Q(kind=EventKind.PRODUCT_VIEW) & ~Q(sku="") | Q(kind=EventKind.CATEGORY_CLICK),
        contact_id__in=contact_ids,
        occurred_at__gte=since,
    ).values_list("contact_id", "kind", "sku", "category_id"):
        if kind == EventKind.PRODUCT_VIEW:
            if sku not in bought[contact_id] and sku not in shown:
                viewed[contact_id][sku] += 1
        elif category_id:
            clicked[contact_id][category_id] += 1
    top_viewed = {
        contact_id: [sku for sku, _n in counts.most_common(PERSONAL_PRODUCTS)]
        for contact_id, counts in viewed.items()
    }
    categories = {category for counts in clicked.values() for category in counts}
    in_category: dict[int, list[Product]] = defaultdict(list)
    channel_keys = _personal_product_channels()
    for product in (
        live_products_complete_for(
            locale=locale, channel_keys=channel_keys, category_ids=categories
        )
        if categories
        else []
    ):
        for category in product.categories.all():
            if category.pk in categories:
                in_category[category.pk].append(product)
    cards: dict[str, contract.ProductCard] = {}
    for products in in_category.values():
        for product in products:
            cards.setdefault(product.sku, product_card(product))
    wanted = {sku for skus in top_viewed.values() for sku in skus} - set(cards)
    for product in live_products_complete_for(
        locale=locale, channel_keys=channel_keys, skus=wanted
    ):
        cards[product.sku] = product_card(product)
    recommended: dict[int, list[str]] = {}
    for contact_id, counts in clicked.items():
        seen = bought[contact_id] | shown | set(top_viewed.get(contact_id, ()))
        picks: list[str] = []
        for category, _n in counts.most_common():
            for product in in_category.get(category, ()):
                if product.sku not in seen and product.sku not in picks:
                    picks.append(product.sku)
        recommended[contact_id] = picks[:PERSONAL_PRODUCTS]
    return BatchFacts(
        viewed={c: [s for s in skus if s in cards] for c, skus in top_viewed.items()},
        recommended=recommended,
        cards=cards,
    )


def _group_prices(price_groups: set[str], skus: set[str]) -> dict[str, dict[str, Decimal]]:
    """Price group -> SKU -> price, for the SKUs a batch's messages may show."""
    prices: dict[str, dict[str, Decimal]] = defaultdict(dict)
    if price_groups and skus:
        for group, sku, price in GroupPrice.objects.filter(
            price_group__in=price_groups, sku__in=skus
        ).values_list("price_group", "sku", "price"):
            prices[group][sku] = price
    return prices


def recipients_for(
    deliveries: Sequence,
    locale: str,
    *,
    skus: Iterable[str] = (),
    now: dt.datetime | None = None,
) -> list[contract.Recipient]:
    """The channel's view of each delivery's contact, in order; a constant number of queries.

    ``deliveries`` must have ``contact`` (with ``account``) loaded. ``skus`` are the products
    the variant shows everybody: each recipient gets their price group's prices for those
    and for their personal products, which never repeat one of them.
    """
    now = now or timezone.now()
    contact_ids = [delivery.contact_id for delivery in deliveries]
    shown = frozenset(skus)
    facts = _batch_facts(contact_ids, locale, now, shown)
    groups = {
        d.contact.account.price_group
        for d in deliveries
        if d.contact.account_id and d.contact.account.price_group
    }
    prices = _group_prices(groups, shown | set(facts.cards))
    recipients = []
    for delivery in deliveries:
        contact = delivery.contact
        group = contact.account.price_group if contact.account_id else ""
        recipients.append(
            contract.Recipient(
                delivery_id=delivery.pk,
                email=contact.email,
                token=delivery_token(delivery.pk),
                web_token=web_version_token(delivery.pk),
                greeting=greeting(contact, locale),
                first_name=contact.first_name,
                last_name=contact.last_name,
                company=contact.account.name if contact.account_id else "",
                prices=prices.get(group, {}),
                viewed=tuple(facts.cards[sku] for sku in facts.viewed.get(contact.pk, ())),
                recommended=tuple(
                    facts.cards[sku] for sku in facts.recommended.get(contact.pk, ())
                ),
            )
        )
    return recipients

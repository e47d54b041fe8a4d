"""Which campaigns earned an order: credit by touch, and revenue per recipient for comparisons.

Two kinds of credit are written for each order (``OrderCredit``), and rewritten whenever the
order changes, so the figures follow corrections of the ERP:

**Attributed.** A *touch* is a human click on a campaign's content (``email_click`` from the
newsletter, ``click`` from any other channel) or, for campaigns that count deliveries
(``attribution_basis``), a message handed over. A touch counts for an order of the same
contact (or, with ``attribution_scope`` "account", of the contact's company) placed at most
``attribution_window_days`` after it, never before it. Of all counting touches, across all
campaigns, the order is credited once: wholly to the last touch (the default), or in equal
shares to every touch (``HUB_ATTRIBUTION_MODEL = "linear"``). Credits add to the day of the
order in the campaign's per-day figures.

**Exposed.** The holdout comparison needs everyone's revenue, also of contacts that got
nothing: an order placed within a campaign's measurement window (from dispatch, for
``attribution_window_days``) counts for each of the campaign's recipients and held-out
contacts it belongs to, split equally among them when several contacts of one company share
the account's orders. Every campaign whose window holds the order gets this credit.

Channels plug in by reporting clicks as events with the campaign (kind ``click``) and
orders through the order intake: nothing here knows a channel.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from ..models import (
    AttributionBasis,
    AttributionScope,
    Contact,
    CreditKind,
    Delivery,
    DeliveryState,
    Event,
    EventKind,
    Order,
    OrderCredit,
)
from .intake import RECEIVED, StatsDelta, StatsKey, stats_add

LAST_TOUCH = "last_touch"
LINEAR = "linear"
MODELS = (LAST_TOUCH, LINEAR)

# Human clicks on a campaign's content, from any channel. Bot clicks are flagged in the
# event's data (``{"bot": true}``) and never count.
TOUCH_KINDS = (EventKind.EMAIL_CLICK, EventKind.CLICK)
# A campaign's window is at most this long (the model field's limit).
MAX_WINDOW = dt.timedelta(days=90)
# Recipients (``RECEIVED``) and held-out contacts: whose revenue is compared.
COMPARED = (*RECEIVED, DeliveryState.HELD_OUT)

CENT = Decimal("0.01")
WEIGHT = Decimal("0.000001")


def attribution_model() -> str:
    model = settings.HUB_ATTRIBUTION_MODEL
    if model not in MODELS:
        raise ValueError(f"HUB_ATTRIBUTION_MODEL must be one of {MODELS}, not {model!r}.")
    return model


@dataclass(frozen=True)
class _Candidate:
    """A delivery that may earn credit, with its campaign's rules."""

    delivery_id: int
    campaign_id: int
    contact_id: int
    account_id: int | None
    channel: str
    variant_key: str
    arm: str
    state: str
    sent_at: dt.datetime | None
    dispatched_at: dt.datetime | None
    basis: str
    scope: str
    window: dt.timedelta

    def belongs(self, order: Order, order_account: int | None) -> bool:
        if self.scope == AttributionScope.ACCOUNT and order_account is not None:
            return self.account_id == order_account
        return order.contact_id is not None and self.contact_id == order.contact_id


@dataclass(frozen=True)
class _Touch:
    at: dt.datetime
    candidate: _Candidate


_CANDIDATE_FIELDS = (
    "pk",
    "campaign_id",
    "contact_id",
    "contact__account_id",
    "channel",
    "variant_key",
    "arm",
    "state",
    "sent_at",
    "campaign__dispatched_at",
    "campaign__attribution_basis",
    "campaign__attribution_scope",
    "campaign__attribution_window_days",
)


@dataclass
class _Candidates:
    """The deliveries that may earn credit for a batch of orders, found by whose they are."""

    by_contact: dict[int, list[_Candidate]]
    by_account: dict[int, list[_Candidate]]  # of campaigns that count the company's orders

    def all(self) -> list[_Candidate]:
        seen = {c.delivery_id: c for group in self.by_contact.values() for c in group}
        seen.update({c.delivery_id: c for group in self.by_account.values() for c in group})
        return list(seen.values())

    def of(self, order: Order, account: int | None) -> list[_Candidate]:
        """The candidates that may count for this order (``belongs`` decides)."""
        found = {c.delivery_id: c for c in self.by_contact.get(order.contact_id, [])}
        if account is not None:
            found.update({c.delivery_id: c for c in self.by_account.get(account, [])})
        return sorted(found.values(), key=lambda candidate: candidate.delivery_id)


def _candidates(orders: Sequence[Order], accounts: dict[int, int | None]) -> _Candidates:
    contact_ids = {order.contact_id for order in orders if order.contact_id}
    account_ids = {account for account in accounts.values() if account}
    earliest = min(order.ordered_at for order in orders) - MAX_WINDOW
    recent = Delivery.objects.filter(
        state__in=COMPARED, campaign__dispatched_at__gte=earliest
    ).order_by()
    rows = list(recent.filter(contact_id__in=contact_ids).values_list(*_CANDIDATE_FIELDS))
    if account_ids:
        rows += recent.filter(
            contact__account_id__in=account_ids,
            campaign__attribution_scope=AttributionScope.ACCOUNT,
        ).values_list(*_CANDIDATE_FIELDS)
    found = _Candidates(defaultdict(list), defaultdict(list))
    for row in {row[0]: row for row in rows}.values():
        candidate = _Candidate(*row[:12], window=dt.timedelta(days=row[12]))
        found.by_contact[candidate.contact_id].append(candidate)
        if candidate.scope == AttributionScope.ACCOUNT and candidate.account_id is not None:
            found.by_account[candidate.account_id].append(candidate)
    return found


def _clicks(candidates: list[_Candidate], orders: Sequence[Order]) -> dict[tuple[int, int], list]:
    """Human click times per (campaign, contact) that may count for these orders."""
    clickers = {c.contact_id for c in candidates if c.basis == AttributionBasis.CLICK}
    if not clickers:
        return {}
    rows = Event.objects.filter(
        kind__in=TOUCH_KINDS,
        campaign_id__in={c.campaign_id for c in candidates},
        contact_id__in=clickers,
        occurred_at__gte=min(order.ordered_at for order in orders) - MAX_WINDOW,
        occurred_at__lte=max(order.ordered_at for order in orders),
    ).values_list("campaign_id", "contact_id", "occurred_at", "data")
    clicks: dict[tuple[int, int], list] = defaultdict(list)
    for campaign_id, contact_id, at, data in rows:
        if not (isinstance(data, dict) and data.get("bot")):
            clicks[campaign_id, contact_id].append(at)
    return clicks


def _touches(
    order: Order,
    order_account: int | None,
    candidates: list[_Candidate],
    clicks: dict[tuple[int, int], list],
) -> list[_Touch]:
    touches = []
    for candidate in candidates:
        if candidate.state not in RECEIVED or not candidate.belongs(order, order_account):
            continue
        if candidate.basis == AttributionBasis.DELIVERY:
            moments = [candidate.sent_at] if candidate.sent_at else []
        else:
            moments = clicks.get((candidate.campaign_id, candidate.contact_id), [])
        touches.extend(
            _Touch(at, candidate)
            for at in moments
            if at <= order.ordered_at <= at + candidate.window
        )
    return touches


def _shares(total: Decimal, parts: int, step: Decimal) -> list[Decimal]:
    """``total`` in ``parts`` equal shares rounded to ``step``; the last takes the rest."""
    share = (total / parts).quantize(step, rounding=ROUND_HALF_EVEN)
    return [share] * (parts - 1) + [total - share * (parts - 1)]


def _attributed(order: Order, touches: list[_Touch], model: str) -> list[OrderCredit]:
    if not touches:
        return []
    touches.sort(key=lambda touch: (touch.at, touch.candidate.delivery_id))
    if model == LAST_TOUCH:
        touches = touches[-1:]
    weights = _shares(Decimal(1), len(touches), WEIGHT)
    revenues = _shares(order.revenue, len(touches), CENT)
    return [
        _credit(order, CreditKind.ATTRIBUTED, touch.candidate, weight, revenue, touch.at)
        for touch, weight, revenue in zip(touches, weights, revenues, strict=True)
    ]


def _exposed(
    order: Order, order_account: int | None, candidates: list[_Candidate]
) -> list[OrderCredit]:
    by_campaign: dict[int, list[_Candidate]] = defaultdict(list)
    for candidate in candidates:
        start = candidate.dispatched_at
        if (
            start is not None
            and start <= order.ordered_at <= start + candidate.window
            and candidate.belongs(order, order_account)
        ):
            by_campaign[candidate.campaign_id].append(candidate)
    credits = []
    for group in by_campaign.values():
        weights = _shares(Decimal(1), len(group), WEIGHT)
        revenues = _shares(order.revenue, len(group), CENT)
        credits.extend(
            _credit(order, CreditKind.EXPOSED, candidate, weight, revenue, None)
            for candidate, weight, revenue in zip(group, weights, revenues, strict=True)
        )
    return credits


def _credit(order, kind, candidate: _Candidate, weight, revenue, touched_at) -> OrderCredit:
    return OrderCredit(
        order_id=order.pk,
        kind=kind,
        campaign_id=candidate.campaign_id,
        delivery_id=candidate.delivery_id,
        channel=candidate.channel,
        variant_key=candidate.variant_key,
        arm=candidate.arm,
        touched_at=touched_at,
        ordered_at=order.ordered_at,
        weight=weight,
        revenue=revenue,
    )


def _count(delta: StatsDelta, credits: Iterable[OrderCredit], sign: int) -> None:
    for credit in credits:
        if credit.kind != CreditKind.ATTRIBUTED:
            continue
        key = StatsKey(
            credit.campaign_id,
            credit.channel,
            credit.variant_key,
            credit.arm,
            timezone.localdate(credit.ordered_at),
        )
        delta.add(key, conversions=sign * credit.weight, revenue=sign * credit.revenue)


def orders_credit(order_ids: Iterable[int]) -> int:
    """(Re)write the credits of these orders, and their share of the campaign figures.

    Call inside the transaction that wrote the orders. Returns the number of credits written.
    """
    orders = list(Order.objects.filter(pk__in=set(order_ids)).order_by("pk"))
    if not orders:
        return 0
    delta = StatsDelta()
    old = list(OrderCredit.objects.filter(order__in=orders))
    _count(delta, old, -1)
    OrderCredit.objects.filter(pk__in=[credit.pk for credit in old]).delete()

    contact_accounts = dict(
        Contact.objects.filter(
            pk__in={order.contact_id for order in orders if order.contact_id}
        ).values_list("pk", "account_id")
    )
    accounts = {
        order.pk: order.account_id or contact_accounts.get(order.contact_id) for order in orders
    }
    candidates = _candidates(orders, accounts)
    clicks = _clicks(candidates.all(), orders)
    model = attribution_model()
    new: list[OrderCredit] = []
    for order in orders:
        account = accounts[order.pk]
        mine = candidates.of(order, account)
        new += _attributed(order, _touches(order, account, mine, clicks), model)
        new += _exposed(order, account, mine)
    OrderCredit.objects.bulk_create(new)
    _count(delta, new, 1)
    stats_add(delta)
    return len(new)


def orders_credit_after_touch(contact_ids: Iterable[int], since: dt.datetime) -> int:
    """Credit again the orders a newly reported touch may count for.

    A click reported late (after orders that followed it were recorded) changes who earned
    those orders: the orders of these contacts and their companies placed since ``since``
    (within the longest window) are credited anew.
    """
    contact_ids = set(contact_ids)
    if not contact_ids:
        return 0
    accounts = set(
        Contact.objects.filter(pk__in=contact_ids, account__isnull=False).values_list(
            "account_id", flat=True
        )
    )
    orders = Order.objects.filter(
        Q(contact_id__in=contact_ids) | Q(account_id__in=accounts),
        ordered_at__gte=since,
        ordered_at__lte=since + MAX_WINDOW,
    ).values_list("pk", flat=True)
    ids = list(orders)
    return orders_credit(ids) if ids else 0

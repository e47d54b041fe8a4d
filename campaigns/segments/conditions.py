"""The compiler's parts: one Q over Contact per condition, built from Exists and subqueries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, Q, Sum

from content.selectors import category_subtree, skus_in_categories

from ..models import Account, Event, EventKind, Order, OrderLine
from .values import window_start


@dataclass
class CompileContext:
    now: dt.datetime
    _subtrees: dict[str, list[int]] = field(default_factory=dict)

    def since(self, days: int) -> dt.datetime:
        """Midnight ``days`` days before today, in the hub's time zone: windows are whole
        days, so the bitmap backend answers them from day sets."""
        return window_start(self.now, days)

    def category_subtree(self, slug: str) -> list[int]:
        if slug not in self._subtrees:
            self._subtrees[slug] = category_subtree(slug)
        return self._subtrees[slug]


def _choice_q(column: str) -> dict[str, Callable]:
    return {
        "in": lambda value, ctx: Q(**{f"{column}__in": value}),
        "not_in": lambda value, ctx: ~Q(**{f"{column}__in": value}),
    }


def _account_q(column: str) -> dict[str, Callable]:
    # Exists keeps the logic two-valued: contacts without an account are simply "not in".
    def in_(value, ctx):
        return Q(
            Exists(Account.objects.filter(pk=OuterRef("account_id"), **{f"{column}__in": value}))
        )

    return {"in": in_, "not_in": lambda value, ctx: ~in_(value, ctx)}


def _event_match(value: dict, ctx: CompileContext, *, kind: str | None = None) -> Q:
    """The events a condition is about, as a filter over Event."""
    q = Q(kind=kind or value["kind"])
    if "within_days" in value:
        q &= Q(occurred_at__gte=ctx.since(value["within_days"]))
    if "within_hours" in value:
        # Sub-day windows ("a cart abandoned in the last 2 hours", for automations) are
        # moments, not whole days: the bitmap backend answers them with this SQL too.
        q &= Q(occurred_at__gte=ctx.now - dt.timedelta(hours=value["within_hours"]))
    if "sku" in value:
        q &= Q(sku=value["sku"])
    if "category" in value:
        subtree = ctx.category_subtree(value["category"])
        q &= Q(category_id__in=subtree) | Q(sku__in=skus_in_categories(subtree))
    return q


def _event_has(value: dict, ctx: CompileContext) -> Q:
    events = Event.objects.filter(_event_match(value, ctx)).order_by()
    if value["min_count"] == 1:
        return Q(Exists(events.filter(contact=OuterRef("pk"))))
    counted = (
        events.filter(contact__isnull=False)
        .values("contact_id")
        .annotate(n=Count("*"))
        .filter(n__gte=value["min_count"])
        .values("contact_id")
    )
    return Q(pk__in=counted)


def _aggregate_q(kind: str, operator: str) -> Callable[[dict, CompileContext], Q]:
    aggregate = Count("*") if kind == "count" else Sum("revenue")

    def compile_(value: dict, ctx: CompileContext) -> Q:
        bound = value["value"]
        if operator == "gte":
            having = Q(total__gte=bound)
            zero_matches = Decimal(bound) <= 0
        elif operator == "lte":
            having = Q(total__lte=bound)
            zero_matches = Decimal(bound) >= 0
        else:
            having = Q(total__gte=bound[0], total__lte=bound[1])
            zero_matches = Decimal(bound[0]) <= 0 <= Decimal(bound[1])
        orders = Order.objects.filter(contact__isnull=False).order_by()
        if "within_days" in value:
            orders = orders.filter(ordered_at__gte=ctx.since(value["within_days"]))
        totals = orders.values("contact_id").annotate(total=aggregate)
        # A contact without orders has a total of 0 and no group: when 0 satisfies the
        # condition, exclude the contacts whose total fails it instead of listing matches.
        if zero_matches:
            return ~Q(pk__in=totals.filter(~having).values("contact_id"))
        return Q(pk__in=totals.filter(having).values("contact_id"))

    return compile_


def _orders_since(moment: dt.datetime | None = None) -> Q:
    orders = Order.objects.filter(contact=OuterRef("pk"))
    if moment is not None:
        orders = orders.filter(ordered_at__gte=moment)
    return Q(Exists(orders))


def _cart_abandoned_without_order(value: dict, ctx: CompileContext) -> Q:
    carts = Event.objects.filter(_event_match(value, ctx, kind=EventKind.CART_ABANDONED))
    later_order = Order.objects.filter(
        contact=OuterRef("contact_id"), ordered_at__gte=OuterRef("occurred_at")
    )
    return Q(Exists(carts.filter(contact=OuterRef("pk")).filter(~Exists(later_order))))


def _viewed_not_bought(value: dict, ctx: CompileContext) -> Q:
    since = ctx.since(value["within_days"])
    views = Event.objects.filter(_event_match(value, ctx, kind=EventKind.PRODUCT_VIEW)).exclude(
        sku=""
    )
    bought = OrderLine.objects.filter(
        order__contact=OuterRef("contact_id"), order__ordered_at__gte=since, sku=OuterRef("sku")
    )
    return Q(Exists(views.filter(contact=OuterRef("pk")).filter(~Exists(bought))))


def _survey_answer(value: dict, ctx: CompileContext) -> Q:
    answers = Event.objects.filter(
        contact=OuterRef("pk"),
        kind=EventKind.SURVEY_ANSWER,
        value__gte=value["min_score"],
        value__lte=value["max_score"],
        data__kind=value["kind"],
    )
    if "within_days" in value:
        answers = answers.filter(occurred_at__gte=ctx.since(value["within_days"]))
    if "survey" in value:
        answers = answers.filter(data__survey=value["survey"])
    return Q(Exists(answers))

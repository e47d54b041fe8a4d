"""The rule language evaluated in plain Python, contact by contact: the reference the SQL
compiler in ``segments`` is tested against (property tests) and measured against (bench).
Never used to count a segment in the product.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Case, QuerySet, When
from django.db.models.fields.json import KeyTextTransform

from content.selectors import category_nodes, product_category_links

from .models import Account, ConsentState, Contact, Event, EventKind, Order, OrderLine
from .segments import clean_rules, day_start
from .segments import window_start as day_window_start


@dataclass(frozen=True)
class EventFact:
    kind: str
    occurred_at: dt.datetime
    sku: str = ""
    category_id: int | None = None
    value: Decimal | None = None
    survey_kind: str = ""  # survey answers: the survey's kind and id, from the event's data
    survey: int | None = None


@dataclass(frozen=True)
class OrderFact:
    ordered_at: dt.datetime
    revenue: Decimal
    skus: frozenset[str] = frozenset()


@dataclass
class ContactFacts:
    """What the rules can ask about one contact, loaded into memory."""

    pk: int
    role: str = ""
    phase: str = ""
    language: str = "de"
    consent: str = ConsentState.NONE
    account: dict[str, str] | None = None
    events: list[EventFact] = field(default_factory=list)
    orders: list[OrderFact] = field(default_factory=list)


@dataclass
class Catalogue:
    """The category tree and which SKUs sit in which categories."""

    parent: dict[int, int | None] = field(default_factory=dict)
    slug_to_id: dict[str, int] = field(default_factory=dict)
    sku_categories: dict[str, set[int]] = field(default_factory=dict)

    def in_subtree(self, category_id: int | None, slug: str) -> bool:
        root = self.slug_to_id.get(slug)
        node, seen = category_id, set()
        while node is not None and node not in seen:
            if node == root:
                return True
            seen.add(node)
            node = self.parent.get(node)
        return False


def load_catalogue() -> Catalogue:
    catalogue = Catalogue()
    for pk, parent, slug in category_nodes():
        catalogue.parent[pk] = parent
        catalogue.slug_to_id[slug] = pk
    for sku, category_id in product_category_links():
        catalogue.sku_categories.setdefault(sku, set()).add(category_id)
    return catalogue


def load_contact_facts(contacts: QuerySet[Contact] | None = None) -> list[ContactFacts]:
    """Every contact's facts, in a handful of queries (for the evaluator)."""
    contacts = Contact.objects.all() if contacts is None else contacts
    accounts = {
        row["pk"]: row
        for row in Account.objects.values("pk", "industry", "country", "size_class", "price_group")
    }
    facts: dict[int, ContactFacts] = {}
    for pk, role, phase, language, consent, account_id in contacts.order_by("pk").values_list(
        "pk", "role", "phase", "language", "consent", "account_id"
    ):
        facts[pk] = ContactFacts(pk, role, phase, language, consent, accounts.get(account_id))
    events = Event.objects.filter(contact_id__in=contacts.values("pk")).order_by()
    survey_kind = Case(
        When(kind=EventKind.SURVEY_ANSWER, then=KeyTextTransform("kind", "data")), default=None
    )
    survey = Case(
        When(kind=EventKind.SURVEY_ANSWER, then=KeyTextTransform("survey", "data")), default=None
    )
    for contact_id, kind, at, sku, category_id, value, of_kind, survey_id in events.annotate(
        survey_kind=survey_kind, survey_id=survey
    ).values_list(
        "contact_id",
        "kind",
        "occurred_at",
        "sku",
        "category_id",
        "value",
        "survey_kind",
        "survey_id",
    ):
        facts[contact_id].events.append(
            EventFact(
                kind,
                at,
                sku,
                category_id,
                value,
                of_kind or "",
                int(survey_id) if survey_id else None,
            )
        )
    skus: dict[int, set[str]] = {}
    lines = OrderLine.objects.filter(order__contact_id__in=contacts.values("pk")).order_by()
    for order_id, sku in lines.values_list("order_id", "sku"):
        skus.setdefault(order_id, set()).add(sku)
    orders = Order.objects.filter(contact_id__in=contacts.values("pk")).order_by()
    for pk, contact_id, at, revenue in orders.values_list(
        "pk", "contact_id", "ordered_at", "revenue"
    ):
        facts[contact_id].orders.append(OrderFact(at, revenue, frozenset(skus.get(pk, ()))))
    return list(facts.values())


def evaluate_rules(
    rules: Any, contact: ContactFacts, *, now: dt.datetime, catalogue: Catalogue | None = None
) -> bool:
    """Whether one contact matches the rule tree, decided in plain Python."""
    return _evaluate(clean_rules(rules), contact, now, catalogue or Catalogue())


def evaluate_many(
    rules: Any,
    contacts: Iterable[ContactFacts],
    *,
    now: dt.datetime,
    catalogue: Catalogue | None = None,
) -> set[int]:
    """The pks of the contacts matching the tree; the tree is validated once."""
    tree = clean_rules(rules)
    catalogue = catalogue or Catalogue()
    return {contact.pk for contact in contacts if _evaluate(tree, contact, now, catalogue)}


def _evaluate(node: dict, contact: ContactFacts, now: dt.datetime, catalogue: Catalogue) -> bool:
    if "field" in node:
        result = _evaluate_condition(node, contact, now, catalogue)
    elif node["op"] == "and":
        result = all(_evaluate(child, contact, now, catalogue) for child in node["rules"])
    else:
        result = any(_evaluate(child, contact, now, catalogue) for child in node["rules"])
    return not result if node.get("negate") else result


def _evaluate_condition(
    node: dict, contact: ContactFacts, now: dt.datetime, catalogue: Catalogue
) -> bool:
    name, operator, value = node["field"], node["operator"], node["value"]

    def window_start(days: int | None) -> dt.datetime | None:
        return None if days is None else day_window_start(now, days)

    def in_window(moment: dt.datetime, start: dt.datetime | None) -> bool:
        return start is None or moment >= start

    def event_matches(event: EventFact, kind: str, spec: dict) -> bool:
        if event.kind != kind or not in_window(
            event.occurred_at, window_start(spec.get("within_days"))
        ):
            return False
        if "within_hours" in spec and event.occurred_at < now - dt.timedelta(
            hours=spec["within_hours"]
        ):
            return False
        if "sku" in spec and event.sku != spec["sku"]:
            return False
        if "category" in spec:
            slug = spec["category"]
            product_categories = (
                catalogue.sku_categories.get(event.sku, set()) if event.sku else set()
            )
            if not catalogue.in_subtree(event.category_id, slug) and not any(
                catalogue.in_subtree(category, slug) for category in product_categories
            ):
                return False
        return True

    if name in ("role", "phase", "language", "consent"):
        found = getattr(contact, name) in value
        return found if operator == "in" else not found

    if name.startswith("account."):
        column = name.removeprefix("account.")
        found = contact.account is not None and contact.account[column] in value
        return found if operator == "in" else not found

    if name == "event":
        count = sum(1 for event in contact.events if event_matches(event, value["kind"], value))
        return count >= value["min_count"] if operator == "has" else count < value["min_count"]

    if name in ("order_count", "revenue"):
        start = window_start(value.get("within_days"))
        orders = [order for order in contact.orders if in_window(order.ordered_at, start)]
        if name == "order_count":
            total = Decimal(len(orders))
        else:
            total = sum((Decimal(order.revenue) for order in orders), Decimal(0))
        bound = value["value"]
        if operator == "gte":
            return total >= Decimal(bound)
        if operator == "lte":
            return total <= Decimal(bound)
        return Decimal(bound[0]) <= total <= Decimal(bound[1])

    if name == "last_order":
        if not contact.orders:
            return False
        last = max(order.ordered_at for order in contact.orders)
        if operator == "before":
            return last < day_start(value)
        if operator == "after":
            return last >= day_start(dt.date.fromisoformat(value) + dt.timedelta(days=1))
        if operator == "within_days":
            return last >= day_window_start(now, value)
        return last < day_window_start(now, value)

    if name == "cart_abandoned_without_order":
        return any(
            event_matches(event, EventKind.CART_ABANDONED, value)
            and not any(order.ordered_at >= event.occurred_at for order in contact.orders)
            for event in contact.events
        )

    if name == "viewed_not_bought":
        start = window_start(value["within_days"])
        bought = {
            sku for order in contact.orders if order.ordered_at >= start for sku in order.skus
        }
        return any(
            event.sku
            and event_matches(event, EventKind.PRODUCT_VIEW, value)
            and event.sku not in bought
            for event in contact.events
        )

    if name == "survey_answer":
        start = window_start(value.get("within_days"))
        found = any(
            event.kind == EventKind.SURVEY_ANSWER
            and in_window(event.occurred_at, start)
            and event.survey_kind == value["kind"]
            and value.get("survey", event.survey) == event.survey
            and event.value is not None
            and value["min_score"] <= event.value <= value["max_score"]
            for event in contact.events
        )
        return found if operator == "has" else not found

    raise AssertionError(f"no evaluator for field {name!r}")  # clean_rules() refused it

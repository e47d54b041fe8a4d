"""Demo audience: customer companies, their buying centres and what they did.

Deterministic (a fixed random seed) and idempotent as a block: if the demo accounts exist,
nothing is touched. Consent comes with its evidence rows, phases with their history, and
orders reference the demo products' SKUs and prices, so segments, journey rules and KPIs
have something real to work on. Names, countries and segments are in ``data/audience.json``.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from campaigns.models import (
    Account,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    OrderSource,
    PhaseChange,
    Salutation,
    Segment,
    SizeClass,
    Suppression,
    SuppressionReason,
)
from campaigns.segments import clean_rules
from campaigns.services.segments import segment_count_refresh
from content.models import Category, Product
from content.taxonomy import BuyingRole, JourneyPhase

from .datafiles import load

CUSTOMER_PREFIX = "D-"
EVENT_SOURCE = "demo"
CONSENT_TEXT = "newsletter-2026-03"
ACCOUNTS = 40
DAYS = 180

_DATA = load("audience")
COMPANY_STEMS: list[str] = _DATA["company_stems"]
COMPANY_KINDS = [(kind["industry"], kind["suffix"]) for kind in _DATA["company_kinds"]]
COUNTRIES: list[str] = _DATA["countries"]  # repeated entries weigh the random choice
FIRST_NAMES = [(name["salutation"], name["name"]) for name in _DATA["first_names"]]
LAST_NAMES: list[str] = _DATA["last_names"]
# The buying centre of a typical account, most important first.
ROLES = [
    BuyingRole.BUYER,
    BuyingRole.DECISION_MAKER,
    BuyingRole.USER,
    BuyingRole.INFLUENCER,
    BuyingRole.APPROVER,
]


def _ascii(text: str) -> str:
    return (
        text.lower()
        .replace("ä", "ae")
        .replace("ö", "oe")
        .replace("ü", "ue")
        .replace("ß", "ss")
        .replace(" ", "-")
    )


class AudienceSeeder:
    """Creates the demo audience once; ``created`` counts what it made."""

    def __init__(self, *, now: datetime | None = None, seed: int = 5) -> None:
        self.now = now or timezone.now()
        self.random = random.Random(seed)  # noqa: S311 - demo data, not secrets
        self.created: Counter[str] = Counter()

    def run(self) -> None:
        if Account.objects.filter(customer_number__startswith=CUSTOMER_PREFIX).exists():
            return
        products = list(
            Product.objects.filter(live=True, locale__language_code="de")
            .exclude(price=None)
            .values_list("sku", "price")
        )
        categories = list(Category.objects.values_list("pk", flat=True))
        accounts = self.seed_accounts()
        contacts = self.seed_contacts(accounts)
        if products:
            self.seed_behaviour(contacts, products=products, categories=categories)
        self.seed_phases(contacts)
        self.seed_segments()

    # Accounts and contacts

    def seed_accounts(self) -> list[Account]:
        accounts = []
        for number in range(1, ACCOUNTS + 1):
            industry, suffix = COMPANY_KINDS[number % len(COMPANY_KINDS)]
            stem = COMPANY_STEMS[number % len(COMPANY_STEMS)]
            accounts.append(
                Account(
                    name=f"{stem} {suffix}" if number <= 20 else f"{stem} & Söhne {suffix}",
                    customer_number=f"{CUSTOMER_PREFIX}{10000 + number}",
                    erp_id=f"ERP-{70000 + number}",
                    industry=industry,
                    country=self.random.choice(COUNTRIES),
                    size_class=self.random.choice(SizeClass.values),
                    price_group=self.random.choice(["A", "A", "B", "B", "C"]),
                )
            )
        Account.objects.bulk_create(accounts)
        self.created["accounts"] += len(accounts)
        return list(Account.objects.filter(customer_number__startswith=CUSTOMER_PREFIX))

    def seed_contacts(self, accounts: list[Account]) -> list[Contact]:
        contacts, consents, suppressions = [], [], []
        for account in accounts:
            domain = _ascii(account.name.split(" ")[0]) + "-" + account.customer_number[-3:]
            english = account.country in {"NL", "PL"}
            for role in ROLES[: self.random.randint(2, 5)]:
                salutation, first = self.random.choice(FIRST_NAMES)
                last = self.random.choice(LAST_NAMES)
                consent = self.random.choices(
                    [
                        ConsentState.CONFIRMED,
                        ConsentState.PENDING,
                        ConsentState.NONE,
                        ConsentState.REVOKED,
                    ],
                    weights=[75, 10, 10, 5],
                )[0]
                contacts.append(
                    Contact(
                        account=account,
                        email=f"{_ascii(first)}.{_ascii(last)}@{domain}.example",
                        salutation=Salutation(salutation),
                        first_name=first,
                        last_name=last,
                        language="en" if english else "de",
                        role=role,
                        consent=consent,
                        consent_changed_at=self._past(days=DAYS) if consent != "none" else None,
                    )
                )
        # save() normalises the address and sets its hash; bulk_create would skip it.
        for contact in contacts:
            if Contact.objects.filter(email=contact.email).exists():
                continue
            contact.save()
            self.created["contacts"] += 1
            if contact.consent == ConsentState.NONE:
                continue
            opted_in = contact.consent_changed_at - timedelta(days=1)
            consents.append(self._consent(contact, ConsentKind.OPT_IN, opted_in))
            if contact.consent in {ConsentState.CONFIRMED, ConsentState.REVOKED}:
                confirmed = opted_in + timedelta(minutes=self.random.randint(2, 600))
                consents.append(self._consent(contact, ConsentKind.CONFIRMATION, confirmed))
            if contact.consent == ConsentState.REVOKED:
                consents.append(
                    self._consent(contact, ConsentKind.OPT_OUT, contact.consent_changed_at)
                )
                suppressions.append(
                    Suppression(
                        email_hash=contact.email_hash,
                        reason=SuppressionReason.UNSUBSCRIBED,
                        source="demo",
                        created_at=contact.consent_changed_at,
                    )
                )
        ConsentRecord.objects.bulk_create(consents)
        Suppression.objects.bulk_create(suppressions, ignore_conflicts=True)
        self.created["consent records"] += len(consents)
        return [contact for contact in contacts if contact.pk]

    def _consent(self, contact: Contact, kind: str, at: datetime) -> ConsentRecord:
        return ConsentRecord(
            contact=contact,
            kind=kind,
            at=at,
            ip_address=f"192.0.2.{self.random.randint(1, 254)}",  # documentation range
            user_agent="Mozilla/5.0 (demo)",
            source="web form" if kind != ConsentKind.OPT_OUT else "unsubscribe link",
            text_version=CONSENT_TEXT,
        )

    # Behaviour

    def seed_behaviour(
        self,
        contacts: list[Contact],
        *,
        products: list[tuple[str, Decimal]],
        categories: list[int],
    ) -> None:
        events, orders, lines_by_order = [], [], {}
        for contact in contacts:
            if contact.consent != ConsentState.CONFIRMED:
                continue
            activity = self.random.choice(["quiet", "reader", "browser", "buyer", "loyal"])
            if activity == "quiet":
                continue
            for _ in range(self.random.randint(2, 8)):
                at = self._past(days=DAYS)
                events.append(self._event(contact, EventKind.EMAIL_OPEN, at))
                if self.random.random() < 0.4:
                    events.append(
                        self._event(contact, EventKind.EMAIL_CLICK, at + timedelta(minutes=3))
                    )
            if activity == "reader":
                continue
            viewed = self.random.sample(products, k=min(len(products), self.random.randint(2, 6)))
            for sku, _price in viewed:
                for _ in range(self.random.randint(1, 3)):
                    events.append(
                        self._event(contact, EventKind.PRODUCT_VIEW, self._past(days=45), sku=sku)
                    )
            if categories:
                events.append(
                    self._event(
                        contact,
                        EventKind.CATEGORY_CLICK,
                        self._past(days=45),
                        category_id=self.random.choice(categories),
                    )
                )
            if activity == "browser":
                if self.random.random() < 0.5:
                    sku = viewed[0][0]
                    events.append(
                        self._event(contact, EventKind.CART_ABANDONED, self._past(days=20), sku=sku)
                    )
                continue
            for _ in range(1 if activity == "buyer" else self.random.randint(2, 4)):
                at = self._past(days=80 if activity == "buyer" else 300)
                number = f"DEMO-{len(orders) + 1:05d}"
                lines = []
                for sku, price in self.random.sample(
                    products, k=min(len(products), self.random.randint(1, 4))
                ):
                    quantity = Decimal(self.random.choice([10, 25, 50, 100, 200]))
                    lines.append(
                        OrderLine(
                            sku=sku,
                            quantity=quantity,
                            unit_price=price,
                            line_total=(quantity * price).quantize(Decimal("0.01")),
                        )
                    )
                revenue = sum((line.line_total for line in lines), Decimal("0"))
                orders.append(
                    Order(
                        source=OrderSource.ERP,
                        external_id=number,
                        account=contact.account,
                        contact=contact,
                        ordered_at=at,
                        revenue=revenue,
                    )
                )
                lines_by_order[number] = lines
                events.append(
                    self._event(contact, EventKind.ORDER, at, value=revenue, order_number=number)
                )
        Order.objects.bulk_create(orders)
        numbers = list(lines_by_order)
        saved = {
            order.external_id: order
            for order in Order.objects.filter(source=OrderSource.ERP, external_id__in=numbers)
        }
        all_lines = []
        for number, lines in lines_by_order.items():
            for line in lines:
                line.order = saved[number]
                all_lines.append(line)
        OrderLine.objects.bulk_create(all_lines)
        Event.objects.bulk_create(events)
        self.created["orders"] += len(orders)
        self.created["events"] += len(events)

    def _event(self, contact: Contact, kind: str, at: datetime, **fields) -> Event:
        order_number = fields.pop("order_number", None)
        return Event(
            contact=contact,
            account=contact.account,
            kind=kind,
            occurred_at=at,
            source=EVENT_SOURCE,
            data={"order_number": order_number} if order_number else {},
            **fields,
        )

    def seed_phases(self, contacts: list[Contact]) -> None:
        """A plausible phase from what each contact did, with its history."""
        orders = Counter(
            Order.objects.filter(contact__in=contacts).values_list("contact_id", flat=True)
        )
        first_seen = dict(
            Event.objects.filter(contact__in=contacts)
            .values("contact_id")
            .annotate(first=Min("occurred_at"))
            .values_list("contact_id", "first")
        )
        carts = set(
            Event.objects.filter(contact__in=contacts, kind=EventKind.CART_ABANDONED).values_list(
                "contact_id", flat=True
            )
        )
        views = Counter(
            Event.objects.filter(contact__in=contacts, kind=EventKind.PRODUCT_VIEW).values_list(
                "contact_id", flat=True
            )
        )
        changes = []
        for contact in contacts:
            path = [JourneyPhase.AWARENESS]
            if views[contact.pk] >= 2:
                path.append(JourneyPhase.CONSIDERATION)
            if contact.pk in carts or orders[contact.pk]:
                path.append(JourneyPhase.TRANSACTION)
            if orders[contact.pk]:
                path.append(JourneyPhase.EXPERIENCE)
            if orders[contact.pk] >= 2:
                path.append(JourneyPhase.LOYALTY)
            at = first_seen.get(contact.pk) or self._past(days=DAYS)
            previous = ""
            for phase in path:
                changes.append(
                    PhaseChange(
                        contact=contact,
                        from_phase=previous,
                        to_phase=phase,
                        changed_at=at,
                        reason="demo data",
                    )
                )
                contact.phase, contact.phase_changed_at = phase, at
                previous, at = phase, min(at + timedelta(days=7), self.now)
        Contact.objects.bulk_update(contacts, ["phase", "phase_changed_at"])
        PhaseChange.objects.bulk_create(changes)
        self.created["phase changes"] += len(changes)

    def seed_segments(self) -> None:
        for segment in _DATA["segments"]:
            row, created = Segment.objects.get_or_create(
                name=segment["name"],
                defaults={"rules": clean_rules({"op": "and", "rules": segment["rules"]})},
            )
            if created:
                # The listing shows the stored count: the demo's segments arrive counted.
                segment_count_refresh(segment=row, now=self.now)
            self.created["segments"] += created

    def _past(self, *, days: int) -> datetime:
        return self.now - timedelta(minutes=self.random.randint(60, days * 24 * 60))

"""Demo audience for ``seed_demo``: customer companies, their buying centres and what they did.

Deterministic (a fixed random seed) and idempotent as a block: if the demo accounts exist,
nothing is touched. Consent comes with its evidence rows, phases with their history, and
orders reference the demo products' SKUs and prices, so segments, journey rules and KPIs
have something real to work on.
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Min
from django.utils import timezone

from content.models import Category, Product
from content.selectors import products_complete_for
from content.taxonomy import BuyingRole, JourneyPhase

from .models import (
    Account,
    Campaign,
    CampaignContent,
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
from .segments import clean_rules

CUSTOMER_PREFIX = "D-"
EVENT_SOURCE = "demo"
CONSENT_TEXT = "newsletter-2026-03"
ACCOUNTS = 40
DAYS = 180

COMPANY_STEMS = [
    "Albrecht",
    "Bergmann",
    "Brandt",
    "Dietrich",
    "Engel",
    "Franke",
    "Graf",
    "Hahn",
    "Hartmann",
    "Jung",
    "Keller",
    "Krause",
    "Lang",
    "Lorenz",
    "Maier",
    "Möller",
    "Neumann",
    "Otto",
    "Pohl",
    "Roth",
]
COMPANY_KINDS = [
    ("Maschinenbau", "Maschinenbau GmbH"),
    ("Elektrotechnik", "Elektrotechnik GmbH & Co. KG"),
    ("Bauhandwerk", "Bau GmbH"),
    ("Fahrzeugbau", "Fahrzeugtechnik AG"),
    ("Metallverarbeitung", "Metallbau GmbH"),
    ("Anlagenbau", "Anlagenbau KG"),
]
COUNTRIES = ["DE"] * 6 + ["AT", "AT", "CH", "NL", "PL"]
FIRST_NAMES = [
    ("ms", "Anna"),
    ("mr", "Bernd"),
    ("ms", "Claudia"),
    ("mr", "Dirk"),
    ("ms", "Eva"),
    ("mr", "Frank"),
    ("ms", "Gabriele"),
    ("mr", "Heiko"),
    ("ms", "Ines"),
    ("mr", "Jörg"),
    ("ms", "Katrin"),
    ("mr", "Lars"),
    ("ms", "Miriam"),
    ("mr", "Nils"),
    ("ms", "Petra"),
    ("mr", "Stefan"),
    ("mx", "Sascha"),
]
LAST_NAMES = [
    "Becker",
    "Fischer",
    "Hoffmann",
    "Koch",
    "Meyer",
    "Müller",
    "Richter",
    "Schäfer",
    "Schmidt",
    "Schneider",
    "Schulz",
    "Wagner",
    "Weber",
    "Wolf",
    "Zimmermann",
]
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
        def condition(field: str, operator: str, value) -> dict:
            return {"field": field, "operator": operator, "value": value}

        segments = {
            "Einkäufer in der Erwägungsphase": [
                condition("role", "in", ["buyer"]),
                condition("phase", "in", ["consideration"]),
            ],
            "Angesehen, nicht gekauft (30 Tage)": [
                condition("viewed_not_bought", "is", {"within_days": 30}),
            ],
            "Warenkorb abgebrochen, keine Bestellung (14 Tage)": [
                condition("cart_abandoned_without_order", "is", {"within_days": 14}),
            ],
            "Top-Kunden: Umsatz ab 10.000 EUR (12 Monate)": [
                condition("revenue", "gte", {"value": "10000", "within_days": 365}),
            ],
            "DACH: Entscheider und Freigeber": [
                condition("account.country", "in", ["AT", "CH", "DE"]),
                condition("role", "in", ["approver", "decision_maker"]),
            ],
        }
        for name, rules in segments.items():
            _segment, created = Segment.objects.get_or_create(
                name=name, defaults={"rules": clean_rules({"op": "and", "rules": rules})}
            )
            self.created["segments"] += created

    def _past(self, *, days: int) -> datetime:
        return self.now - timedelta(minutes=self.random.randint(60, days * 24 * 60))


# --- campaigns ----------------------------------------------------------------------------------

DEMO_CAMPAIGN = "Frühjahr 2027: Neuheiten Befestigungstechnik"
DEMO_DRAFT = "Einladung zur Messe BAU 2027"
DEMO_SEGMENT = "Angesehen, nicht gekauft (30 Tage)"
DEMO_TEXTS = {
    "de": {
        "subject": "Neu im Sortiment: Befestigungstechnik für Profis",
        "preheader": "Drei Neuheiten und Ihre persönlichen Empfehlungen",
        "headline": "Frühjahrsneuheiten 2027",
        "intro": "Die wichtigsten Neuheiten des Frühjahrs, geprüft und sofort lieferbar.",
        "grid": "Unsere Neuheiten",
        "viewed": "Zuletzt von Ihnen angesehen",
        "cta": "Zum Sortiment",
        "url": "https://example.com/sortiment",
    },
    "en": {
        "subject": "New in our range: fastening technology for professionals",
        "preheader": "Three new products and your personal recommendations",
        "headline": "Spring news 2027",
        "intro": "This spring's most important new products, tested and ready to ship.",
        "grid": "What's new",
        "viewed": "You recently looked at",
        "cta": "Explore the range",
        "url": "https://example.com/en/range",
    },
}


class CampaignSeeder:
    """One approved campaign ready to schedule, and one draft; created once.

    The approved one goes through the "Campaign approval" workflow as people would: the
    campaign manager submits it, marketing and legal approve it.
    """

    def __init__(self, *, manager, approvers) -> None:
        self.manager = manager
        self.approvers = approvers
        self.created: Counter[str] = Counter()

    def run(self) -> None:
        from content.services import content_approve, content_save_draft, content_submit

        if Campaign.objects.filter(name=DEMO_CAMPAIGN).exists():
            return
        segment = Segment.objects.filter(name=DEMO_SEGMENT).first()
        campaign = self._campaign(DEMO_CAMPAIGN, segment, topic="products", cost="1500")
        content_submit(obj=campaign, user=self.manager)
        for approver in self.approvers:
            content_approve(obj=Campaign.objects.get(pk=campaign.pk), user=approver)
        draft = self._campaign(DEMO_DRAFT, segment, topic="events", cost="800")
        content_save_draft(obj=draft, user=self.manager)
        self.created["campaigns"] += 2

    def _campaign(self, name: str, segment, *, topic: str, cost: str) -> Campaign:
        from wagtail.models import Locale
        from wagtail.rich_text import RichText

        campaign = Campaign.objects.create(
            name=name,
            goal="Neuheiten bekannt machen und Interessenten zur Bestellung führen.",
            segment=segment,
            channels=["newsletter"],
            topic=topic,
            cost=Decimal(cost),
            target_open_rate=Decimal("35"),
            target_click_rate=Decimal("6"),
            target_orders=40,
            sender_name="Hubwerk Marketing",
            sender_email="news@hubwerk.example",
            live=False,
            created_by=self.manager,
        )
        for code, texts in DEMO_TEXTS.items():
            # Only products a newsletter may show: scheduling refuses incomplete ones.
            complete = products_complete_for(
                Product.objects.filter(live=True, locale__language_code=code), "newsletter"
            )
            products = list(complete.order_by("sku")[:3])
            body = [
                ("hero", {"headline": texts["headline"], "text": texts["intro"]}),
                ("message", {"product": None, "required": True}),
            ]
            if products:
                body.append(("products", {"heading": texts["grid"], "products": products}))
            body += [
                ("personal_products", {"heading": texts["viewed"], "source": "viewed"}),
                ("text", RichText(f"<p>{texts['intro']}</p>")),
                ("cta", {"label": texts["cta"], "url": texts["url"]}),
            ]
            CampaignContent.objects.create(
                campaign=campaign,
                locale=Locale.objects.get(language_code=code),
                subject=texts["subject"],
                preheader=texts["preheader"],
                body=body,
            )
        return Campaign.objects.get(pk=campaign.pk)

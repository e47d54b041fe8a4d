"""The demo webshop: its API client, its placements, a campaign filling them, and an order
history that gives its offers something to say.

Everything is created once, by its key (the client by name, placements by channel and slot,
the campaign by name, the orders by number). Placements and the campaign go through the
"Campaign approval" workflow as people would: the campaign manager submits, marketing and
legal approve. The client's token is fixed and printed with the demo logins (``seed_demo
--logins``), like the demo password: for local demos only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from decimal import Decimal

from django.contrib.auth.base_user import AbstractBaseUser
from wagtail.models import Locale

from campaigns.models import (
    Campaign,
    CampaignPlacement,
    CampaignStatus,
    Contact,
    Event,
    EventKind,
    Order,
    OrderLine,
    OrderSource,
    Placement,
    PlacementDefault,
    ScheduleMode,
    Segment,
)
from channels.models import TOKEN_DISPLAY_LENGTH, ApiClient, Scope
from content.models import Product
from content.services import content_approve, content_submit
from core.tokens import hash_token

from .audience import CUSTOMER_PREFIX, EVENT_SOURCE
from .users import DEMO_SHOP_TOKEN

CHANNEL = "webshop"
SHOP_NAME = "Demo shop"
SHOP_ORIGINS = ("http://localhost:8000", "http://127.0.0.1:8000")
SHOP_SCOPES = (
    Scope.VISITORS_WRITE,
    Scope.CATALOGUE_READ,
    Scope.PLACEMENTS_READ,
    Scope.CONTENT_READ,
)


def _teaser(headline: str, text: str, url: str, cta: str) -> tuple[str, dict]:
    return (
        "teaser",
        {"headline": headline, "text": text, "image": None, "link_url": url, "cta_label": cta},
    )


# Slot: (name, description, default teaser per language).
DEMO_PLACEMENTS = {
    "home.hero": (
        "Startseite: Bühne",
        "Volle Breite oben auf der Startseite.",
        {
            "de": _teaser(
                "Werkzeug für die Baustelle",
                "Elektrowerkzeuge, Handwerkzeuge und Befestigungstechnik, ab Lager lieferbar.",
                "https://shop.example.com/de/",
                "Zum Sortiment",
            ),
            "en": _teaser(
                "Tools for the building site",
                "Power tools, hand tools and fixings, delivered from stock.",
                "https://shop.example.com/en/",
                "See the range",
            ),
        },
    ),
    "product.cross_sell": (
        "Produktseite: Dazu passend",
        "Unter der Produktbeschreibung.",
        {
            "de": _teaser(
                "Das passende Zubehör",
                "Bohrer, Bits und Dübel für jedes Gerät.",
                "https://shop.example.com/de/zubehoer/",
                "Zubehör ansehen",
            ),
            "en": _teaser(
                "The right accessories",
                "Drill bits, bits and anchors for every tool.",
                "https://shop.example.com/en/accessories/",
                "See accessories",
            ),
        },
    ),
    "cart.upsell": (
        "Warenkorb: Nicht vergessen",
        "Neben der Warenkorbsumme.",
        {
            "de": _teaser(
                "Nicht vergessen",
                "Verbrauchsmaterial und Ersatzteile gleich mitbestellen.",
                "https://shop.example.com/de/verbrauchsmaterial/",
                "Verbrauchsmaterial",
            ),
            "en": _teaser(
                "Don't forget",
                "Order consumables and spare parts with it.",
                "https://shop.example.com/en/consumables/",
                "Consumables",
            ),
        },
    ),
}

DEMO_SHOP_CAMPAIGN = "Webshop: Frühjahrsaktion für Top-Kunden"
DEMO_SHOP_SEGMENT = "Top-Kunden: Umsatz ab 10.000 EUR (12 Monate)"
CAMPAIGN_TEXTS = {
    "de": {
        "headline": "Ihre Frühjahrskonditionen sind da",
        "text": "Für unsere besten Kunden: ausgewählte Geräte zu Sonderkonditionen.",
        "url": "https://shop.example.com/de/aktion/",
        "cta": "Zur Aktion",
        "grid": "Jetzt im Angebot",
        "offers": "Für Ihren nächsten Einkauf",
    },
    "en": {
        "headline": "Your spring terms are here",
        "text": "For our best customers: selected tools on special terms.",
        "url": "https://shop.example.com/en/promotion/",
        "cta": "See the promotion",
        "grid": "On offer now",
        "offers": "For your next order",
    },
}

# The order history: an account that re-orders one consumable about every 30 days, and
# once bought a hydraulic pump that has spare parts and accessories (catalogue.RELATIONS).
ORDER_PREFIX = "DEMO-SHOP-"
REORDER_SKU_PREFIX = "HW-BEF-"
REORDER_EVERY_DAYS = 30
REORDERS = 6
HYDRAULIC_SKU = "HW-HYD-0007"
HYDRAULIC_DAYS_AGO = 75


def seed_webshop(
    *,
    manager: AbstractBaseUser,
    approvers: Sequence[AbstractBaseUser],
    now: datetime,
    created: Counter[str],
) -> None:
    """The demo shop's client, placements, campaign and order history (idempotent)."""
    seed_shop_client(created)
    placements = seed_placements(manager=manager, approvers=approvers, created=created)
    seed_shop_campaign(
        placements=placements, manager=manager, approvers=approvers, now=now, created=created
    )
    seed_order_history(now=now, created=created)


def seed_shop_client(created: Counter[str]) -> None:
    if ApiClient.objects.filter(name=SHOP_NAME).exists():
        return
    ApiClient.objects.create(
        name=SHOP_NAME,
        channel=CHANNEL,
        scopes=[str(scope) for scope in SHOP_SCOPES],
        allowed_origins="\n".join(SHOP_ORIGINS),
        token_hash=hash_token(DEMO_SHOP_TOKEN),
        token_prefix=DEMO_SHOP_TOKEN[:TOKEN_DISPLAY_LENGTH],
    )
    created["API clients"] += 1


def _approve(obj, *, manager, approvers) -> None:
    model = type(obj)
    content_submit(obj=model.objects.get(pk=obj.pk), user=manager)
    for approver in approvers:
        content_approve(obj=model.objects.get(pk=obj.pk), user=approver)


def seed_placements(*, manager, approvers, created: Counter[str]) -> dict[str, Placement]:
    """The shop's slots with approved default content in German and English, by slot."""
    locales = {locale.language_code: locale for locale in Locale.objects.all()}
    for key, (name, description, defaults) in DEMO_PLACEMENTS.items():
        if Placement.objects.filter(channel=CHANNEL, key=key).exists():
            continue
        placement = Placement.objects.create(
            key=key, channel=CHANNEL, name=name, description=description, live=False
        )
        for code, teaser in defaults.items():
            if code in locales:
                PlacementDefault.objects.create(
                    placement=placement, locale=locales[code], body=[teaser]
                )
        _approve(placement, manager=manager, approvers=approvers)
        created["placements"] += 1
    return {p.key: p for p in Placement.objects.filter(channel=CHANNEL, key__in=DEMO_PLACEMENTS)}


def seed_shop_campaign(
    *,
    placements: dict[str, Placement],
    manager,
    approvers,
    now: datetime,
    created: Counter[str],
) -> None:
    """A webshop campaign for the top customers, approved and scheduled since yesterday.

    ``home.hero`` gets a teaser, the audience message for the visitor's role and phase (the
    demo has one per role) and a grid of live products; ``cart.upsell`` the offers from the
    account's purchase history.
    """
    if Campaign.objects.filter(name=DEMO_SHOP_CAMPAIGN).exists():
        return
    campaign = Campaign.objects.create(
        name=DEMO_SHOP_CAMPAIGN,
        goal="Top-Kunden im Shop auf die Frühjahrsaktion hinweisen.",
        segment=Segment.objects.filter(name=DEMO_SHOP_SEGMENT).first(),
        channels=[CHANNEL],
        cost=Decimal("0"),
        sender_name="Hubwerk Marketing",
        sender_email="news@example.com",
        placements_until=now + timedelta(days=60),
        placement_priority=10,
        live=False,
        created_by=manager,
    )
    for code, texts in CAMPAIGN_TEXTS.items():
        locale = Locale.objects.filter(language_code=code).first()
        if locale is None:
            continue
        products = list(
            Product.objects.filter(live=True, locale=locale).exclude(price=None).order_by("sku")[:4]
        )
        hero = [
            _teaser(texts["headline"], texts["text"], texts["url"], texts["cta"]),
            ("message", {"product": None, "required": False}),
        ]
        if products:
            hero.append(("products", {"heading": texts["grid"], "products": products}))
        rows = {
            "home.hero": hero,
            "cart.upsell": [
                (
                    "offers",
                    {
                        "heading": texts["offers"],
                        "kinds": ["reorder", "spare_part", "accessory"],
                        "limit": 4,
                    },
                )
            ],
        }
        for key, body in rows.items():
            if key in placements:
                CampaignPlacement.objects.create(
                    campaign=campaign, placement=placements[key], locale=locale, body=body
                )
    _approve(campaign, manager=manager, approvers=approvers)
    # What "Schedule → now" records. The schedule view's checks are the newsletter's (an
    # approved message per recipient, a sender): a shop-only campaign is put in its state.
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SCHEDULED,
        schedule_mode=ScheduleMode.NOW,
        send_at=now - timedelta(days=1),
        scheduled_by=manager,
    )
    created["campaigns"] += 1


def _history_contact() -> Contact | None:
    """The first demo contact who may be addressed, at the first demo account."""
    return (
        Contact.objects.filter(
            account__customer_number__startswith=CUSTOMER_PREFIX, consent="confirmed"
        )
        .order_by("account__customer_number", "pk")
        .first()
    )


def seed_order_history(*, now: datetime, created: Counter[str]) -> None:
    """Regular re-orders of one consumable and a hydraulic pump, relative to ``now``."""
    if Order.objects.filter(source=OrderSource.ERP, external_id__startswith=ORDER_PREFIX).exists():
        return
    contact = _history_contact()
    german = Product.objects.filter(live=True, locale__language_code="de")
    consumable = (
        german.filter(sku__startswith=REORDER_SKU_PREFIX)
        .exclude(price=None)
        .order_by("sku")
        .first()
    )
    pump = german.filter(sku=HYDRAULIC_SKU).first()
    if contact is None or consumable is None:
        return
    purchases = [
        # Every 30 days, the latest a month ago: due again about now.
        (now - timedelta(days=REORDER_EVERY_DAYS * number), consumable, Decimal(200))
        for number in range(REORDERS, 0, -1)
    ]
    if pump is not None and pump.price is not None:
        purchases.append((now - timedelta(days=HYDRAULIC_DAYS_AGO), pump, Decimal(1)))
    purchases.sort(key=lambda purchase: purchase[0])
    for number, (at, product, quantity) in enumerate(purchases, start=1):
        total = (quantity * product.price).quantize(Decimal("0.01"))
        order = Order.objects.create(
            source=OrderSource.ERP,
            external_id=f"{ORDER_PREFIX}{number:05d}",
            account=contact.account,
            contact=contact,
            ordered_at=at,
            revenue=total,
        )
        OrderLine.objects.create(
            order=order,
            sku=product.sku,
            quantity=quantity,
            unit_price=product.price,
            line_total=total,
        )
        Event.objects.create(
            contact=contact,
            account=contact.account,
            kind=EventKind.ORDER,
            occurred_at=at,
            source=EVENT_SOURCE,
            value=total,
            data={"order_number": order.external_id},
        )
        created["orders"] += 1
        created["events"] += 1

"""Opens that mean something: each hit classified by the machine rules, and the figures.

A fixture per class (Apple Mail Privacy Protection, Gmail's and Yahoo's image proxies, a
scanner by its speed and by its user agent, a person, a bot's click), the rules edited in
the admin, and the figures recounted from the raw hits.
"""

import datetime as dt
import ipaddress
import random
import re
from collections import Counter, defaultdict
from decimal import Decimal

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from campaigns.measurement.machines import CompiledRule, classify
from campaigns.models import (
    CampaignDayStats,
    CampaignStatus,
    Delivery,
    Event,
    EventKind,
    MachineRule,
    OrderCredit,
    TrackingHit,
    is_human,
)
from campaigns.services.events import ContactRef, OrderInput, orders_record
from campaigns.services.privacy import (
    contact_erase,
    contact_export_data,
    tracking_hits_anonymise_old,
)
from campaigns.tasks import tracking_hits_anonymise
from campaigns.tracking import delivery_token, link_token
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

SENT = dt.datetime(2026, 11, 10, 8, 0, tzinfo=dt.UTC)
FIREFOX = "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:133.0) Gecko/20100101 Firefox/133.0"
IPHONE_SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1"
)
APPLE_MPP = "Mozilla/5.0"
GMAIL_PROXY = (
    "Mozilla/5.0 (Windows NT 5.1; rv:11.0) Gecko Firefox/11.0 (via ggpht.com GoogleImageProxy)"
)
YAHOO_PROXY = "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"
BARRACUDA = "Barracuda Sentinel (EE)"
SCRIPT = "python-requests/2.32.3"
OFFICE_CHECK = "Microsoft Office Existence Discovery"
HOME_IP = "203.0.113.5"
PRODUCT_URL = "https://shop.example.com/p/SKU-1"
OTHER_URL = "https://shop.example.com/p/SKU-2"

FIGURES = (
    "opens",
    "unique_opens",
    "human_opens",
    "machine_opens",
    "clicks",
    "unique_clicks",
    "bot_clicks",
)


@pytest.fixture
def delivery():
    return DeliveryFactory(
        contact=ContactFactory(email="maria@example.com"), sent_at=SENT, variant_key="de:A", arm="A"
    )


def open_pixel(client, delivery, *, after: float, user_agent: str, ip: str = HOME_IP):
    with time_machine.travel(SENT + dt.timedelta(seconds=after), tick=False):
        return client.get(
            f"/t/o/{delivery_token(delivery.pk)}/", HTTP_USER_AGENT=user_agent, REMOTE_ADDR=ip
        )


def click(client, delivery, *, after: float, user_agent: str, url=PRODUCT_URL, ip=HOME_IP):
    link = link_token(delivery.campaign_id, url)
    with time_machine.travel(SENT + dt.timedelta(seconds=after), tick=False):
        return client.get(
            f"/t/c/{delivery_token(delivery.pk)}/{link}/",
            HTTP_USER_AGENT=user_agent,
            REMOTE_ADDR=ip,
        )


def figures(delivery) -> dict[str, int]:
    rows = CampaignDayStats.objects.filter(
        campaign=delivery.campaign, variant_key=delivery.variant_key, arm=delivery.arm
    )
    return {name: sum(getattr(row, name) for row in rows) for name in FIGURES}


def expected(**values: int) -> dict[str, int]:
    return {name: values.get(name, 0) for name in FIGURES}


# --- one fixture per class -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("user_agent", "ip", "after", "classification"),
    [
        pytest.param(FIREFOX, HOME_IP, 3600, "human", id="person-in-a-browser"),
        pytest.param(GMAIL_PROXY, "66.249.84.17", 5400, "proxy", id="gmail-image-proxy"),
        pytest.param(YAHOO_PROXY, "98.136.1.1", 5400, "proxy", id="yahoo-image-proxy"),
    ],
)
def test_a_persons_open_and_a_proxy_open_are_human_opens(
    client, delivery, user_agent, ip, after, classification
):
    open_pixel(client, delivery, after=after, user_agent=user_agent, ip=ip)

    hit = TrackingHit.objects.get(delivery=delivery)
    assert (hit.kind, hit.classification) == ("open", classification)
    assert (hit.ip, hit.user_agent, hit.seconds_after_send) == (ip, user_agent, after)
    assert figures(delivery) == expected(opens=1, unique_opens=1, human_opens=1)
    reloaded = Delivery.objects.get(pk=delivery.pk)
    assert reloaded.opened_at == reloaded.human_opened_at == SENT + dt.timedelta(seconds=after)


@pytest.mark.parametrize(
    ("user_agent", "ip", "after", "classification"),
    [
        pytest.param(APPLE_MPP, "104.28.40.12", 40, "apple_mpp", id="apple-mpp-bare-user-agent"),
        pytest.param(IPHONE_SAFARI, "17.58.63.1", 90, "apple_mpp", id="apple-mpp-apple-network"),
        pytest.param(FIREFOX, HOME_IP, 1, "scanner", id="scanner-within-a-second"),
        pytest.param(BARRACUDA, "64.235.144.1", 300, "scanner", id="scanner-gateway"),
        pytest.param(SCRIPT, "198.51.100.9", 600, "scanner", id="scanner-script"),
    ],
)
def test_a_machine_open_counts_as_an_open_but_not_as_a_human_one(
    client, delivery, user_agent, ip, after, classification
):
    open_pixel(client, delivery, after=after, user_agent=user_agent, ip=ip)

    hit = TrackingHit.objects.get(delivery=delivery)
    assert hit.classification == classification
    assert figures(delivery) == expected(opens=1, unique_opens=1, machine_opens=1)
    reloaded = Delivery.objects.get(pk=delivery.pk)
    assert reloaded.opened_at is not None
    assert reloaded.human_opened_at is None
    event = Event.objects.get(kind=EventKind.EMAIL_OPEN)
    assert event.data == {"classification": classification}


def test_the_person_opening_after_apples_prefetch_is_the_human_open(client, delivery):
    open_pixel(client, delivery, after=30, user_agent=APPLE_MPP, ip="172.225.1.1")

    open_pixel(client, delivery, after=7200, user_agent=IPHONE_SAFARI, ip="198.51.100.20")

    assert list(TrackingHit.objects.order_by("at").values_list("classification", flat=True)) == [
        "apple_mpp",
        "human",
    ]
    assert figures(delivery) == expected(opens=2, unique_opens=1, human_opens=1, machine_opens=1)
    reloaded = Delivery.objects.get(pk=delivery.pk)
    assert reloaded.opened_at == SENT + dt.timedelta(seconds=30)
    assert reloaded.human_opened_at == SENT + dt.timedelta(seconds=7200)
    assert Event.objects.filter(kind=EventKind.EMAIL_OPEN).count() == 1


def test_a_bot_click_redirects_but_counts_only_as_a_bot_click(client, delivery):
    response = click(client, delivery, after=1, user_agent=SCRIPT)

    assert response.status_code == 302
    assert response["Location"] == PRODUCT_URL
    hit = TrackingHit.objects.get(delivery=delivery)
    assert (hit.kind, hit.classification, hit.url) == ("click", "scanner", PRODUCT_URL)
    event = Event.objects.get(kind=EventKind.EMAIL_CLICK)
    assert event.data == {"url": PRODUCT_URL, "bot": True, "classification": "scanner"}
    assert figures(delivery) == expected(opens=1, unique_opens=1, machine_opens=1, bot_clicks=1)
    reloaded = Delivery.objects.get(pk=delivery.pk)
    assert reloaded.clicked_at is not None and reloaded.opened_at is not None
    assert reloaded.human_clicked_at is None and reloaded.human_opened_at is None


def test_a_human_click_is_a_human_open_too(client, delivery):
    click(client, delivery, after=4000, user_agent=FIREFOX)

    assert figures(delivery) == expected(
        opens=1, unique_opens=1, human_opens=1, clicks=1, unique_clicks=1
    )
    reloaded = Delivery.objects.get(pk=delivery.pk)
    assert (
        reloaded.human_clicked_at == reloaded.human_opened_at == SENT + dt.timedelta(seconds=4000)
    )
    assert Event.objects.get(kind=EventKind.EMAIL_CLICK).data == {"url": PRODUCT_URL}


def test_a_link_check_just_before_the_browser_does_not_swallow_the_persons_click(client, delivery):
    click(client, delivery, after=4000, user_agent=OFFICE_CHECK)

    click(client, delivery, after=4001, user_agent=FIREFOX)

    assert figures(delivery)["clicks"] == 1
    assert figures(delivery)["bot_clicks"] == 1
    assert Event.objects.filter(kind=EventKind.EMAIL_CLICK).count() == 2


def test_a_persons_repeated_click_within_the_minute_counts_once(client, delivery):
    click(client, delivery, after=4000, user_agent=FIREFOX)

    click(client, delivery, after=4010, user_agent=FIREFOX)

    assert TrackingHit.objects.filter(kind="click").count() == 1
    assert figures(delivery)["clicks"] == 1


def test_an_address_that_is_not_one_is_stored_as_none(client, delivery, settings):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.2"]

    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        client.get(
            f"/t/o/{delivery_token(delivery.pk)}/",
            HTTP_USER_AGENT=FIREFOX,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="unknown",
        )

    assert TrackingHit.objects.get().ip is None


def test_the_clients_address_behind_a_trusted_proxy_is_classified(client, delivery, settings):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.2"]

    with time_machine.travel(SENT + dt.timedelta(hours=1), tick=False):
        client.get(
            f"/t/o/{delivery_token(delivery.pk)}/",
            HTTP_USER_AGENT=IPHONE_SAFARI,
            REMOTE_ADDR="10.0.0.2",
            HTTP_X_FORWARDED_FOR="17.58.63.1",
        )

    hit = TrackingHit.objects.get()
    assert (hit.ip, hit.classification) == ("17.58.63.1", "apple_mpp")


@pytest.mark.parametrize(("user_agent", "credited"), [(SCRIPT, False), (FIREFOX, True)])
def test_only_a_persons_click_through_the_link_earns_the_order_that_follows(
    client, delivery, user_agent, credited
):
    delivery.campaign.status = CampaignStatus.DONE
    delivery.campaign.dispatched_at = SENT
    delivery.campaign.save()
    click(client, delivery, after=3600, user_agent=user_agent)

    with time_machine.travel(SENT + dt.timedelta(days=1), tick=False):
        orders_record(
            source="erp",
            items=[
                OrderInput(
                    order_number="E-1",
                    ordered_at=SENT + dt.timedelta(days=1),
                    currency="EUR",
                    contact=ContactRef(email=delivery.contact.email),
                    revenue=Decimal("100.00"),
                )
            ],
        )

    attributed = OrderCredit.objects.filter(campaign=delivery.campaign, kind="attributed")
    assert attributed.exists() is credited


# --- the rules -------------------------------------------------------------------------------


def test_conditions_of_a_rule_must_all_hold():
    rule = CompiledRule(
        name="fast scripts",
        applies_to="both",
        classification="scanner",
        pattern=re.compile("python", re.IGNORECASE),
        max_seconds_after_send=5,
    )

    assert classify("open", None, "Python-urllib/3.12", 3, [rule]) == "scanner"
    assert classify("open", None, "Python-urllib/3.12", 60, [rule]) == "human"
    assert classify("open", None, "Python-urllib/3.12", None, [rule]) == "human"
    assert classify("open", None, FIREFOX, 3, [rule]) == "human"


def test_an_address_rule_matches_its_range_only():
    rule = CompiledRule(
        name="v6",
        applies_to="open",
        classification="apple_mpp",
        network=ipaddress.ip_network("2a02:26f7::/32"),
    )

    assert classify("open", "2a02:26f7:1::9", FIREFOX, None, [rule]) == "apple_mpp"
    assert classify("open", "17.0.0.1", FIREFOX, None, [rule]) == "human"
    assert classify("open", None, FIREFOX, None, [rule]) == "human"
    assert classify("click", "2a02:26f7:1::9", FIREFOX, None, [rule]) == "human"


def test_the_default_rules_are_installed_with_their_sources():
    rules = MachineRule.objects.filter(active=True)

    assert {rule.classification for rule in rules} == {"apple_mpp", "proxy", "scanner"}
    assert all(rule.source for rule in rules)


def rule_form(rule: MachineRule, **overrides) -> dict:
    data = {
        "name": rule.name,
        "applies_to": rule.applies_to,
        "classification": rule.classification,
        "ip_network": rule.ip_network,
        "user_agent_pattern": rule.user_agent_pattern,
        "max_seconds_after_send": rule.max_seconds_after_send or "",
        "priority": rule.priority,
        "active": "on" if rule.active else "",
        "source": rule.source,
    }
    data.update(overrides)
    return data


def test_a_rule_edited_in_the_admin_classifies_the_next_open(client, campaign_manager):
    first, second = DeliveryFactory(sent_at=SENT), DeliveryFactory(sent_at=SENT)
    open_pixel(client, first, after=3600, user_agent=GMAIL_PROXY)
    rule = MachineRule.objects.get(user_agent_pattern="GoogleImageProxy")
    client.force_login(campaign_manager)

    response = client.post(
        reverse("machinerule:edit", args=[rule.pk]), rule_form(rule, classification="scanner")
    )
    client.logout()
    open_pixel(client, second, after=3600, user_agent=GMAIL_PROXY)

    assert response.status_code == 302
    assert TrackingHit.objects.get(delivery=first).classification == "proxy"
    assert TrackingHit.objects.get(delivery=second).classification == "scanner"


def test_a_rule_added_in_the_admin_classifies_the_next_click(client, campaign_manager, delivery):
    client.force_login(campaign_manager)
    new = MachineRule(name="Our own link checker", applies_to="click", classification="scanner")

    response = client.post(
        reverse("machinerule:add"),
        rule_form(new, ip_network="192.0.2.0/24", priority=1, active="on"),
    )
    click(client, delivery, after=3600, user_agent=FIREFOX, ip="192.0.2.44")

    assert response.status_code == 302
    assert TrackingHit.objects.get().classification == "scanner"
    assert figures(delivery)["bot_clicks"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("ip_network", "300.1.2.0/8"),
        ("ip_network", "apple"),
        ("user_agent_pattern", "Mozilla/(5"),
        ("user_agent_pattern", "*bot"),
    ],
)
def test_a_rule_with_a_bad_range_or_pattern_is_refused_at_its_field(
    client, campaign_manager, field, value
):
    client.force_login(campaign_manager)
    new = MachineRule(name="Broken", applies_to="open", classification="scanner")

    response = client.post(reverse("machinerule:add"), rule_form(new, **{field: value}))

    assert response.status_code == 200
    assert list(response.context["form"].errors) == [field]
    assert not MachineRule.objects.filter(name="Broken").exists()


def test_a_rule_without_any_condition_is_refused(client, campaign_manager):
    client.force_login(campaign_manager)
    new = MachineRule(name="Everything", applies_to="open", classification="scanner")

    response = client.post(reverse("machinerule:add"), rule_form(new))

    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not MachineRule.objects.filter(name="Everything").exists()


@pytest.mark.parametrize("group", ["Editors", "Channel integrators", "Marketing approvers"])
def test_other_groups_cannot_see_or_change_the_rules(client, make_user, group):
    client.force_login(make_user(group))
    rule = MachineRule.objects.first()

    listing = client.get(reverse("machinerule:index"))
    edit = client.post(reverse("machinerule:edit", args=[rule.pk]), rule_form(rule, name="Hi"))

    assert listing.status_code in (302, 403)
    assert edit.status_code in (302, 403)
    assert MachineRule.objects.get(pk=rule.pk).name == rule.name


def test_campaign_managers_see_the_rules(client, campaign_manager):
    client.force_login(campaign_manager)

    response = client.get(reverse("machinerule:index"))

    assert response.status_code == 200
    assert "Gmail image proxy" in response.content.decode()


def test_campaign_managers_see_each_hit_with_its_classification(client, campaign_manager, delivery):
    open_pixel(client, delivery, after=30, user_agent=APPLE_MPP, ip="172.225.1.1")
    hit = TrackingHit.objects.get()
    client.force_login(campaign_manager)

    listing = client.get(reverse("trackinghit:index"))
    page = client.get(reverse("trackinghit:inspect", args=[hit.pk]))

    assert listing.status_code == page.status_code == 200
    assert "Apple Mail Privacy Protection" in listing.content.decode()
    assert "172.225.1.1" in page.content.decode()


def test_other_groups_do_not_see_the_hits(client, make_user, delivery):
    open_pixel(client, delivery, after=3600, user_agent=FIREFOX)
    client.force_login(make_user("Editors"))

    response = client.get(reverse("trackinghit:index"))

    assert response.status_code in (302, 403)


# --- the figures agree with the raw hits -----------------------------------------------------

AGENTS = [
    (FIREFOX, HOME_IP),
    (IPHONE_SAFARI, "198.51.100.20"),
    (GMAIL_PROXY, "66.249.84.17"),
    (APPLE_MPP, "172.225.1.1"),
    (BARRACUDA, "64.235.144.1"),
    (SCRIPT, "198.51.100.9"),
]


def recounted(campaign) -> dict[tuple, dict[str, int]]:
    """Every figure of the campaign, recounted from its deliveries' hits alone."""
    counts: dict[tuple, Counter] = defaultdict(Counter)
    deliveries = Delivery.objects.filter(campaign=campaign).prefetch_related("tracking_hits")
    for delivery in deliveries:
        hits = sorted(delivery.tracking_hits.all(), key=lambda hit: hit.at)

        def key(hit, delivery=delivery):
            return (delivery.variant_key, delivery.arm, timezone.localdate(hit.at))

        for hit in hits:
            human = is_human(hit.classification)
            if hit.kind == "open":
                counts[key(hit)]["opens"] += 1
                counts[key(hit)]["machine_opens"] += not human
            else:
                counts[key(hit)]["clicks" if human else "bot_clicks"] += 1
        if not hits:
            continue
        first = hits[0]
        counts[key(first)]["unique_opens"] += 1
        if first.kind == "click":  # the pixel was not loaded: the click is the first open
            counts[key(first)]["opens"] += 1
            counts[key(first)]["machine_opens"] += not is_human(first.classification)
        human_hits = [hit for hit in hits if is_human(hit.classification)]
        if human_hits:
            counts[key(human_hits[0])]["human_opens"] += 1
        human_clicks = [hit for hit in human_hits if hit.kind == "click"]
        if human_clicks:
            counts[key(human_clicks[0])]["unique_clicks"] += 1
    return {
        key: {name: values[name] for name in FIGURES}
        for key, values in counts.items()
        if any(values.values())
    }


def stored(campaign) -> dict[tuple, dict[str, int]]:
    return {
        (row.variant_key, row.arm, row.day): {name: getattr(row, name) for name in FIGURES}
        for row in CampaignDayStats.objects.filter(campaign=campaign)
    }


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_the_figures_agree_with_the_hits_and_deliveries_they_come_from(client, seed):
    rng = random.Random(seed)
    campaign = CampaignFactory()
    deliveries = [
        DeliveryFactory(
            campaign=campaign,
            sent_at=SENT,
            variant_key=f"de:{arm}",
            arm=arm,
        )
        for arm in ("A", "A", "B", "B", "B", "")
    ]
    # Distinct instants, a few within seconds of sending, the rest over two days (and two
    # calendar days in the hub's time zone).
    offsets = sorted(rng.sample(range(0, 4), 2) + rng.sample(range(5, 48 * 3600), 70))

    for after in offsets:
        delivery = rng.choice(deliveries)
        user_agent, ip = rng.choice(AGENTS)
        if rng.random() < 0.5:
            open_pixel(client, delivery, after=after, user_agent=user_agent, ip=ip)
        else:
            url = rng.choice([PRODUCT_URL, OTHER_URL])
            click(client, delivery, after=after, user_agent=user_agent, ip=ip, url=url)

    assert stored(campaign) == recounted(campaign)
    click_events = Event.objects.filter(kind=EventKind.EMAIL_CLICK)
    human_click_events = [event for event in click_events if not event.data.get("bot")]
    assert len(human_click_events) == sum(row["clicks"] for row in stored(campaign).values())
    for delivery in Delivery.objects.filter(campaign=campaign).prefetch_related("tracking_hits"):
        hits = sorted(delivery.tracking_hits.all(), key=lambda hit: hit.at)
        human = [hit.at for hit in hits if is_human(hit.classification)]
        human_clicks = [
            hit.at for hit in hits if is_human(hit.classification) and hit.kind == "click"
        ]
        assert delivery.opened_at == (hits[0].at if hits else None)
        assert delivery.human_opened_at == (human[0] if human else None)
        assert delivery.human_clicked_at == (human_clicks[0] if human_clicks else None)


# --- personal data ---------------------------------------------------------------------------


def test_erasing_a_contact_blanks_address_and_user_agent_of_its_hits(client, delivery):
    other = DeliveryFactory(campaign=delivery.campaign, sent_at=SENT)
    open_pixel(client, delivery, after=3600, user_agent=FIREFOX)
    click(client, delivery, after=3700, user_agent=FIREFOX)
    open_pixel(client, other, after=3600, user_agent=FIREFOX)
    figures_before = figures(delivery)

    contact_erase(contact=delivery.contact, user=None, reason="Ticket 4711")

    hits = TrackingHit.objects.filter(delivery=delivery).order_by("at")
    assert [(hit.kind, hit.classification) for hit in hits] == [
        ("open", "human"),
        ("click", "human"),
    ]
    assert {(hit.ip, hit.user_agent) for hit in hits} == {(None, "")}
    assert TrackingHit.objects.get(delivery=other).ip == HOME_IP
    assert figures(delivery) == figures_before


def test_the_export_lists_the_hits_with_address_and_user_agent(client, delivery):
    open_pixel(client, delivery, after=3600, user_agent=FIREFOX)

    data = contact_export_data(contact=delivery.contact, user=None)

    [hit] = data["tracking"]
    assert (hit["kind"], hit["ip"], hit["user_agent"]) == ("open", HOME_IP, FIREFOX)


def test_hits_past_their_retention_lose_address_and_user_agent(client, delivery, settings):
    settings.HUB_TRACKING_HIT_RETENTION_DAYS = 90
    open_pixel(client, delivery, after=3600, user_agent=FIREFOX)
    open_pixel(client, delivery, after=80 * 86400, user_agent=FIREFOX)

    count = tracking_hits_anonymise_old(now=SENT + dt.timedelta(days=91))

    assert count == 1
    old, recent = TrackingHit.objects.order_by("at")
    assert (old.ip, old.user_agent, old.classification) == (None, "", "human")
    assert (recent.ip, recent.user_agent) == (HOME_IP, FIREFOX)


def test_the_nightly_task_blanks_hits_past_their_retention(client, delivery, settings):
    open_pixel(client, delivery, after=3600, user_agent=FIREFOX)

    with time_machine.travel(SENT + dt.timedelta(days=120), tick=False):
        tracking_hits_anonymise.delay()

    assert TrackingHit.objects.get().ip is None
    entry = settings.CELERY_BEAT_SCHEDULE["tracking-hits-anonymise"]
    assert entry["task"] == tracking_hits_anonymise.name

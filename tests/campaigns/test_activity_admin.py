"""Events and orders in the admin: campaign managers read them; nobody changes them there."""

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from wagtail.users.models import UserProfile

from campaigns.models import Event, Order
from tests.admin_flow import outcome
from tests.factories import ContactFactory, EventFactory, OrderFactory, OrderLineFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def event():
    return EventFactory(
        contact=ContactFactory(email="erika@example.com"),
        kind="cart_abandoned",
        sku="HW-BEF-0001",
        source="api:7",
        idempotency_key="cart-19a0",
    )


@pytest.fixture
def order():
    order = OrderFactory(external_id="WS-2026-000123", revenue=Decimal("207.33"))
    OrderLineFactory(
        order=order, sku="HW-BEF-0001", quantity=Decimal("10"), unit_price=Decimal("19.90")
    )
    OrderLineFactory(
        order=order, sku="HW-BEF-0002", quantity=Decimal("2.5"), unit_price=Decimal("3.33")
    )
    return order


def pages(event, order):
    return [
        reverse("event:index"),
        reverse("event:inspect", args=(event.pk,)),
        reverse("order:index"),
        reverse("order:inspect", args=(order.pk,)),
    ]


def test_campaign_managers_open_every_event_and_order_page(client, campaign_manager, event, order):
    client.force_login(campaign_manager)

    outcomes = {url: outcome(client.get(url)) for url in pages(event, order)}

    assert set(outcomes.values()) == {"ok"}, outcomes


@pytest.mark.parametrize("who", ["editor", "integrator"])
def test_other_groups_open_no_event_or_order_page(client, request, who, event, order):
    client.force_login(request.getfixturevalue(who))

    outcomes = {url: outcome(client.get(url)) for url in pages(event, order)}

    assert set(outcomes.values()) == {"denied"}, outcomes


@pytest.mark.parametrize("viewset", ["event", "order"])
@pytest.mark.parametrize("view", ["add", "edit", "delete", "copy", "history"])
def test_the_admin_has_no_view_that_changes_events_or_orders(viewset, view):
    with pytest.raises(NoReverseMatch):
        reverse(f"{viewset}:{view}", args=(1,) if view != "add" else ())


def test_a_posted_form_changes_no_event(client, campaign_manager, event):
    client.force_login(campaign_manager)

    response = client.post(
        reverse("event:inspect", args=(event.pk,)), {"kind": "order", "sku": "CHANGED"}
    )

    assert response.status_code == 405
    assert Event.objects.get(pk=event.pk).sku == "HW-BEF-0001"


def test_the_event_list_shows_what_happened_and_who_reported_it(client, campaign_manager, event):
    client.force_login(campaign_manager)

    html = client.get(reverse("event:index")).content.decode()

    assert "Cart abandoned" in html
    assert "erika@example.com" in html
    assert "HW-BEF-0001" in html
    assert "api:7" in html
    assert reverse("event:inspect", args=(event.pk,)) in html


def test_events_can_be_filtered_by_kind(client, campaign_manager, event):
    EventFactory(kind="email_open", sku="OTHER-SKU")
    client.force_login(campaign_manager)

    html = client.get(reverse("event:index"), {"kind": "cart_abandoned"}).content.decode()

    assert "HW-BEF-0001" in html
    assert "OTHER-SKU" not in html


# 23:30 UTC on 1 December is 00:30 on 2 December in the hub's time zone (Europe/Berlin).
LATE_EVENING_UTC = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)


def filter_events_by_day(client, day: str) -> str:
    return client.get(
        reverse("event:index"), {"occurred_at_from": day, "occurred_at_to": day}
    ).content.decode()


def test_events_can_be_filtered_by_date(client, campaign_manager):
    EventFactory(sku="HW-BEF-0001", occurred_at=LATE_EVENING_UTC)
    EventFactory(sku="LAST-YEAR", occurred_at=LATE_EVENING_UTC.replace(year=2020))
    client.force_login(campaign_manager)

    html = filter_events_by_day(client, timezone.localdate(LATE_EVENING_UTC).isoformat())

    assert "HW-BEF-0001" in html
    assert "LAST-YEAR" not in html


def test_a_date_filter_means_the_day_in_the_hubs_time_zone(client, campaign_manager, settings):
    assert settings.TIME_ZONE == "Europe/Berlin"
    EventFactory(sku="HW-BEF-0001", occurred_at=LATE_EVENING_UTC)
    client.force_login(campaign_manager)

    berlin_day = filter_events_by_day(client, "2026-12-02")
    utc_day = filter_events_by_day(client, "2026-12-01")

    assert "HW-BEF-0001" in berlin_day
    assert "HW-BEF-0001" not in utc_day


def test_a_date_filter_means_the_day_in_the_users_own_time_zone(client, campaign_manager):
    UserProfile.get_for_user(campaign_manager)
    UserProfile.objects.filter(user=campaign_manager).update(current_time_zone="America/New_York")
    EventFactory(sku="HW-BEF-0001", occurred_at=LATE_EVENING_UTC)
    client.force_login(campaign_manager)

    new_york_day = filter_events_by_day(client, "2026-12-01")
    berlin_day = filter_events_by_day(client, "2026-12-02")

    assert "HW-BEF-0001" in new_york_day
    assert "HW-BEF-0001" not in berlin_day


def test_the_event_page_shows_its_data_and_key(client, campaign_manager, event):
    Event.objects.filter(pk=event.pk).update(data={"cart": ["HW-BEF-0001"]})
    client.force_login(campaign_manager)

    html = client.get(reverse("event:inspect", args=(event.pk,))).content.decode()

    assert "cart-19a0" in html
    assert "HW-BEF-0001" in html


def test_the_order_list_shows_the_revenue(client, campaign_manager, order):
    client.force_login(campaign_manager)

    html = client.get(reverse("order:index")).content.decode()

    assert "WS-2026-000123" in html
    assert "207.33" in html or "207,33" in html


def test_the_order_page_lists_its_lines(client, campaign_manager, order):
    client.force_login(campaign_manager)

    response = client.get(reverse("order:inspect", args=(order.pk,)))

    html = response.content.decode()
    assert "data-order-lines" in html
    assert "HW-BEF-0001" in html
    assert "HW-BEF-0002" in html
    assert list(response.context["lines"]) == list(order.lines.all())


def test_orders_can_be_filtered_by_source(client, campaign_manager, order):
    OrderFactory(external_id="SHOP-1", source="webshop")
    client.force_login(campaign_manager)

    html = client.get(reverse("order:index"), {"source": "webshop"}).content.decode()

    assert "SHOP-1" in html
    assert "WS-2026-000123" not in html
    assert Order.objects.count() == 2


# --- ignored bounces and complaints ---------------------------------------------------------


@pytest.fixture
def ignored():
    from campaigns.models import IgnoredFeedback, IgnoredFeedbackReason, email_hash

    return IgnoredFeedback.objects.create(
        notification_id="b1f4c2e0-sns",
        reason=IgnoredFeedbackReason.NOT_SENT_BY_HUB,
        topic_arn="arn:aws:sns:eu-central-1:123456789012:ses-feedback",
        kind="complaint",
        permanent=True,
        email_hash=email_hash("stranger@example.com"),
    )


def test_campaign_managers_find_an_ignored_complaint_by_its_address(
    client, campaign_manager, ignored
):
    client.force_login(campaign_manager)

    found = client.get(reverse("ignoredfeedback:index"), {"q": "Stranger@Example.com"})
    other = client.get(reverse("ignoredfeedback:index"), {"q": "someone@example.com"})
    inspect = client.get(reverse("ignoredfeedback:inspect", args=(ignored.pk,)))

    assert ignored.email_hash[:16] in found.content.decode()
    assert ignored.email_hash[:16] not in other.content.decode()
    assert ignored.email_hash in inspect.content.decode()
    assert "stranger@example.com" not in inspect.content.decode()


def test_ignored_bounces_are_not_open_to_editors_and_cannot_be_changed(client, editor, ignored):
    client.force_login(editor)

    response = client.get(reverse("ignoredfeedback:index"))

    assert outcome(response) == "denied"
    with pytest.raises(NoReverseMatch):
        reverse("ignoredfeedback:edit", args=(ignored.pk,))

"""Sending exactly once: leases, fenced results, messages in doubt, failures that end.

The crash tests with real worker processes are in test_send_crash.py; these run the same
services in the test process against a real SMTP server (aiosmtpd).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Delivery, DeliveryState, ScheduleMode
from campaigns.services.ab_test import campaign_choose_winner
from campaigns.services.campaigns import campaign_schedule
from campaigns.services.dispatch import campaign_dispatch
from campaigns.services.leases import BatchLease
from campaigns.services.sending import (
    BatchReport,
    _Recorder,
    batch_send,
    campaign_finish_if_done,
    deliveries_claim,
    deliveries_release_stale,
)
from campaigns.tasks import campaigns_tick
from channels.base import DeliveryResult
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import ContactFactory, OrderFactory
from tests.mail_sink import free_port

pytestmark = pytest.mark.django_db

START = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)


@pytest.fixture
def running(approved, campaign_manager):
    """Dispatches an approved newsletter to ``count`` new contacts; returns the campaign."""

    def run(count: int = 3, **fields) -> Campaign:
        live_message("de")
        ContactFactory.create_batch(count)
        campaign = approved(newsletter_campaign(**fields))
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
        return Campaign.objects.get(pk=campaign.pk)

    return run


def received(sink) -> Counter:
    return Counter(recipient for mail in sink.received for recipient in mail.recipients)


def states(campaign: Campaign) -> Counter:
    return Counter(Delivery.objects.filter(campaign=campaign).values_list("state", flat=True))


def after_lease(settings, now=None) -> dt.datetime:
    return (now or timezone.now()) + dt.timedelta(seconds=settings.HUB_SEND_LEASE_SECONDS + 1)


# --- the lease ----------------------------------------------------------------------------------


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_lease_is_held_after_renewal_and_no_longer_once_four_fifths_passed(running, settings):
    campaign = running(2)
    [claim] = deliveries_claim(campaign_id=campaign.pk)
    clock = Clock()
    lease = BatchLease.take(claim, clock=clock)

    held_rows = lease.renew()
    clock.now += settings.HUB_SEND_LEASE_SECONDS * 0.79
    held_before = lease.held()
    clock.now += settings.HUB_SEND_LEASE_SECONDS * 0.02
    held_after = lease.held()

    assert (held_rows, held_before, held_after) == (2, True, False)


def test_a_lease_whose_rows_another_batch_took_is_lost_for_good(running, settings):
    campaign = running(2)
    [stalled] = deliveries_claim(campaign_id=campaign.pk)
    lease = BatchLease.take(stalled)

    with time_machine.travel(after_lease(settings)):
        deliveries_release_stale()
        [taker] = deliveries_claim(campaign_id=campaign.pk)

    assert lease.renew() == 0
    assert (lease.lost, lease.held()) == (True, False)
    assert set(Delivery.objects.values_list("claimed_by", flat=True)) == {taker}


def test_the_same_batch_run_twice_sends_each_mail_once(running, newsletter_sink):
    campaign = running(3)
    [claim] = deliveries_claim(campaign_id=campaign.pk)
    first = BatchLease.take(claim)  # a first run of the task is still busy with it

    second = batch_send(campaign_id=campaign.pk, claim=claim)  # the broker redelivered it

    assert (first.held(), second.sent) == (True, 0)
    assert newsletter_sink.received == []
    assert set(Delivery.objects.values_list("claimed_by", flat=True)) == {first.token}


def test_renewing_keeps_the_rows_from_being_released(running, settings):
    campaign = running(2)
    [claim] = deliveries_claim(campaign_id=campaign.pk)
    almost = timezone.now() + dt.timedelta(seconds=settings.HUB_SEND_LEASE_SECONDS * 0.9)

    lease = BatchLease.take(claim)
    with time_machine.travel(almost):
        lease.renew()
    with time_machine.travel(after_lease(settings)):
        released = deliveries_release_stale()

    assert released == 0
    assert states(campaign) == Counter({DeliveryState.SENDING: 2})


def test_a_result_for_a_row_another_batch_took_is_not_recorded(running, settings):
    campaign = running(1)
    [stalled] = deliveries_claim(campaign_id=campaign.pk)
    lease = BatchLease.take(stalled)
    with time_machine.travel(after_lease(settings)):
        deliveries_release_stale()
        [taker] = deliveries_claim(campaign_id=campaign.pk)
    row = Delivery.objects.get()
    report = BatchReport()

    _Recorder(report, lease, max_attempts=5)(DeliveryResult(row.pk, sent=True, message_id="x"))

    row.refresh_from_db()
    assert (row.state, row.claimed_by, row.message_id) == (DeliveryState.SENDING, taker, "")
    assert (report.sent, report.lease_lost, lease.lost) == (0, True, True)


def test_a_batch_that_waited_past_its_lease_sends_nothing_and_its_successor_sends_once(
    running, settings, newsletter_sink
):
    campaign = running(3)
    [waited] = deliveries_claim(campaign_id=campaign.pk)
    with time_machine.travel(after_lease(settings)):
        deliveries_release_stale()
        [taker] = deliveries_claim(campaign_id=campaign.pk)

    late = batch_send(campaign_id=campaign.pk, claim=waited)
    batch_send(campaign_id=campaign.pk, claim=taker)

    assert (late.sent, late.failed) == (0, 0)
    assert sorted(received(newsletter_sink).values()) == [1, 1, 1]
    assert states(campaign) == Counter({DeliveryState.SENT: 3})


def test_a_batch_handed_out_too_often_without_an_outcome_fails_with_the_reason(running, settings):
    settings.HUB_SEND_MAX_ATTEMPTS = 2
    campaign = running(1)
    now = timezone.now()
    for _attempt in range(2):
        with time_machine.travel(now):
            deliveries_claim(campaign_id=campaign.pk)  # each worker dies with the batch
        now = after_lease(settings, now)
        with time_machine.travel(now):
            deliveries_release_stale()

    row = Delivery.objects.get()
    assert row.state == DeliveryState.FAILED
    assert "Given up after 2 attempts" in row.detail
    assert campaign_finish_if_done(campaign_id=campaign.pk)


# --- messages in doubt --------------------------------------------------------------------------


def test_a_mail_whose_confirmation_was_lost_is_in_doubt_and_never_sent_again(
    running, settings, newsletter_sink
):
    campaign = running(3)
    doubtful = Delivery.objects.order_by("pk").first().contact
    newsletter_sink.drop(doubtful.email, at="data")

    campaigns_tick()
    with time_machine.travel(after_lease(settings) + dt.timedelta(hours=2)):
        campaigns_tick()
        campaigns_tick()

    row = Delivery.objects.get(contact=doubtful)
    assert row.state == DeliveryState.IN_DOUBT
    assert "may have been delivered" in row.detail
    assert received(newsletter_sink) == Counter({c.email: 1 for c in campaign_contacts(campaign)})
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_with_the_retry_policy_a_mail_in_doubt_is_sent_again_later(
    running, settings, newsletter_sink
):
    settings.HUB_SEND_IN_DOUBT = "retry"
    running(2)
    doubtful = Delivery.objects.order_by("pk").first().contact
    newsletter_sink.drop(doubtful.email, at="data")

    campaigns_tick()
    queued_again = Delivery.objects.get(contact=doubtful).state
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        campaigns_tick()

    assert queued_again == DeliveryState.QUEUED
    assert received(newsletter_sink)[doubtful.email] == 2
    assert Delivery.objects.get(contact=doubtful).state == DeliveryState.SENT


def campaign_contacts(campaign: Campaign):
    return [d.contact for d in Delivery.objects.filter(campaign=campaign).select_related("contact")]


# --- failures that end --------------------------------------------------------------------------


def test_a_permanent_transport_error_fails_the_rows_with_its_reason_and_the_campaign_ends(
    running, settings, mail_sink
):
    # The server offers no STARTTLS: this configuration can never send.
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.SMTPTransport",
            "OPTIONS": {"HOST": mail_sink.host, "PORT": mail_sink.port, "STARTTLS": True},
        }
    }
    campaign = running(2)

    campaigns_tick()
    campaigns_tick()

    rows = list(Delivery.objects.filter(campaign=campaign))
    assert {row.state for row in rows} == {DeliveryState.FAILED}
    assert all("not supported by the server" in row.detail for row in rows)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_a_transient_transport_error_is_tried_max_attempts_times_then_fails(running, settings):
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.SMTPTransport",
            "OPTIONS": {"HOST": "127.0.0.1", "PORT": free_port(), "TIMEOUT": 2},
        }
    }
    settings.HUB_SEND_MAX_ATTEMPTS = 3
    campaign = running(2)
    now = timezone.now()
    seen = []

    for _attempt in range(4):
        with time_machine.travel(now):
            campaigns_tick()
        seen.append(states(campaign))
        now += dt.timedelta(hours=2)

    assert seen[0] == Counter({DeliveryState.QUEUED: 2})
    assert seen[2] == Counter({DeliveryState.FAILED: 2})
    rows = list(Delivery.objects.filter(campaign=campaign))
    assert all(row.attempts == 3 and "cannot connect" in row.detail for row in rows)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_a_variant_that_cannot_be_rendered_fails_all_its_rows_and_the_campaign_ends(
    running, settings, newsletter_sink, monkeypatch
):
    from channels.newsletter import NewsletterChannel

    settings.HUB_SEND_BATCH_SIZE = 1

    def broken_render(self, variant):
        raise ValueError("layout template is missing the footer")

    monkeypatch.setattr(NewsletterChannel, "render", broken_render)
    campaign = running(3)

    campaigns_tick()
    campaigns_tick()

    rows = list(Delivery.objects.filter(campaign=campaign))
    assert {row.state for row in rows} == {DeliveryState.FAILED}
    assert all(
        "Could not render this variant" in row.detail and "missing the footer" in row.detail
        for row in rows
    )
    assert newsletter_sink.received == []
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.DONE


def test_the_progress_page_shows_failures_and_doubts_with_their_reasons(
    client, campaign_manager, running, newsletter_sink
):
    from django.urls import reverse

    campaign = running(3)
    first, second = (d.contact for d in Delivery.objects.order_by("pk")[:2])
    newsletter_sink.reject(first.email, 550, "No such user here")
    newsletter_sink.drop(second.email, at="data")
    campaigns_tick()
    client.force_login(campaign_manager)
    url = reverse("wagtailsnippets_campaigns_campaign:progress", args=(campaign.pk,))

    page = client.get(url).content.decode()
    state = client.get(url, {"format": "json"}).json()

    assert (state["progress"]["failed"], state["progress"]["in_doubt"]) == (1, 1)
    assert state["percent"] == 100
    assert {(row["state"], row["count"]) for row in state["unsent"]} == {
        ("failed", 1),
        ("in_doubt", 1),
    }
    assert "No such user here" in page
    assert "may have been delivered" in page


# --- the A/B winner by revenue ------------------------------------------------------------------


def test_the_revenue_winner_compares_revenue_per_recipient_not_the_arms_total(
    approved, campaign_manager
):
    live_message("de")
    ContactFactory.create_batch(10)
    campaign = approved(
        newsletter_campaign(
            arms=[("A", 20), ("B", 40)],
            winner_metric="revenue",
            winner_after_hours=2,
            winner_requires_significance=False,
        )
    )
    with time_machine.travel(START, tick=False):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
    Delivery.objects.filter(arm__in=["A", "B"]).update(state=DeliveryState.SENT)
    later = START + dt.timedelta(hours=1)
    # A: 2 recipients, 300 in all (150 each); B: 4 recipients, 400 in all (100 each).
    OrderFactory(contact=Delivery.objects.filter(arm="A")[0].contact, ordered_at=later,
                 revenue=Decimal("300"))  # fmt: skip
    for delivery in Delivery.objects.filter(arm="B"):
        OrderFactory(contact=delivery.contact, ordered_at=later, revenue=Decimal("100"))

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=START + dt.timedelta(hours=2))

    assert winner == "A"


def test_the_revenue_winner_counts_an_order_once_however_many_channels_reached_the_buyer(
    approved, campaign_manager
):
    live_message("de")
    ContactFactory.create_batch(8)
    campaign = approved(
        newsletter_campaign(
            arms=[("A", 25), ("B", 25)],
            winner_metric="revenue",
            winner_after_hours=2,
            winner_requires_significance=False,
        )
    )
    with time_machine.travel(START, tick=False):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
    Delivery.objects.filter(arm__in=["A", "B"]).update(state=DeliveryState.SENT)
    buyer_a = Delivery.objects.filter(arm="A")[0].contact
    buyer_b = Delivery.objects.filter(arm="B")[0].contact
    # The webshop reached A's buyer as well: two deliveries, one person, one order.
    Delivery.objects.create(
        campaign=campaign, channel="webshop", contact=buyer_a, arm="A",
        state=DeliveryState.SENT, due_at=START,
    )  # fmt: skip
    later = START + dt.timedelta(hours=1)
    OrderFactory(contact=buyer_a, ordered_at=later, revenue=Decimal("300"))
    OrderFactory(contact=buyer_b, ordered_at=later, revenue=Decimal("400"))

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=START + dt.timedelta(hours=2))

    assert winner == "B"


def test_a_mail_in_doubt_that_is_opened_counts_as_sent(running, newsletter_sink):
    from campaigns.services.tracking import tracking_open

    campaign = running(1)
    row = Delivery.objects.get(campaign=campaign)
    newsletter_sink.drop(row.contact.email, at="data")
    campaigns_tick()
    handed_over = Delivery.objects.get(pk=row.pk).updated_at

    with time_machine.travel(timezone.now() + dt.timedelta(hours=3)):
        tracking_open(delivery_id=row.pk)

    row.refresh_from_db()
    assert (row.state, row.sent_at) == (DeliveryState.SENT, handed_over)
    assert row.opened_at is not None

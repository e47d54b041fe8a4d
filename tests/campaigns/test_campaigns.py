"""Campaigns: approval gate, variants, audience split, local-time schedule, sending once."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import (
    Campaign,
    CampaignStatus,
    ConsentState,
    Delivery,
    DeliveryState,
    ScheduleMode,
)
from campaigns.personalisation import VariantResolver
from campaigns.services.campaigns import (
    CampaignError,
    CampaignNotReady,
    campaign_cancel,
    campaign_pause,
    campaign_resume,
    campaign_schedule,
)
from campaigns.services.consent import suppression_add
from campaigns.services.dispatch import campaign_dispatch
from campaigns.tasks import campaigns_tick
from tests.campaigns.campaign_setup import approve, live_message, newsletter_campaign
from tests.factories import AccountFactory, ContactFactory

pytestmark = pytest.mark.django_db


def test_approving_both_steps_makes_the_campaign_approved_and_live(approved):
    live_message("de")
    campaign = newsletter_campaign()

    campaign = approved(campaign)

    assert campaign.live
    assert campaign.status == CampaignStatus.APPROVED


def test_a_campaign_in_review_reads_in_approval_and_cannot_be_scheduled(
    campaign_manager, marketing_approver
):
    live_message("de")
    ContactFactory()
    campaign = approve(newsletter_campaign(), manager=campaign_manager, approvers=[])

    with pytest.raises(CampaignError):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    assert campaign.status_label == "In Freigabe"  # German, the default
    assert not Delivery.objects.exists()


def test_a_draft_is_never_dispatched_even_if_marked_scheduled(campaign_manager):
    live_message("de")
    ContactFactory()
    campaign = newsletter_campaign()
    Campaign.objects.filter(pk=campaign.pk).update(
        status=CampaignStatus.SCHEDULED, schedule_mode=ScheduleMode.NOW, send_at=timezone.now()
    )

    written = campaign_dispatch(campaign_id=campaign.pk)

    assert written == 0
    assert not Delivery.objects.exists()


def test_scheduling_lists_each_variant_without_an_approved_message(approved, campaign_manager):
    live_message("de")
    ContactFactory(language="de")
    ContactFactory(language="en", role="approver", phase="loyalty")
    campaign = approved(newsletter_campaign(languages=("de", "en")))

    with pytest.raises(CampaignNotReady) as refused:
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    assert refused.value.problems == [
        "Englisch - Genehmiger - Loyalität: keine freigegebene Zielgruppen-Botschaft"
    ]
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.APPROVED


def test_scheduling_names_a_language_without_a_newsletter_version(approved, campaign_manager):
    live_message("de")
    live_message("en")
    ContactFactory(language="en", role="buyer", phase="awareness")
    campaign = approved(newsletter_campaign(languages=("de",)))

    with pytest.raises(CampaignNotReady) as refused:
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    assert refused.value.problems == [
        "Englisch - Einkäufer / Empfehler - Aufmerksamkeit: "
        "keine Newsletter-Version in der Sprache en"
    ]


def test_each_variant_takes_the_most_specific_approved_message():
    everyone = live_message("de", headline="Für alle")
    buyers = live_message("de", role="buyer", headline="Für Einkäufer")
    considering = live_message("de", phase="consideration", headline="Beim Abwägen")
    both = live_message("de", role="buyer", phase="consideration", headline="Einkäufer, abwägend")
    live_message("de", role="buyer", phase="loyalty", live=False, headline="Entwurf")
    resolver = VariantResolver(newsletter_campaign())

    def chosen(role, phase):
        return resolver.message_for(None, "de", role, phase).headline

    assert chosen("buyer", "consideration") == both.headline
    assert chosen("buyer", "loyalty") == buyers.headline
    assert chosen("user", "consideration") == considering.headline
    assert chosen("user", "awareness") == everyone.headline
    assert chosen("", "") == everyone.headline


def test_the_audience_splits_into_exact_arm_holdout_and_winner_shares(approved, campaign_manager):
    live_message("de")
    ContactFactory.create_batch(200)
    campaign = approved(
        newsletter_campaign(
            arms=[("A", 20), ("B", 20)],
            holdout_percent=10,
            winner_metric="click_rate",
            winner_after_hours=4,
        )
    )
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    campaign_dispatch(campaign_id=campaign.pk)

    split = Counter(Delivery.objects.values_list("arm", "state"))
    assert split == {
        ("holdout", DeliveryState.HELD_OUT): 20,
        ("A", DeliveryState.QUEUED): 40,
        ("B", DeliveryState.QUEUED): 40,
        ("", DeliveryState.WAITING): 100,
    }


def test_local_time_sends_at_that_hour_in_each_recipients_zone(approved, campaign_manager):
    live_message("de")
    berlin = ContactFactory(account=AccountFactory(country="DE"))
    new_york = ContactFactory(account=AccountFactory(country="US"))
    tokyo = ContactFactory(account=AccountFactory(country="DE"), timezone="Asia/Tokyo")
    campaign = approved(newsletter_campaign())
    day = dt.datetime(2027, 1, 12, 0, 0, tzinfo=ZoneInfo("Europe/Berlin"))

    with time_machine.travel(dt.datetime(2027, 1, 10, 12, 0, tzinfo=dt.UTC), tick=False):
        campaign_schedule(
            campaign=campaign,
            mode=ScheduleMode.LOCAL,
            send_at=day,
            local_time=dt.time(9, 0),
            user=campaign_manager,
        )
        campaign_dispatch(campaign_id=campaign.pk)

    due = dict(Delivery.objects.values_list("contact_id", "due_at"))
    assert due[berlin.pk] == dt.datetime(2027, 1, 12, 8, 0, tzinfo=dt.UTC)
    assert due[new_york.pk] == dt.datetime(2027, 1, 12, 14, 0, tzinfo=dt.UTC)
    assert due[tokyo.pk] == dt.datetime(2027, 1, 12, 0, 0, tzinfo=dt.UTC)


def test_a_campaign_is_sent_once_to_every_reachable_contact_in_their_language(
    approved, campaign_manager, newsletter_sink
):
    live_message("de")
    live_message("en")
    german = ContactFactory(language="de")
    english = ContactFactory(language="en")
    ContactFactory(consent=ConsentState.PENDING)
    campaign = approved(newsletter_campaign(languages=("de", "en")))
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    campaigns_tick()
    campaigns_tick()

    received = {message.recipients[0]: message for message in newsletter_sink.received}
    assert sorted(received) == sorted([german.email, english.email])
    assert received[german.email].message["Subject"] == "Neuheiten für Sie (de)"
    assert received[english.email].message["Subject"] == "Neuheiten für Sie (en)"
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.SENT}
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.DONE


def test_consent_is_checked_again_when_the_message_is_sent(
    approved, campaign_manager, newsletter_sink
):
    live_message("de")
    stays = ContactFactory()
    leaves = ContactFactory()
    campaign = approved(newsletter_campaign())
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)
    suppression_add(email=leaves.email, reason="unsubscribed", source="test")

    campaigns_tick()

    assert [m.recipients[0] for m in newsletter_sink.received] == [stays.email]
    states = dict(Delivery.objects.values_list("contact_id", "state"))
    assert states == {stays.pk: DeliveryState.SENT, leaves.pk: DeliveryState.SUPPRESSED}


def test_a_paused_campaign_sends_nothing_until_resumed(approved, campaign_manager, newsletter_sink):
    live_message("de")
    ContactFactory.create_batch(3)
    campaign = approved(newsletter_campaign())
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)
    campaign_pause(campaign=campaign, user=campaign_manager)

    campaigns_tick()
    sent_while_paused = len(newsletter_sink.received)
    campaign_resume(campaign=campaign, user=campaign_manager)
    campaigns_tick()

    assert sent_while_paused == 0
    assert len(newsletter_sink.received) == 3


def test_a_cancelled_campaign_sends_nothing_more(approved, campaign_manager, newsletter_sink):
    live_message("de")
    ContactFactory.create_batch(2)
    campaign = approved(newsletter_campaign())
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)

    campaign_cancel(campaign=campaign, user=campaign_manager)
    campaigns_tick()

    assert newsletter_sink.received == []
    assert set(Delivery.objects.values_list("state", flat=True)) == {DeliveryState.CANCELLED}


def test_the_same_contact_can_never_get_two_deliveries_of_one_campaign(approved):
    live_message("de")
    contact = ContactFactory()
    campaign = approved(newsletter_campaign())

    Delivery.objects.create(
        campaign=campaign, channel="newsletter", contact=contact, due_at=timezone.now()
    )
    Delivery.objects.bulk_create(
        [Delivery(campaign=campaign, channel="newsletter", contact=contact, due_at=timezone.now())],
        ignore_conflicts=True,
    )

    assert Delivery.objects.count() == 1


def test_after_the_test_period_the_rest_gets_the_arm_with_the_better_click_rate(
    approved, campaign_manager
):
    from campaigns.services.ab_test import campaign_choose_winner

    live_message("de")
    ContactFactory.create_batch(40)
    campaign = approved(
        newsletter_campaign(
            arms=[("A", 25), ("B", 25)],
            winner_metric="click_rate",
            winner_after_hours=4,
            winner_requires_significance=False,
        )
    )
    start = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
    Delivery.objects.filter(arm__in=["A", "B"]).update(state=DeliveryState.SENT)
    clicked_b = Delivery.objects.filter(arm="B").values_list("pk", flat=True)[:3]
    Delivery.objects.filter(pk__in=list(clicked_b)).update(human_clicked_at=start)
    Delivery.objects.filter(pk=Delivery.objects.filter(arm="A").first().pk).update(
        human_clicked_at=start
    )

    too_early = campaign_choose_winner(campaign_id=campaign.pk, now=start + dt.timedelta(hours=3))
    winner = campaign_choose_winner(campaign_id=campaign.pk, now=start + dt.timedelta(hours=4))

    assert (too_early, winner) == ("", "B")
    rest = Delivery.objects.filter(arm="B", state=DeliveryState.QUEUED)
    assert rest.count() == 20
    assert set(rest.values_list("variant_key", flat=True)) == {"de:buyer:awareness:B"}
    assert not Delivery.objects.filter(state=DeliveryState.WAITING).exists()


def test_a_contact_who_declined_the_topic_does_not_get_the_campaign(
    approved, campaign_manager, newsletter_sink
):
    live_message("de")
    wants = ContactFactory()
    ContactFactory(declined_topics=["events"])
    campaign = approved(newsletter_campaign(topic="events"))
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    campaigns_tick()

    assert [mail.recipients[0] for mail in newsletter_sink.received] == [wants.email]


def test_a_recipient_sees_their_price_groups_price_and_others_the_list_price(
    approved, campaign_manager, newsletter_sink
):
    from decimal import Decimal

    from campaigns.models import GroupPrice
    from tests.factories import ProductFactory

    live_message("de")
    product = ProductFactory(sku="HW-PG-1", live=True, price=Decimal("20.00"), with_image=True)
    GroupPrice.objects.create(sku="HW-PG-1", price_group="B", price=Decimal("15.50"))
    group_b = ContactFactory(account=AccountFactory(price_group="B"))
    group_a = ContactFactory(account=AccountFactory(price_group="A"))
    grid = ("products", {"heading": "Neu", "products": [product]})
    campaign = approved(newsletter_campaign(extra_blocks=[grid]))
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    campaigns_tick()

    html = {
        mail.recipients[0]: mail.message.get_body(("html",)).get_content()
        for mail in newsletter_sink.received
    }
    assert "15,50" in html[group_b.email]
    assert "20,00" not in html[group_b.email]
    assert "20,00" in html[group_a.email]


def test_a_refused_address_fails_for_good_and_a_busy_one_is_retried_later(
    approved, campaign_manager, newsletter_sink
):
    live_message("de")
    gone = ContactFactory(email="gone@example.com")
    busy = ContactFactory(email="busy@example.com")
    fine = ContactFactory()
    newsletter_sink.reject("gone@example.com", 550, "No such user")
    newsletter_sink.reject("busy@example.com", 451, "Mailbox busy, try later")
    campaign = approved(newsletter_campaign())
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    campaigns_tick()

    rows = {d.contact_id: d for d in Delivery.objects.all()}
    assert rows[fine.pk].state == DeliveryState.SENT
    assert rows[gone.pk].state == DeliveryState.FAILED
    assert "No such user" in rows[gone.pk].detail
    assert rows[busy.pk].state == DeliveryState.QUEUED
    assert rows[busy.pk].due_at > timezone.now()
    assert Campaign.objects.get(pk=campaign.pk).status == CampaignStatus.RUNNING


def test_the_revenue_winner_is_the_arm_whose_recipients_ordered_more(approved, campaign_manager):
    from decimal import Decimal

    from campaigns.services.ab_test import campaign_choose_winner
    from tests.factories import OrderFactory

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
    start = dt.datetime(2027, 3, 1, 8, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False):
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
        campaign_dispatch(campaign_id=campaign.pk)
    Delivery.objects.filter(arm__in=["A", "B"]).update(state=DeliveryState.SENT)
    buyer_a = Delivery.objects.filter(arm="A").first().contact
    buyer_b = Delivery.objects.filter(arm="B").first().contact
    later = start + dt.timedelta(hours=1)
    OrderFactory(contact=buyer_a, ordered_at=later, revenue=Decimal("900"))
    OrderFactory(contact=buyer_b, ordered_at=later, revenue=Decimal("250"))

    winner = campaign_choose_winner(campaign_id=campaign.pk, now=start + dt.timedelta(hours=2))

    assert winner == "A"
    assert Delivery.objects.filter(arm="A", state=DeliveryState.QUEUED).count() == 4


# --- products must be complete for the channel -----------------------------------------------


def grid(*products, heading: str = "Neu"):
    return ("products", {"heading": heading, "products": list(products)})


def test_scheduling_names_each_incomplete_grid_product_with_its_missing_fields(
    approved, campaign_manager
):
    from tests.factories import ProductFactory

    live_message("de")
    ContactFactory(role="buyer", phase="consideration")
    ProductFactory(sku="OK-1", live=True, with_image=True)
    pump = ProductFactory(sku="ABC-123", name="Pumpe X", live=True)
    bare = ProductFactory(sku="ABC-124", name="Ventil Y", short_text="", live=True)
    campaign = approved(newsletter_campaign(extra_blocks=[grid(pump, bare)]))

    with pytest.raises(CampaignNotReady) as refused:
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    assert refused.value.problems == [
        "Deutsch - Einkäufer / Empfehler - Abwägung: Produkt ABC-123 „Pumpe X“ ist unvollständig "
        "für Newsletter (de): Es fehlt Bilder",
        "Deutsch - Einkäufer / Empfehler - Abwägung: Produkt ABC-124 „Ventil Y“ ist unvollständig "
        "für Newsletter (de): Es fehlt Kurztext, Bilder",
    ]


def test_scheduling_names_the_incomplete_product_of_an_audience_message(approved, campaign_manager):
    from tests.factories import ProductFactory

    pump = ProductFactory(sku="ABC-123", name="Pumpe X", live=True)
    live_message("de")
    live_message("de", role="buyer", product=pump)
    ContactFactory(role="buyer", phase="awareness")
    about_pump = ("message", {"product": pump, "required": True})
    campaign = approved(newsletter_campaign(extra_blocks=[about_pump]))

    with pytest.raises(CampaignNotReady) as refused:
        campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)

    assert refused.value.problems == [
        "Deutsch - Einkäufer / Empfehler - Aufmerksamkeit: Produkt ABC-123 „Pumpe X“ ist "
        "unvollständig für Newsletter (de): Es fehlt Bilder"
    ]


def test_an_incomplete_product_someone_viewed_is_left_out_of_their_mail_and_blocks_nothing(
    approved, campaign_manager, newsletter_sink
):
    from tests.factories import EventFactory, ProductFactory

    live_message("de")
    ProductFactory(sku="VIEW-1", name="Akkuschrauber AS 18", live=True, with_image=True)
    ProductFactory(sku="VIEW-2", name="Bohrhammer ohne Bild", live=True)
    viewer = ContactFactory()
    for sku in ("VIEW-1", "VIEW-2", "VIEW-2"):
        EventFactory(contact=viewer, sku=sku)
    viewed = ("personal_products", {"heading": "Zuletzt angesehen", "source": "viewed"})
    campaign = approved(newsletter_campaign(extra_blocks=[viewed]))

    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaigns_tick()

    [mail] = newsletter_sink.received
    html = mail.message.get_body(("html",)).get_content()
    assert "Akkuschrauber AS 18" in html
    assert "Bohrhammer ohne Bild" not in html


def test_recently_viewed_leaves_out_the_products_the_mail_shows_in_its_grid(
    approved, campaign_manager, newsletter_sink
):
    from tests.factories import EventFactory, ProductFactory

    live_message("de")
    in_grid = ProductFactory(sku="GRID-1", name="Kappsäge KS 216", live=True, with_image=True)
    ProductFactory(sku="VIEW-1", name="Akkuschrauber AS 18", live=True, with_image=True)
    ProductFactory(sku="VIEW-2", name="Schleifer ES 125", live=True, with_image=True)
    viewer = ContactFactory()
    for sku in ("GRID-1", "GRID-1", "GRID-1", "VIEW-1", "VIEW-2"):
        EventFactory(contact=viewer, sku=sku)
    viewed = ("personal_products", {"heading": "Zuletzt angesehen", "source": "viewed"})
    campaign = approved(newsletter_campaign(extra_blocks=[grid(in_grid), viewed]))

    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaigns_tick()

    [mail] = newsletter_sink.received
    html = mail.message.get_body(("html",)).get_content()
    grid_part, heading, recently_viewed = html.partition("Zuletzt angesehen")
    assert heading
    assert "Kappsäge KS 216" in grid_part
    assert "Kappsäge KS 216" not in recently_viewed
    assert "Akkuschrauber AS 18" in recently_viewed
    assert "Schleifer ES 125" in recently_viewed


def test_the_mail_carries_rich_text_without_the_editors_block_keys(
    approved, campaign_manager, newsletter_sink
):
    from wagtail.rich_text import RichText

    live_message("de", body='<p data-block-key="m1x2y">Botschaft für Einkäufer</p>')
    ContactFactory()
    text = ("text", RichText('<p data-block-key="a1b2c">Sommeraktion</p>'))
    campaign = approved(newsletter_campaign(extra_blocks=[text]))

    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaigns_tick()

    [mail] = newsletter_sink.received
    html = mail.message.get_body(("html",)).get_content()
    assert "Sommeraktion" in html
    assert "Botschaft für Einkäufer" in html
    assert "data-block-key" not in html


def test_checking_the_products_of_a_campaign_takes_no_query_per_product(
    approved, django_assert_max_num_queries
):
    from django.core.cache import cache
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from campaigns.services.campaigns import campaign_problems
    from tests.factories import ProductFactory

    for role, phase in [("buyer", "awareness"), ("user", "consideration"), ("", "")]:
        ContactFactory(role=role, phase=phase)
    featured = ProductFactory(live=True, with_image=True)
    live_message("de")
    live_message("de", product=featured)
    about = ("message", {"product": featured, "required": True})
    few = [ProductFactory(live=True, with_image=True) for _ in range(2)]
    many = [ProductFactory(live=True, with_image=True) for _ in range(10)]
    many += [ProductFactory(live=True) for _ in range(4)]  # incomplete: named, not queried
    small = approved(newsletter_campaign(extra_blocks=[about, grid(*few)]))
    large = approved(newsletter_campaign(extra_blocks=[about, grid(*many[:7]), grid(*many[7:])]))
    # Each image's card rendition is made once, the first time anything shows it.
    campaign_problems(small)
    campaign_problems(large)
    cache.clear()
    with CaptureQueriesContext(connection) as baseline:
        assert campaign_problems(small) == []

    with django_assert_max_num_queries(len(baseline)):
        problems = campaign_problems(large)

    assert len(problems) == 3 * 4  # three variants, four incomplete products each

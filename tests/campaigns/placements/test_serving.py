"""What a shop's slot shows a visitor: the campaign for their segment, else the default."""

from decimal import Decimal

import pytest
from django.conf import settings

from campaigns.models import Delivery, GroupPrice, PlacementDefault
from campaigns.placements.serving import UnknownSlot, placement_serve
from campaigns.services.campaigns import campaign_cancel, campaign_pause
from campaigns.services.dispatch import campaign_dispatch
from channels.registry import get_channel
from tests.campaigns.campaign_setup import live_message
from tests.factories import AccountFactory, ContactFactory, locale

from .setup import (
    in_segments,
    message_slot,
    placement,
    products,
    schedule_now,
    shop_product,
    teaser,
    webshop_campaign,
)

pytestmark = pytest.mark.django_db


def answer(contact=None, slot="home.hero", channel="webshop", **kwargs) -> dict:
    """The answer's data as the shop receives it, personalised for the visitor."""
    served = placement_serve(
        channel_key=channel,
        slot=slot,
        contact_id=contact.pk if contact else None,
        price_group=contact.account.price_group if contact and contact.account else "",
        **kwargs,
    )
    data, _html = get_channel(channel).personalise_placement(served.rendered, served.visitor)
    return data


def headlines(data: dict) -> list[str]:
    return [block["headline"] for block in data["blocks"] if "headline" in block]


@pytest.fixture
def hero(approved):
    return approved(placement(defaults={"de": [teaser("Willkommen im Shop")]}))


@pytest.fixture
def running(approved, campaign_manager):
    """An approved webshop campaign, scheduled to start now (its segment, everyone, has a
    contact: scheduling asks for one)."""

    def make(slots, **fields):
        ContactFactory()
        return schedule_now(approved(webshop_campaign(slots, **fields)), campaign_manager)

    return make


def test_an_anonymous_visitor_sees_the_approved_default(hero):
    data = answer()

    assert (data["source"], headlines(data)) == ("default", ["Willkommen im Shop"])
    assert data["impression_url"] == ""


def test_a_slot_the_channel_lacks_is_unknown(hero):
    with pytest.raises(UnknownSlot):
        answer(slot="cart.upsell")


def test_a_placement_never_approved_shows_nothing():
    placement(defaults={"de": [teaser("Entwurf")]})

    data = answer()

    assert (data["source"], data["blocks"]) == ("none", [])


def test_a_visitor_in_the_campaigns_segment_sees_the_campaign(hero, running):
    campaign = running({(hero, "de"): [teaser("Frühjahrsaktion")]})
    contact = ContactFactory()
    in_segments(contact, campaign)

    data = answer(contact)

    assert (data["source"], data["campaign"]["id"]) == ("campaign", campaign.pk)
    assert headlines(data) == ["Frühjahrsaktion"]
    delivery = Delivery.objects.get(campaign=campaign, contact=contact)
    assert (delivery.channel, delivery.state, delivery.variant_key) == (
        "webshop",
        "sent",
        "de:buyer:awareness:-",
    )
    assert delivery.sent_at is not None


def test_a_contact_outside_the_segment_sees_the_default(hero, running):
    running({(hero, "de"): [teaser("Frühjahrsaktion")]})
    contact = ContactFactory()

    data = answer(contact)

    assert headlines(data) == ["Willkommen im Shop"]
    assert not Delivery.objects.filter(contact=contact).exists()


def test_the_second_answer_writes_no_second_delivery(hero, running):
    campaign = running({(hero, "de"): [teaser("Frühjahrsaktion")]})
    contact = ContactFactory()
    in_segments(contact, campaign)

    first, second = answer(contact), answer(contact)

    assert first["impression_url"] == second["impression_url"] != ""
    assert Delivery.objects.filter(campaign=campaign, contact=contact).count() == 1


def test_the_lowest_priority_number_wins(hero, running):
    low = running({(hero, "de"): [teaser("Wichtig")]}, placement_priority=10)
    high = running({(hero, "de"): [teaser("Weniger wichtig")]}, placement_priority=50)
    contact = ContactFactory()
    in_segments(contact, high, low)

    assert headlines(answer(contact)) == ["Wichtig"]


@pytest.mark.parametrize(
    ("role", "phase", "expected"),
    [
        ("buyer", "awareness", "für Einkäufer am Anfang"),
        ("buyer", "decision", "für Einkäufer"),
        ("engineer", "awareness", "für alle am Anfang"),
        ("engineer", "decision", "für alle"),
    ],
)
def test_each_role_and_phase_gets_its_most_specific_message(hero, running, role, phase, expected):
    live_message(role="buyer", phase="awareness", headline="für Einkäufer am Anfang")
    live_message(role="buyer", headline="für Einkäufer")
    live_message(phase="awareness", headline="für alle am Anfang")
    live_message(headline="für alle")
    campaign = running({(hero, "de"): [message_slot()]})
    contact = ContactFactory(role=role, phase=phase)
    in_segments(contact, campaign)

    assert headlines(answer(contact)) == [expected]


def test_the_language_asked_for_picks_the_version(hero, running):
    campaign = running({(hero, "de"): [teaser("Aktion")], (hero, "en"): [teaser("Offer")]})
    contact = ContactFactory(language="de")
    in_segments(contact, campaign)

    assert headlines(answer(contact, locale="en")) == ["Offer"]


def test_product_cards_carry_the_accounts_price(hero, running, publish):
    product = publish(shop_product("HW-1", price=Decimal("19.90")))
    GroupPrice.objects.create(sku="HW-1", price_group="B", price=Decimal("17.50"))
    campaign = running({(hero, "de"): [products(product)]})
    in_b = ContactFactory(account=AccountFactory(price_group="B"))
    in_c = ContactFactory(account=AccountFactory(price_group="C"))
    in_segments(in_b, campaign)
    in_segments(in_c, campaign)

    cards_b = answer(in_b)["blocks"][0]["products"]
    cards_c = answer(in_c)["blocks"][0]["products"]

    assert [(card["sku"], card["price"]) for card in cards_b] == [("HW-1", "17.50")]
    assert [(card["sku"], card["price"]) for card in cards_c] == [("HW-1", "19.90")]


def test_a_withdrawn_product_disappears_at_once(hero, running, publish, withdraw):
    shown = publish(shop_product("HW-1"))
    kept = publish(shop_product("HW-2"))
    campaign = running({(hero, "de"): [products(shown, kept)]})
    contact = ContactFactory()
    in_segments(contact, campaign)
    before = answer(contact)

    withdraw(shown)
    after = answer(contact)

    assert [card["sku"] for card in before["blocks"][0]["products"]] == ["HW-1", "HW-2"]
    assert [card["sku"] for card in after["blocks"][0]["products"]] == ["HW-2"]


def test_visitors_of_one_variant_share_one_rendering(hero, running, monkeypatch):
    campaign = running({(hero, "de"): [message_slot(required=False)]})
    channel = get_channel("webshop")
    rendered = []
    render = type(channel).render_placement

    def counting(self, variant):
        rendered.append((variant.role, variant.phase))
        return render(self, variant)

    monkeypatch.setattr(type(channel), "render_placement", counting)
    account = AccountFactory(price_group="B")
    buyers = [ContactFactory(role="buyer", account=account) for _ in range(2)]
    engineer = ContactFactory(role="engineer", account=account)
    for contact in (*buyers, engineer):
        in_segments(contact, campaign)

    keys = [
        placement_serve(
            channel_key="webshop", slot="home.hero", contact_id=c.pk, price_group="B"
        ).cache_key
        for c in (*buyers, engineer)
    ]

    assert keys[0] == keys[1] != keys[2]
    assert rendered == [("buyer", "awareness"), ("engineer", "awareness")]


def test_a_draft_of_the_default_shows_only_once_approved(hero, approved, campaign_manager):
    from content.services import content_save_draft

    draft = hero.get_latest_revision_as_object()
    draft.defaults = [PlacementDefault(locale=locale("de"), body=[teaser("Neuer Text")])]
    content_save_draft(obj=draft, user=campaign_manager)
    before = answer()

    approved(draft)
    after = answer()

    assert headlines(before) == ["Willkommen im Shop"]
    assert headlines(after) == ["Neuer Text"]


def test_a_campaign_not_approved_never_serves(hero):
    campaign = webshop_campaign({(hero, "de"): [teaser("Entwurf")]})
    contact = ContactFactory()
    in_segments(contact, campaign)

    assert headlines(answer(contact)) == ["Willkommen im Shop"]


def test_a_paused_campaign_stops_serving_at_once(hero, running, campaign_manager):
    campaign = running({(hero, "de"): [teaser("Aktion")]})
    contact = ContactFactory()
    in_segments(contact, campaign)
    campaign_dispatch(campaign_id=campaign.pk)
    campaign.refresh_from_db()
    before = answer(contact)

    campaign_pause(campaign=campaign, user=campaign_manager)

    assert headlines(before) == ["Aktion"]
    assert headlines(answer(contact)) == ["Willkommen im Shop"]


def test_a_cancelled_campaign_stops_serving_at_once(hero, running, campaign_manager):
    campaign = running({(hero, "de"): [teaser("Aktion")]})
    contact = ContactFactory()
    in_segments(contact, campaign)
    before = answer(contact)

    campaign_cancel(campaign=campaign, user=campaign_manager)

    assert headlines(before) == ["Aktion"]
    assert headlines(answer(contact)) == ["Willkommen im Shop"]


def test_held_out_contacts_see_the_default_and_are_counted_as_held_out(hero, running):
    campaign = running({(hero, "de"): [teaser("Aktion")]}, holdout_percent=50)
    contacts = ContactFactory.create_batch(16)
    for contact in contacts:
        in_segments(contact, campaign)

    seen = {contact.pk: answer(contact) for contact in contacts}
    states = dict(Delivery.objects.filter(campaign=campaign).values_list("contact_id", "state"))

    assert set(states.values()) == {"held_out", "sent"}
    for pk, data in seen.items():
        if states[pk] == "held_out":
            assert (data["source"], headlines(data), data["impression_url"]) == (
                "default",
                ["Willkommen im Shop"],
                "",
            )
        else:
            assert (data["source"], headlines(data)) == ("campaign", ["Aktion"])


def test_each_contact_keeps_their_arm(hero, running):
    campaign = running(
        {(hero, "de", "A"): [teaser("Version A")], (hero, "de", "B"): [teaser("Version B")]},
        arms=[("A", 50), ("B", 50)],
    )
    contacts = ContactFactory.create_batch(12)
    for contact in contacts:
        in_segments(contact, campaign)

    seen = {contact.pk: headlines(answer(contact))[0] for contact in contacts}
    again = {contact.pk: headlines(answer(contact))[0] for contact in contacts}
    arms = dict(Delivery.objects.filter(campaign=campaign).values_list("contact_id", "arm"))

    assert seen == again
    assert set(seen.values()) == {"Version A", "Version B"}
    assert all(seen[pk] == f"Version {arm}" for pk, arm in arms.items())


def test_offers_fill_the_visitors_own_slot(hero, running, monkeypatch):
    from channels.base import ProductCard
    from channels.placements import Offer

    card = ProductCard("HW-9", "Bohrer", url="https://shop.example/p/HW-9")
    offer = Offer(card, "reorder", "Sie bestellen das alle 30 Tage.")
    monkeypatch.setattr(
        "campaigns.placements.serving.offers_for",
        lambda **kwargs: (offer,) if kwargs["contact_id"] else (),
    )
    campaign = running(
        {
            (hero, "de"): [
                ("offers", {"heading": "Wieder bestellen", "kinds": ["reorder"], "limit": 4})
            ]
        }
    )
    contact = ContactFactory()
    in_segments(contact, campaign)

    answers = []
    for _request in range(2):  # the second answer comes from the cache
        served = placement_serve(channel_key="webshop", slot="home.hero", contact_id=contact.pk)
        answers.append(
            get_channel("webshop").personalise_placement(served.rendered, served.visitor)
        )
    (data, html), (cached_data, _cached_html) = answers

    assert [item["product"]["sku"] for item in data["blocks"][0]["offers"]] == ["HW-9"]
    assert "Sie bestellen das alle 30 Tage." in html
    # The offer's link is tracked for the campaign, from the cache as on the first answer.
    urls = [d["blocks"][0]["offers"][0]["product"]["url"] for d in (data, cached_data)]
    assert urls[0] == urls[1]
    assert urls[0].startswith(settings.WAGTAILADMIN_BASE_URL)


def test_a_new_price_from_the_erp_shows_at_once(hero, running, publish):
    from campaigns.services.prices import GroupPriceInput, group_prices_record

    product = publish(shop_product("HW-1", price=Decimal("19.90")))
    GroupPrice.objects.create(sku="HW-1", price_group="B", price=Decimal("17.50"))
    campaign = running({(hero, "de"): [products(product)]})
    contact = ContactFactory(account=AccountFactory(price_group="B"))
    in_segments(contact, campaign)
    before = answer(contact)["blocks"][0]["products"][0]["price"]

    group_prices_record(items=[GroupPriceInput("HW-1", "B", Decimal("16.00"))])
    after = answer(contact)["blocks"][0]["products"][0]["price"]

    assert (before, after) == ("17.50", "16.00")

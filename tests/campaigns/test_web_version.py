"""'View in browser': each recipient's own message, signed for them, as the sender sent it."""

import re

import pytest
from django.core import signing

from campaigns.models import Campaign, Delivery, DeliveryState, ScheduleMode
from campaigns.services.campaigns import campaign_schedule, campaign_test_send
from campaigns.services.dispatch import campaign_dispatch
from campaigns.services.sending import batch_send, deliveries_claim
from campaigns.tracking import (
    DELIVERY_SALT,
    delivery_token,
    link_from_token,
    web_version_token,
)
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

BASE = "http://testserver"
SHOP_URL = "https://shop.example.com/neuheiten"


def html_of(message) -> str:
    return message.get_body(("html",)).get_content().replace("\r\n", "\n")


def same_links(html: str) -> str:
    """``html`` with each click link's signed token read back into what it names.

    A link token is signed with a timestamp: rendered again in another second, the same
    link (same recipient, campaign and target) carries another, equally valid signature.
    """
    return re.sub(
        r"/t/c/([^/\"]+)/([^/\"]+)/",
        lambda match: f"/t/c/{match[1]}/{link_from_token(match[2])}/",
        html,
    )


def web_path(html: str) -> str:
    [path] = re.findall(rf'{re.escape(BASE)}(/t/w/[^"\s<>]+)', html)
    return path


@pytest.fixture
def sent(approved, campaign_manager, newsletter_sink):
    """An approved newsletter sent to two contacts: their mails' HTML by address."""
    live_message("de")
    ContactFactory(email="anna@example.com", first_name="Anna", last_name="Adler")
    ContactFactory(email="bernd@example.com", first_name="Bernd", last_name="Berg")
    campaign = approved(
        newsletter_campaign(extra_blocks=[("cta", {"label": "Zum Shop", "url": SHOP_URL})])
    )
    campaign_schedule(campaign=campaign, mode=ScheduleMode.NOW, user=campaign_manager)
    campaign_dispatch(campaign_id=campaign.pk)
    for claim in deliveries_claim(campaign_id=campaign.pk):
        batch_send(campaign_id=campaign.pk, claim=claim)
    return {mail.recipients[0]: html_of(mail.message) for mail in newsletter_sink.received}


def test_each_mail_links_to_its_recipients_web_version_showing_that_very_mail(client, sent):
    for html in sent.values():
        response = client.get(web_path(html))

        assert response.status_code == 200
        # Personal, with the same tracked links.
        assert same_links(response.content.decode()) == same_links(html)
        assert response["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response["X-Robots-Tag"]


def test_a_web_version_shows_its_recipient_and_nobody_else(client, sent):
    page = client.get(web_path(sent["anna@example.com"])).content.decode()

    assert "Adler" in page
    assert "anna@example.com" in page
    assert "Berg" not in page
    assert "bernd@example.com" not in page


def test_the_web_version_link_says_so_in_the_mails_language(sent):
    html = sent["anna@example.com"]

    assert "Im Browser ansehen" in html
    assert "View it in your browser" not in html


@pytest.mark.parametrize(
    "forge",
    [
        lambda token: token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB"),
        lambda token: token.split(":")[0] + ":" + "x" * 43,
        # A genuine token of another kind (the delivery token of the unsubscribe link).
        lambda token: signing.Signer(salt=DELIVERY_SALT).sign(token.split(":")[0]),
    ],
)
def test_a_forged_or_foreign_token_shows_the_invalid_link_page(client, sent, forge):
    token = web_path(sent["anna@example.com"]).split("/")[3]

    response = client.get(f"/t/w/{forge(token)}/")

    assert response.status_code == 404
    assert "Dieser Link ist ungültig" in response.content.decode()
    assert "Adler" not in response.content.decode()


def test_a_delivery_never_sent_has_no_web_version(client, sent):
    delivery = Delivery.objects.get(contact__email="anna@example.com")
    Delivery.objects.filter(pk=delivery.pk).update(state=DeliveryState.QUEUED)

    response = client.get(f"/t/w/{web_version_token(delivery.pk)}/")

    assert response.status_code == 404
    assert "Adler" not in response.content.decode()


def test_the_delivery_token_and_the_web_version_token_differ(sent):
    delivery = Delivery.objects.get(contact__email="anna@example.com")

    assert web_version_token(delivery.pk) != delivery_token(delivery.pk)
    assert f"/t/w/{web_version_token(delivery.pk)}/" == web_path(sent["anna@example.com"])


def test_a_test_mails_web_version_shows_the_test_mail(client, campaign_manager, newsletter_sink):
    live_message("de")
    ContactFactory(role="buyer", phase="awareness")
    campaign = newsletter_campaign(extra_blocks=[("cta", {"label": "Zum Shop", "url": SHOP_URL})])
    campaign_test_send(
        campaign=campaign,
        key="de:buyer:awareness:-",
        addresses=["qa1@example.com", "qa2@example.com"],
        user=campaign_manager,
    )
    mails = {mail.recipients[0]: html_of(mail.message) for mail in newsletter_sink.received}
    campaign = Campaign.objects.get(pk=campaign.pk)

    pages = {address: client.get(web_path(html)) for address, html in mails.items()}

    for address, response in pages.items():
        assert response.status_code == 200
        assert same_links(response.content.decode()) == same_links(mails[address])
        assert "[TEST]" in response.content.decode()
    assert web_path(mails["qa1@example.com"]) != web_path(mails["qa2@example.com"])

"""A test send as the campaign manager receives it: one mail per address, links that work,
and nothing of it in the campaign's results or the audience."""

import re

import pytest
from django.core import signing

from campaigns.measurement.results import campaign_kpis
from campaigns.models import CampaignDayStats, ConsentState, Event, Suppression, TrackingHit
from campaigns.services.campaigns import campaign_test_send
from campaigns.tracking import (
    DELIVERY_SALT,
    link_token,
    mail_survey_token,
    read_test_send_token,
    token_of_test_send,
)
from tests.campaigns.campaign_setup import live_message, newsletter_campaign
from tests.campaigns.test_surveys import make_survey
from tests.factories import ContactFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

VARIANT = "de:buyer:awareness:-"
SHOP_URL = "https://shop.example.com/neuheiten"
BASE = "http://testserver"


@pytest.fixture
def campaign():
    live_message("de")
    ContactFactory(role="buyer", phase="awareness")
    return newsletter_campaign(
        extra_blocks=[("cta", {"label": "Zum Shop", "url": SHOP_URL})],
    )


@pytest.fixture
def sent_mails(campaign, campaign_manager, newsletter_sink):
    """The mails a test send to two addresses delivered, by address."""
    campaign_test_send(
        campaign=campaign,
        key=VARIANT,
        addresses=["qa1@example.com", "qa2@example.com"],
        user=campaign_manager,
    )
    return {mail.recipients[0]: mail.message for mail in newsletter_sink.received}


def links(message, kind: str) -> list[str]:
    """The paths of one kind of tracking link in a mail's HTML: o(pen), c(lick), u, p."""
    html = message.get_body(("html",)).get_content()
    return re.findall(rf'{re.escape(BASE)}(/t/{kind}/[^"\s<>]+)', html)


def test_a_test_send_to_two_addresses_delivers_two_mails_with_their_own_message_ids(sent_mails):
    assert sorted(sent_mails) == ["qa1@example.com", "qa2@example.com"]
    ids = {message["Message-ID"] for message in sent_mails.values()}
    assert len(ids) == 2
    assert all(message["Subject"].startswith("[TEST]") for message in sent_mails.values())


def test_each_test_mail_has_its_own_links(sent_mails):
    unsubscribe = [links(message, "u")[0] for message in sent_mails.values()]

    assert unsubscribe[0] != unsubscribe[1]


def test_a_click_in_a_test_mail_redirects_and_counts_nowhere(client, campaign, sent_mails):
    before = campaign_kpis(campaign).total
    [path] = links(sent_mails["qa1@example.com"], "c")

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == SHOP_URL
    assert campaign_kpis(campaign).total == before
    assert not TrackingHit.objects.exists()
    assert not Event.objects.exists()
    assert not CampaignDayStats.objects.exists()


def test_the_open_pixel_of_a_test_mail_answers_and_counts_nowhere(client, campaign, sent_mails):
    before = campaign_kpis(campaign).total
    [path] = links(sent_mails["qa2@example.com"], "o")

    response = client.get(path)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert campaign_kpis(campaign).total == before
    assert not TrackingHit.objects.exists()


def test_the_unsubscribe_link_of_a_test_mail_explains_it_was_a_test(client, sent_mails):
    contact = ContactFactory(email="qa1@example.com", consent=ConsentState.CONFIRMED)
    [path] = links(sent_mails["qa1@example.com"], "u")

    shown = client.get(path)
    posted = client.post(path, {"List-Unsubscribe": "One-Click"})

    assert shown.status_code == 200
    assert posted.status_code == 200
    assert b"data-test-send" in shown.content
    assert "Es wurde nichts geändert" in posted.content.decode()  # the German default
    contact.refresh_from_db()
    assert contact.consent == ConsentState.CONFIRMED
    assert not Suppression.objects.exists()
    assert not Event.objects.exists()


def test_the_list_unsubscribe_header_of_a_test_mail_explains_it_was_a_test(client, sent_mails):
    header = sent_mails["qa2@example.com"]["List-Unsubscribe"]
    path = re.search(rf"<{re.escape(BASE)}(/t/u/[^>]+)>", header).group(1)

    response = client.post(path, {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert b"data-test-send" in response.content


def test_the_preferences_link_of_a_test_mail_explains_it_was_a_test(client, sent_mails):
    [path] = links(sent_mails["qa1@example.com"], "p")

    response = client.get(path)

    assert response.status_code == 200
    assert b"data-test-send" in response.content


def test_a_test_token_is_no_delivery_token_and_a_forged_one_is_not_found(client, campaign):
    token = token_of_test_send(campaign.pk, "de", "qa1@example.com")
    forged = token[:-3] + ("AAA" if not token.endswith("AAA") else "BBB")

    with pytest.raises(signing.BadSignature):
        signing.Signer(salt=DELIVERY_SALT).unsign(token)
    assert read_test_send_token(token).campaign_id == campaign.pk
    assert client.get(f"/t/u/{forged}/").status_code == 404
    assert client.get(f"/t/p/{forged}/").status_code == 404
    assert client.get(f"/t/o/{forged}/").status_code == 404


def test_a_test_mails_token_does_not_open_links_of_another_campaign(client, campaign):
    other = newsletter_campaign()
    token = token_of_test_send(campaign.pk, "de", "qa1@example.com")
    link = link_token(other.pk, SHOP_URL)

    response = client.get(f"/t/c/{token}/{link}/")

    assert response.status_code == 404


def test_a_survey_answer_link_of_a_test_mail_explains_it_was_a_test(client, campaign):
    survey = make_survey()
    token = token_of_test_send(campaign.pk, "de", "qa1@example.com")
    survey_part = mail_survey_token(campaign.pk, survey.pk)

    response = client.get(f"/t/s/{token}/{survey_part}/9/")

    assert response.status_code == 200
    assert b"data-test-send" in response.content
    assert not Event.objects.exists()

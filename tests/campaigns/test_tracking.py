"""Newsletter tracking as a recipient and a mail client see it: pixel, clicks, unsubscribe."""

import datetime

import pytest
import time_machine
from django.core import signing
from django.test import Client
from django.utils import timezone

from campaigns.models import (
    CampaignDayStats,
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Delivery,
    Event,
    EventKind,
    Suppression,
    SuppressionReason,
    TrackingHit,
    email_hash,
)
from campaigns.models.tracking import HITS_KEPT_PER_KIND
from campaigns.services.consent import confirmation_token, consent_confirm, consent_opt_in
from campaigns.tracking import (
    delivery_token,
    link_token,
    personalise_url,
    tracking_for,
)
from tests.factories import CampaignFactory, ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

PRODUCT_URL = "https://shop.example.com/p/SKU-1?utm_source=newsletter"
ONE_CLICK = {"List-Unsubscribe": "One-Click"}


@pytest.fixture
def delivery():
    return DeliveryFactory(contact=ContactFactory(email="maria@example.com", language="de"))


@pytest.fixture
def token(delivery):
    return delivery_token(delivery.pk)


def altered(token: str) -> str:
    """The token with one character in the middle of its signature changed."""
    middle = len(token) - 20
    return token[:middle] + ("A" if token[middle] != "A" else "B") + token[middle + 1 :]


def click_path(delivery, url: str, campaign_id: int | None = None) -> str:
    link = link_token(campaign_id or delivery.campaign_id, url)
    return f"/t/c/{delivery_token(delivery.pk)}/{link}/"


def reloaded(obj):
    return type(obj).objects.get(pk=obj.pk)


# --- open pixel ------------------------------------------------------------------------------


def test_the_open_pixel_is_a_transparent_gif_that_is_never_cached(client, token):
    response = client.get(f"/t/o/{token}/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/gif"
    assert response.content.startswith(b"GIF89a")
    assert len(response.content) == 43
    assert response["Cache-Control"] == "no-store, private"


def test_the_first_open_records_one_open_event_and_the_opened_time(client, delivery, token):
    client.get(f"/t/o/{token}/")

    event = Event.objects.get()
    assert event.kind == EventKind.EMAIL_OPEN
    assert (event.contact, event.campaign) == (delivery.contact, delivery.campaign)
    assert event.account == delivery.contact.account
    assert (event.source, event.idempotency_key) == ("newsletter", f"open:{delivery.pk}")
    assert reloaded(delivery).opened_at is not None


def test_a_second_open_records_nothing_more(client, delivery, token):
    client.get(f"/t/o/{token}/")
    first_opened_at = reloaded(delivery).opened_at

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2)):
        response = client.get(f"/t/o/{token}/")

    assert response.status_code == 200
    assert Event.objects.count() == 1
    assert reloaded(delivery).opened_at == first_opened_at


def test_repeated_opens_keep_their_hits_and_count_as_opens_but_not_as_first_opens(
    client, delivery, token
):
    client.get(f"/t/o/{token}/")

    client.get(f"/t/o/{token}/")

    assert TrackingHit.objects.filter(delivery=delivery, kind="open").count() == 2
    stats = CampaignDayStats.objects.get(campaign=delivery.campaign)
    assert (stats.opens, stats.unique_opens, stats.human_opens) == (2, 1, 1)


def test_opens_beyond_the_kept_hits_only_add_to_the_figures(
    client, delivery, token, django_assert_max_num_queries
):
    client.get(f"/t/o/{token}/")
    TrackingHit.objects.bulk_create(
        TrackingHit(delivery=delivery, kind="open", at=timezone.now(), classification="human")
        for _ in range(HITS_KEPT_PER_KIND - 1)
    )

    # Read the delivery, count its hits, add to the figures, and the savepoint.
    with django_assert_max_num_queries(5) as queries:
        client.get(f"/t/o/{token}/")

    statements = [query["sql"].split()[0].upper() for query in queries.captured_queries]
    assert "INSERT" not in statements
    assert TrackingHit.objects.filter(delivery=delivery).count() == HITS_KEPT_PER_KIND
    assert CampaignDayStats.objects.get(campaign=delivery.campaign).opens == 2


def test_an_open_of_an_erased_contacts_delivery_shows_the_pixel_and_records_nothing(client):
    delivery = DeliveryFactory(contact=None)

    response = client.get(f"/t/o/{delivery_token(delivery.pk)}/")

    assert response.status_code == 200
    assert not Event.objects.exists()
    assert reloaded(delivery).opened_at is None


def test_an_open_of_an_unknown_delivery_is_not_found(client):
    response = client.get(f"/t/o/{delivery_token(999999)}/")

    assert response.status_code == 404
    assert not Event.objects.exists()


# --- forged and altered tokens ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "kind"), [("get", "o"), ("get", "u"), ("post", "u"), ("get", "p"), ("post", "p")]
)
def test_an_altered_delivery_token_is_not_found_and_records_nothing(
    client, delivery, token, method, kind
):
    data = ONE_CLICK if kind == "u" else {"language": "en", "topics": []}

    response = getattr(client, method)(f"/t/{kind}/{altered(token)}/", data)

    assert response.status_code == 404
    assert not Event.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert reloaded(delivery.contact).consent == ConsentState.CONFIRMED
    assert reloaded(delivery.contact).language == "de"
    assert reloaded(delivery).opened_at is None


@pytest.mark.parametrize(
    "forged", ["1", "abc", f"{1}:{'x' * 43}", "__HUB_RECIPIENT_TOKEN__"], ids=str
)
def test_a_forged_delivery_token_is_not_found(client, delivery, forged):
    responses = [
        client.get(f"/t/o/{forged}/"),
        client.get(f"/t/c/{forged}/{link_token(delivery.campaign_id, PRODUCT_URL)}/"),
        client.post(f"/t/u/{forged}/", ONE_CLICK),
        client.get(f"/t/p/{forged}/"),
    ]

    assert [response.status_code for response in responses] == [404] * 4
    assert not Event.objects.exists()


def test_a_token_with_another_delivery_id_is_not_found(client, delivery, token):
    other = DeliveryFactory(campaign=delivery.campaign)
    _id, signature = token.split(":")

    response = client.post(f"/t/u/{other.pk}:{signature}/", ONE_CLICK)

    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()
    assert reloaded(other.contact).consent == ConsentState.CONFIRMED


def test_a_click_with_an_altered_delivery_token_is_not_found(client, delivery, token):
    link = link_token(delivery.campaign_id, PRODUCT_URL)

    response = client.get(f"/t/c/{altered(token)}/{link}/")

    assert response.status_code == 404
    assert not Event.objects.exists()
    assert reloaded(delivery).clicked_at is None


def test_a_click_with_an_altered_link_token_is_not_found(client, delivery, token):
    link = link_token(delivery.campaign_id, PRODUCT_URL)

    response = client.get(f"/t/c/{token}/{altered(link)}/")

    assert response.status_code == 404
    assert "Dieser Link ist ungültig" in response.content.decode()
    assert not Event.objects.exists()


def test_a_delivery_token_of_another_salt_is_not_a_delivery_token(client, delivery):
    other = signing.Signer(salt="campaigns.consent.confirm").sign(str(delivery.pk))

    response = client.get(f"/t/o/{other}/")

    assert response.status_code == 404


# --- clicks ----------------------------------------------------------------------------------


def test_a_click_redirects_to_the_url_and_records_a_click(client, delivery):
    response = client.get(click_path(delivery, PRODUCT_URL))

    assert response.status_code == 302
    assert response["Location"] == PRODUCT_URL
    click = Event.objects.get(kind=EventKind.EMAIL_CLICK)
    assert (click.contact, click.campaign, click.source) == (
        delivery.contact,
        delivery.campaign,
        "newsletter",
    )
    assert click.data == {"url": PRODUCT_URL}
    assert reloaded(delivery).clicked_at is not None


def test_a_click_counts_as_an_open_when_the_pixel_was_blocked(client, delivery):
    client.get(click_path(delivery, PRODUCT_URL))

    assert reloaded(delivery).opened_at is not None
    assert Event.objects.filter(kind=EventKind.EMAIL_OPEN).count() == 1


def test_a_click_after_an_open_records_no_second_open(client, delivery, token):
    client.get(f"/t/o/{token}/")

    client.get(click_path(delivery, PRODUCT_URL))

    assert Event.objects.filter(kind=EventKind.EMAIL_OPEN).count() == 1
    assert Event.objects.filter(kind=EventKind.EMAIL_CLICK).count() == 1


def test_identical_clicks_within_a_minute_count_once_and_later_ones_again(client, delivery):
    path = click_path(delivery, PRODUCT_URL)
    start = timezone.now().replace(second=5)

    with time_machine.travel(start, tick=False):
        client.get(path)
        client.get(path)
    with time_machine.travel(start + datetime.timedelta(minutes=1), tick=False):
        response = client.get(path)

    assert response.status_code == 302
    assert Event.objects.filter(kind=EventKind.EMAIL_CLICK).count() == 2


def test_clicks_on_different_links_each_count(client, delivery):
    client.get(click_path(delivery, PRODUCT_URL))

    client.get(click_path(delivery, "https://shop.example.com/p/SKU-2"))

    assert Event.objects.filter(kind=EventKind.EMAIL_CLICK).count() == 2


def test_a_link_of_another_campaign_is_not_found(client, delivery):
    other = CampaignFactory()

    response = client.get(click_path(delivery, PRODUCT_URL, campaign_id=other.pk))

    assert response.status_code == 404
    assert not Event.objects.exists()
    assert reloaded(delivery).clicked_at is None


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,hi", "//evil.example", "/x"],
)
def test_a_link_that_is_not_http_is_not_followed(client, delivery, url):
    response = client.get(click_path(delivery, url))

    assert response.status_code == 404
    assert not Event.objects.exists()


def test_a_click_of_an_erased_contacts_delivery_redirects_and_records_nothing(client):
    delivery = DeliveryFactory(contact=None)

    response = client.get(click_path(delivery, PRODUCT_URL))

    assert response.status_code == 302
    assert not Event.objects.exists()


# --- unsubscribe -----------------------------------------------------------------------------


def test_the_unsubscribe_page_asks_for_confirmation_and_changes_nothing(client, delivery, token):
    response = client.get(f"/t/u/{token}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert "m***@example.com" in page
    assert "maria@example.com" not in page
    assert "<button" in page
    assert '<meta name="robots" content="noindex">' in page
    assert reloaded(delivery.contact).consent == ConsentState.CONFIRMED
    assert not Suppression.objects.exists()
    assert not ConsentRecord.objects.exists()
    assert not Event.objects.exists()


def test_the_unsubscribe_page_is_in_german_for_a_german_contact(client, token):
    response = client.get(f"/t/u/{token}/")

    page = response.content.decode()
    assert '<html lang="de">' in page
    assert "Von unseren E-Mails abmelden?" in page


def test_the_unsubscribe_page_is_in_english_for_an_english_contact(client):
    delivery = DeliveryFactory(contact=ContactFactory(language="en"))

    response = client.get(f"/t/u/{delivery_token(delivery.pk)}/")

    page = response.content.decode()
    assert '<html lang="en">' in page
    assert "Unsubscribe from our e-mails?" in page


def test_a_one_click_post_without_cookies_or_csrf_token_unsubscribes(delivery, token):
    mail_client = Client(enforce_csrf_checks=True, REMOTE_ADDR="198.51.100.23")

    response = mail_client.post(
        f"/t/u/{token}/",
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
        HTTP_USER_AGENT="MailClient/1.0",
    )

    contact = reloaded(delivery.contact)
    assert response.status_code == 200
    assert "Sie sind abgemeldet" in response.content.decode()
    assert contact.consent == ConsentState.REVOKED
    suppression = Suppression.objects.get(email_hash=email_hash("maria@example.com"))
    assert suppression.reason == SuppressionReason.UNSUBSCRIBED
    record = ConsentRecord.objects.get(contact=contact)
    assert record.kind == ConsentKind.OPT_OUT
    assert (record.ip_address, record.user_agent) == ("198.51.100.23", "MailClient/1.0")
    assert (record.source, record.text_version) == (
        "newsletter:unsubscribe",
        f"campaign:{delivery.campaign_id}",
    )
    event = Event.objects.get()
    assert (event.kind, event.campaign, event.contact) == (
        EventKind.UNSUBSCRIBE,
        delivery.campaign,
        contact,
    )
    assert event.idempotency_key == f"unsubscribe:{delivery.pk}:{record.pk}"


def test_pressing_the_button_on_the_page_unsubscribes(client, delivery, token):
    client.get(f"/t/u/{token}/")

    response = client.post(f"/t/u/{token}/", {"List-Unsubscribe": "One-Click"})

    assert response.status_code == 200
    assert reloaded(delivery.contact).consent == ConsentState.REVOKED


def test_unsubscribing_twice_records_once(client, delivery, token):
    client.post(f"/t/u/{token}/", ONE_CLICK)

    response = client.post(f"/t/u/{token}/", ONE_CLICK)

    assert response.status_code == 200
    assert "Sie waren bereits abgemeldet" in response.content.decode()
    assert ConsentRecord.objects.filter(kind=ConsentKind.OPT_OUT).count() == 1
    assert Event.objects.filter(kind=EventKind.UNSUBSCRIBE).count() == 1
    assert Suppression.objects.count() == 1


def _subscribe_again(contact) -> None:
    """The person's own double opt-in, confirmed: as the confirmation link records it."""
    record = consent_opt_in(contact=contact, source="web-form", text_version="v2")
    consent_confirm(token=confirmation_token(record), ip_address=None, user_agent="")


def test_an_old_unsubscribe_link_unsubscribes_again_after_a_new_subscription(
    client, delivery, token
):
    client.post(f"/t/u/{token}/", ONE_CLICK)
    _subscribe_again(delivery.contact)
    subscribed = reloaded(delivery.contact).consent

    response = client.post(f"/t/u/{token}/", ONE_CLICK)

    assert subscribed == ConsentState.CONFIRMED
    assert response.status_code == 200
    assert "Sie sind abgemeldet" in response.content.decode()
    assert reloaded(delivery.contact).consent == ConsentState.REVOKED
    suppression = Suppression.objects.get(email_hash=email_hash("maria@example.com"))
    assert suppression.reason == SuppressionReason.UNSUBSCRIBED
    assert ConsentRecord.objects.filter(kind=ConsentKind.OPT_OUT).count() == 2
    assert Event.objects.filter(kind=EventKind.UNSUBSCRIBE).count() == 2


def test_the_unsubscribe_page_of_an_unsubscribed_person_says_so_and_offers_to_subscribe_again(
    client, delivery, token
):
    client.post(f"/t/u/{token}/", ONE_CLICK)

    response = client.get(f"/t/u/{token}/")

    page = response.content.decode()
    assert "Sie erhalten keine E-Mails mehr von uns" in page
    assert "data-unsubscribe" not in page
    assert f'action="/t/r/{token}/"' in page
    assert "Erneut anmelden" in page


def test_unsubscribing_an_erased_contact_says_it_is_already_removed(client):
    delivery = DeliveryFactory(contact=None)

    response = client.post(f"/t/u/{delivery_token(delivery.pk)}/", ONE_CLICK)

    assert response.status_code == 200
    # Nobody to ask for a language: the hub's default one.
    assert "Ihre Daten sind bereits entfernt" in response.content.decode()
    assert not Event.objects.exists()
    assert not ConsentRecord.objects.exists()


# --- preferences -----------------------------------------------------------------------------


def test_the_preference_page_shows_the_topics_the_contact_wants(client, delivery, token):
    Contact.objects.filter(pk=delivery.contact_id).update(declined_topics=["events"])

    response = client.get(f"/t/p/{token}/")

    page = response.content.decode()
    assert response.status_code == 200
    assert 'value="products" id="id_topics_0" checked' in page
    assert 'value="events" id="id_topics_1">' in page
    assert f'href="/t/u/{token}/"' in page
    assert "csrftoken" in response.cookies


def test_the_preference_page_saves_language_and_declined_topics(client, delivery, token):
    client.get(f"/t/p/{token}/")

    response = client.post(f"/t/p/{token}/", {"language": "en", "topics": ["products"]})

    contact = reloaded(delivery.contact)
    assert response.status_code == 200
    assert "Your preferences are saved." in response.content.decode()
    assert contact.language == "en"
    assert contact.declined_topics == ["events", "offers"]


def test_an_unknown_topic_is_shown_as_an_error_and_nothing_is_saved(client, delivery, token):
    response = client.post(f"/t/p/{token}/", {"language": "en", "topics": ["products", "spam"]})

    contact = reloaded(delivery.contact)
    assert response.status_code == 200
    assert "spam" in response.content.decode()
    assert 'class="errors"' in response.content.decode()
    assert (contact.language, contact.declined_topics) == ("de", [])


def test_an_unknown_language_is_shown_as_an_error_and_nothing_is_saved(client, delivery, token):
    response = client.post(f"/t/p/{token}/", {"language": "fr", "topics": ["products"]})

    contact = reloaded(delivery.contact)
    assert 'class="errors"' in response.content.decode()
    assert (contact.language, contact.declined_topics) == ("de", [])


def test_saving_preferences_without_the_csrf_token_is_refused(delivery, token):
    browser = Client(enforce_csrf_checks=True)

    response = browser.post(f"/t/p/{token}/", {"language": "en", "topics": []})

    assert response.status_code == 403
    assert reloaded(delivery.contact).language == "de"


def test_saving_preferences_with_the_pages_csrf_token_works(delivery, token):
    browser = Client(enforce_csrf_checks=True)
    page = browser.get(f"/t/p/{token}/")

    response = browser.post(
        f"/t/p/{token}/",
        {"language": "de", "topics": [], "csrfmiddlewaretoken": page.context["csrf_token"]},
    )

    assert response.status_code == 200
    assert reloaded(delivery.contact).declined_topics == ["events", "offers", "products"]


def test_the_preference_page_of_an_erased_contact_says_it_is_already_removed(client):
    delivery = DeliveryFactory(contact=None)

    response = client.get(f"/t/p/{delivery_token(delivery.pk)}/")

    assert response.status_code == 200
    assert "Ihre Daten sind bereits entfernt" in response.content.decode()


# --- the tracked URLs a channel puts into a message ------------------------------------------


def test_the_tracked_urls_with_a_real_token_lead_to_the_tracking_pages(client, delivery, token):
    tracking = tracking_for(delivery.campaign_id)

    opened = client.get(personalise_url(tracking.open_url, token))
    clicked = client.get(personalise_url(tracking.click(PRODUCT_URL), token))
    unsubscribe = client.get(personalise_url(tracking.unsubscribe_url, token))
    preferences = client.get(personalise_url(tracking.preferences_url, token))

    assert tracking.open_url.startswith("http://testserver/t/o/")
    assert opened["Content-Type"] == "image/gif"
    assert (clicked.status_code, clicked["Location"]) == (302, PRODUCT_URL)
    assert "Von unseren E-Mails abmelden?" in unsubscribe.content.decode()
    assert "Ihre E-Mail-Einstellungen" in preferences.content.decode()
    assert reloaded(delivery).clicked_at is not None


def test_the_tracked_form_of_a_link_is_the_same_each_time_it_is_asked_for(delivery):
    tracking = tracking_for(delivery.campaign_id)

    first, second = tracking.click(PRODUCT_URL), tracking.click(PRODUCT_URL)

    assert first == second
    assert first != tracking.click("https://shop.example.com/other")


def test_the_unsubscribe_mailto_carries_the_token_when_an_address_is_set(settings, delivery):
    settings.HUB_UNSUBSCRIBE_MAILTO = "unsubscribe@example.com"

    mailto = tracking_for(delivery.campaign_id).unsubscribe_mailto

    assert personalise_url(mailto, "42:abc") == (
        "mailto:unsubscribe@example.com?subject=unsubscribe%2042:abc"
    )


def test_without_an_unsubscribe_address_there_is_no_mailto(settings, delivery):
    settings.HUB_UNSUBSCRIBE_MAILTO = ""

    assert tracking_for(delivery.campaign_id).unsubscribe_mailto == ""


def test_a_delivery_that_was_deleted_is_not_found(client, delivery, token):
    Delivery.objects.filter(pk=delivery.pk).delete()

    response = client.get(f"/t/u/{token}/")

    assert response.status_code == 404

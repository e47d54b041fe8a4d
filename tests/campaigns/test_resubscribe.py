"""After unsubscribing, the pages say so and offer to subscribe again, by double opt-in."""

import re

import lxml.html
import pytest

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Suppression,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import suppression_add
from campaigns.tracking import delivery_token, token_of_test_send
from tests.campaigns.test_consent import Outbox
from tests.factories import ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
LINK = re.compile(r"http://testserver(/consent/confirm/[^/\s\"]+/)")


def visible(response) -> str:
    tree = lxml.html.document_fromstring(response.content.decode())
    for style in tree.iter("style"):
        style.drop_tree()
    return " ".join(tree.text_content().split())


@pytest.fixture
def outbox(newsletter_sink):
    return Outbox(newsletter_sink)


@pytest.fixture
def contact():
    return ContactFactory(email="maria@example.com", language="de")


@pytest.fixture
def token(contact):
    return delivery_token(DeliveryFactory(contact=contact).pk)


def consent_of(contact) -> str:
    return Contact.objects.get(pk=contact.pk).consent


def suppressed(email: str) -> bool:
    return Suppression.objects.filter(email_hash=email_hash(email)).exists()


def test_after_unsubscribing_both_pages_say_so_and_offer_to_subscribe_again(client, token):
    client.post(f"/t/u/{token}/", ONE_CLICK)

    unsubscribe_page = client.get(f"/t/u/{token}/")
    preference_page = client.get(f"/t/p/{token}/")

    assert "Sie erhalten keine E-Mails mehr von uns" in visible(unsubscribe_page)
    assert "m***@example.com erhält keine E-Mails mehr von uns." in visible(preference_page)
    for page in (unsubscribe_page, preference_page):
        assert f'action="/t/r/{token}/"' in page.content.decode()
        assert "Erneut anmelden" in visible(page)
    assert "Von allen E-Mails abmelden" not in visible(preference_page)


def test_a_subscribed_contacts_pages_offer_no_subscribing_again(client, token):
    preference_page = client.get(f"/t/p/{token}/")

    assert "Erneut anmelden" not in visible(preference_page)
    assert "Von allen E-Mails abmelden" in visible(preference_page)


def test_subscribing_again_mails_a_link_and_subscribes_only_once_it_is_confirmed(
    client, contact, token, outbox, django_capture_on_commit_callbacks
):
    client.post(f"/t/u/{token}/", ONE_CLICK)

    with django_capture_on_commit_callbacks(execute=True):
        asked = client.post(f"/t/r/{token}/", REMOTE_ADDR="198.51.100.23")

    assert asked.status_code == 200
    assert "Bitte bestätigen Sie in der neuen E-Mail" in visible(asked)
    assert consent_of(contact) == ConsentState.PENDING
    assert suppressed("maria@example.com")  # no mail before the confirmation
    assert len(outbox) == 1
    mail = outbox[0]
    assert mail.to == ["maria@example.com"]
    assert mail.subject == "Bitte bestätigen Sie Ihre Anmeldung"
    opt_in = ConsentRecord.objects.get(contact=contact, kind=ConsentKind.OPT_IN)
    assert (opt_in.source, opt_in.ip_address) == ("newsletter:resubscribe", "198.51.100.23")
    pending_page = client.get(f"/t/u/{token}/")
    assert "Bitte bestätigen Sie Ihre Anmeldung" in visible(pending_page)
    assert "Neuen Bestätigungslink senden" in visible(pending_page)

    client.post(LINK.search(mail.body).group(1))

    assert consent_of(contact) == ConsentState.CONFIRMED
    assert not suppressed("maria@example.com")
    assert "Von unseren E-Mails abmelden?" in visible(client.get(f"/t/u/{token}/"))


def test_an_english_contact_is_offered_it_in_english(client, outbox):
    contact = ContactFactory(email="john@example.com", language="en")
    token = delivery_token(DeliveryFactory(contact=contact).pk)
    client.post(f"/t/u/{token}/", ONE_CLICK)

    page = visible(client.get(f"/t/p/{token}/"))

    assert "j***@example.com no longer receives our e-mails." in page
    assert "Subscribe again" in page
    assert "Erneut anmelden" not in page


def test_a_bounced_address_is_not_offered_and_not_subscribed_again(
    client, contact, token, outbox, django_capture_on_commit_callbacks
):
    client.post(f"/t/u/{token}/", ONE_CLICK)
    suppression_add(email=contact.email, reason=SuppressionReason.HARD_BOUNCE, source="ses")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/t/r/{token}/", follow=True)

    assert "Erneut anmelden" not in visible(response)
    assert "Bitte wenden Sie sich an uns" in visible(response)
    assert consent_of(contact) == ConsentState.REVOKED
    assert not ConsentRecord.objects.filter(kind=ConsentKind.OPT_IN).exists()
    assert len(outbox) == 0


def test_subscribing_again_from_a_test_mail_changes_nothing(client, outbox):
    token = token_of_test_send(1, "de", "tester@example.com")

    response = client.post(f"/t/r/{token}/")

    assert response.status_code == 200
    assert "data-test-send" in response.content.decode()
    assert not ConsentRecord.objects.exists()


def test_a_forged_resubscribe_link_is_not_found(client, token):
    response = client.post(f"/t/r/{token[:-3]}abc/")

    assert response.status_code == 404
    assert not ConsentRecord.objects.exists()

"""Public pages and the double opt-in mail speak the recipient's language, never both."""

import re

import lxml.html
import pytest

from campaigns.models import ConsentState
from campaigns.services.consent import consent_opt_in
from campaigns.tracking import delivery_token
from tests.campaigns.test_consent import Outbox
from tests.factories import ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

ONE_CLICK = {"List-Unsubscribe": "One-Click"}
LINK = re.compile(r"http://testserver(/consent/confirm/[^/\s\"]+/)")


def visible(html: str) -> str:
    """The text a reader sees: the title and the body, without markup."""
    tree = lxml.html.document_fromstring(html)
    for style in tree.iter("style"):
        style.drop_tree()
    return " ".join(tree.text_content().split())


def html_lang(html: str) -> str:
    return lxml.html.document_fromstring(html).get("lang")


@pytest.fixture
def token_of():
    def token_of_(language: str) -> str:
        contact = ContactFactory(email=f"{language}@example.com", language=language)
        return delivery_token(DeliveryFactory(contact=contact).pk)

    return token_of_


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("de", "Von unseren E-Mails abmelden?", "Unsubscribe from our e-mails?"),
        ("en", "Unsubscribe from our e-mails?", "Von unseren E-Mails abmelden?"),
    ],
)
def test_the_unsubscribe_page_speaks_only_the_contacts_language(
    client, token_of, language, shown, not_shown
):
    response = client.get(f"/t/u/{token_of(language)}/")

    page = response.content.decode()
    assert shown in visible(page)
    assert not_shown not in visible(page)
    assert html_lang(page) == language


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("de", ["Ihre E-Mail-Einstellungen", "Produktneuheiten", "Angebote"], ["Product news"]),
        ("en", ["Your e-mail preferences", "Product news", "Offers"], ["Produktneuheiten"]),
    ],
)
def test_the_preference_page_and_its_topics_speak_only_the_contacts_language(
    client, token_of, language, shown, not_shown
):
    response = client.get(f"/t/p/{token_of(language)}/")

    text = visible(response.content.decode())
    assert all(phrase in text for phrase in shown)
    assert not any(phrase in text for phrase in not_shown)


@pytest.mark.parametrize(
    ("language", "shown", "not_shown"),
    [
        ("de", "Sie sind abgemeldet", "You are unsubscribed"),
        ("en", "You are unsubscribed", "Sie sind abgemeldet"),
    ],
)
def test_the_unsubscribed_page_speaks_only_the_contacts_language(
    client, token_of, language, shown, not_shown
):
    response = client.post(f"/t/u/{token_of(language)}/", ONE_CLICK)

    text = visible(response.content.decode())
    assert shown in text
    assert not_shown not in text


def test_saving_another_language_answers_in_the_new_language(client, token_of):
    token = token_of("de")

    response = client.post(f"/t/p/{token}/", {"language": "en", "topics": ["products"]})

    text = visible(response.content.decode())
    assert "Your preferences are saved." in text
    assert "Einstellungen" not in text


@pytest.mark.parametrize(
    ("accept", "shown", "not_shown"),
    [
        ("", "Dieser Link ist ungültig", "This link is not valid"),
        ("en-GB,en;q=0.9", "This link is not valid", "Dieser Link ist ungültig"),
    ],
)
def test_a_forged_link_is_not_found_in_the_browsers_language(client, accept, shown, not_shown):
    headers = {"HTTP_ACCEPT_LANGUAGE": accept} if accept else {}

    response = client.get("/t/u/1:forged/", **headers)

    assert response.status_code == 404
    text = visible(response.content.decode())
    assert shown in text
    assert not_shown not in text


# --- the double opt-in: mail and pages -------------------------------------------------------


@pytest.fixture
def outbox(newsletter_sink):
    return Outbox(newsletter_sink)


@pytest.fixture
def opt_in(django_capture_on_commit_callbacks, outbox):
    def opt_in_(contact):
        with django_capture_on_commit_callbacks(execute=True):
            consent_opt_in(contact=contact, source="web-form", text_version="v1")
        return outbox[len(outbox) - 1]

    return opt_in_


def test_a_german_contacts_confirmation_mail_is_german_only(opt_in):
    contact = ContactFactory(
        language="de",
        salutation="ms",
        first_name="Erika",
        last_name="Weber",
        consent=ConsentState.NONE,
    )

    mail = opt_in(contact)

    assert mail.subject == "Bitte bestätigen Sie Ihre Anmeldung"
    assert "Sehr geehrte Frau Weber," in mail.body
    assert "bitte bestätigen Sie Ihre Anmeldung für unsere E-Mails" in mail.body
    assert "Tage gültig" in mail.body
    assert "please confirm" not in mail.body.lower()
    assert "valid for" not in mail.body
    assert "Anmeldung bestätigen" in visible(mail.html)
    assert "Confirm subscription" not in visible(mail.html)
    assert html_lang(mail.html) == "de"


def test_an_english_contacts_confirmation_mail_is_english_only(opt_in):
    contact = ContactFactory(
        language="en",
        salutation="mr",
        first_name="John",
        last_name="Smith",
        consent=ConsentState.NONE,
    )

    mail = opt_in(contact)

    assert mail.subject == "Please confirm your subscription"
    assert "Dear Mr Smith," in mail.body
    assert "please confirm your subscription to our e-mails" in mail.body
    assert "valid for" in mail.body
    assert "bestätigen" not in mail.body
    assert "Confirm subscription" in visible(mail.html)
    assert "Anmeldung bestätigen" not in visible(mail.html)
    assert html_lang(mail.html) == "en"


@pytest.mark.parametrize(
    ("language", "before", "after", "not_shown"),
    [
        ("de", "Anmeldung bestätigen", "Vielen Dank: Ihre Anmeldung ist bestätigt", "Confirm"),
        ("en", "Confirm your subscription", "Thank you: your subscription is confirmed", "Anmeld"),
    ],
)
def test_the_confirmation_pages_speak_only_the_contacts_language(
    client, opt_in, language, before, after, not_shown
):
    contact = ContactFactory(language=language, consent=ConsentState.NONE)
    link = LINK.search(opt_in(contact).body).group(1)

    opened = visible(client.get(link).content.decode())
    confirmed = visible(client.post(link).content.decode())

    assert before in opened
    assert not_shown not in opened.replace(before, "")
    assert after in confirmed
    assert not_shown not in confirmed

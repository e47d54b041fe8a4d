"""Double opt-in with evidence, opt-out and suppression, as a contact and the team see them."""

import dataclasses
import datetime
import re

import pytest
import time_machine
from django.core import signing
from django.utils import timezone

from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    ConsentState,
    Contact,
    Suppression,
    SuppressionReason,
    email_hash,
)
from campaigns.services.consent import (
    AddressSuppressed,
    consent_opt_in,
    consent_opt_out,
    suppression_add,
)
from tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


class Outbox:
    """What the SMTP sink received through the newsletter channel, read as a person would."""

    def __init__(self, sink):
        self.sink = sink

    def __len__(self) -> int:
        return len(self.sink.received)

    def __bool__(self) -> bool:
        return bool(self.sink.received)

    def __eq__(self, other) -> bool:
        return [self[i] for i in range(len(self))] == other

    def __getitem__(self, index):
        message = self.sink.received[index].message
        return Sent(
            to=list(self.sink.received[index].recipients),
            subject=message["Subject"],
            body=message.get_body(("plain",)).get_content(),
            html=message.get_body(("html",)).get_content(),
        )


@dataclasses.dataclass
class Sent:
    to: list[str]
    subject: str
    body: str
    html: str


@pytest.fixture(autouse=True)
def outbox(newsletter_sink):
    """Consent mails go through the newsletter channel's transport: here, into the sink."""
    return Outbox(newsletter_sink)


LINK = re.compile(r"http://testserver(/consent/confirm/[^/\s\"]+/)")
BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0"


@pytest.fixture
def prospect():
    return ContactFactory(
        email="erika@example.com", consent=ConsentState.NONE, consent_changed_at=None
    )


@pytest.fixture
def opt_in(django_capture_on_commit_callbacks, outbox):
    """Record an opt-in as a web form would and return the link path from the mail sent."""

    def opt_in_(contact, **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            consent_opt_in(
                contact=contact,
                source=kwargs.pop("source", "web-form"),
                text_version=kwargs.pop("text_version", "newsletter-2026-01"),
                ip_address=kwargs.pop("ip_address", "203.0.113.7"),
                user_agent=kwargs.pop("user_agent", BROWSER),
                **kwargs,
            )
        return LINK.search(outbox[len(outbox) - 1].body).group(1) if outbox else None

    return opt_in_


def consent_of(contact) -> str:
    return Contact.objects.get(pk=contact.pk).consent


def test_an_opt_in_records_evidence_and_mails_a_confirmation_link(prospect, opt_in, outbox):
    link = opt_in(prospect)

    record = ConsentRecord.objects.get(contact=prospect)
    assert record.kind == ConsentKind.OPT_IN
    assert (record.ip_address, record.user_agent) == ("203.0.113.7", BROWSER)
    assert (record.source, record.text_version) == ("web-form", "newsletter-2026-01")
    assert len(record.token_hash) == 64
    assert consent_of(prospect) == ConsentState.PENDING
    message = outbox[0]
    assert message.to == ["erika@example.com"]
    assert message.subject == "Bitte bestätigen Sie Ihre Anmeldung"
    assert link in message.body
    assert link in message.html


def test_the_confirmation_mail_is_in_the_contacts_language(opt_in, outbox):
    contact = ContactFactory(language="en", consent=ConsentState.NONE)

    opt_in(contact)

    assert outbox[0].subject == "Please confirm your subscription"


def test_opening_the_link_shows_a_button_and_changes_nothing(client, prospect, opt_in):
    link = opt_in(prospect)

    response = client.get(link)

    assert response.status_code == 200
    assert "data-consent-confirm" in response.content.decode()
    assert consent_of(prospect) == ConsentState.PENDING
    assert ConsentRecord.objects.filter(kind=ConsentKind.CONFIRMATION).count() == 0


def test_pressing_the_button_confirms_with_ip_user_agent_and_text_version(client, prospect, opt_in):
    link = opt_in(prospect)

    response = client.post(link, REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT="Thunderbird")

    assert response.status_code == 200
    assert "Ihre Anmeldung ist bestätigt" in response.content.decode()
    assert consent_of(prospect) == ConsentState.CONFIRMED
    confirmation = ConsentRecord.objects.get(contact=prospect, kind=ConsentKind.CONFIRMATION)
    assert (confirmation.ip_address, confirmation.user_agent) == ("198.51.100.23", "Thunderbird")
    assert confirmation.text_version == "newsletter-2026-01"
    assert confirmation.token_hash == ConsentRecord.objects.get(kind=ConsentKind.OPT_IN).token_hash


def test_only_a_confirmed_opt_in_counts_as_consent(client, prospect, opt_in):
    link = opt_in(prospect)
    pending = Contact.objects.get(pk=prospect.pk).is_consented

    client.post(link)

    assert pending is False
    assert Contact.objects.get(pk=prospect.pk).is_consented is True


def test_confirming_twice_records_one_confirmation(client, prospect, opt_in):
    link = opt_in(prospect)
    client.post(link)

    response = client.post(link)

    assert response.status_code == 200
    assert ConsentRecord.objects.filter(kind=ConsentKind.CONFIRMATION).count() == 1


def test_a_forged_link_is_not_found_and_records_nothing(client, prospect, opt_in):
    link = opt_in(prospect)
    forged = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]

    response = client.post(forged)

    assert response.status_code == 404
    assert consent_of(prospect) == ConsentState.PENDING
    assert ConsentRecord.objects.count() == 1


def test_a_link_signed_for_another_purpose_is_not_accepted(client, prospect, opt_in):
    opt_in(prospect)
    record = ConsentRecord.objects.get()
    token = signing.Signer().sign_object({"c": prospect.pk, "r": record.pk})

    response = client.post(f"/consent/confirm/{token}/")

    assert response.status_code == 404
    assert consent_of(prospect) == ConsentState.PENDING


def test_an_expired_link_is_gone_and_records_nothing(client, prospect, opt_in, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = opt_in(prospect)

    with time_machine.travel(
        start + datetime.timedelta(seconds=settings.HUB_CONSENT_CONFIRM_MAX_AGE + 60), tick=False
    ):
        shown = client.get(link)
        response = client.post(link)

    assert shown.status_code == 410
    assert response.status_code == 410
    assert "abgelaufen" in response.content.decode()
    assert consent_of(prospect) == ConsentState.PENDING
    assert ConsentRecord.objects.count() == 1


def test_a_link_is_still_valid_on_its_last_day(client, prospect, opt_in, settings):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        link = opt_in(prospect)

    with time_machine.travel(
        start + datetime.timedelta(seconds=settings.HUB_CONSENT_CONFIRM_MAX_AGE - 60), tick=False
    ):
        response = client.post(link)

    assert response.status_code == 200
    assert consent_of(prospect) == ConsentState.CONFIRMED


def test_a_newer_opt_in_replaces_the_older_link(client, prospect, opt_in):
    old_link = opt_in(prospect)
    new_link = opt_in(prospect)

    old = client.post(old_link)
    new = client.post(new_link)

    assert old.status_code == 410
    assert new.status_code == 200
    assert ConsentRecord.objects.filter(kind=ConsentKind.CONFIRMATION).count() == 1


def test_an_opt_out_after_the_opt_in_voids_its_link(client, prospect, opt_in):
    link = opt_in(prospect)
    consent_opt_out(contact=prospect, source="web-form")

    response = client.post(link)

    assert response.status_code == 410
    assert consent_of(prospect) == ConsentState.REVOKED


def test_a_used_link_after_an_opt_out_says_so_and_does_not_subscribe_again(
    client, prospect, opt_in
):
    link = opt_in(prospect)
    client.post(link)
    consent_opt_out(contact=prospect, source="unsubscribe-link")

    opened = client.get(link)
    pressed = client.post(link)

    for response in (opened, pressed):
        page = response.content.decode()
        assert response.status_code == 410
        assert "Sie haben sich nach der Bestätigung abgemeldet" in page
        assert "data-consent-again" in page
        assert "data-consent-confirm" not in page
    assert consent_of(prospect) == ConsentState.REVOKED
    assert Suppression.objects.filter(email_hash=email_hash("erika@example.com")).exists()
    assert ConsentRecord.objects.filter(kind=ConsentKind.CONFIRMATION).count() == 1


def test_subscribing_again_from_a_used_link_mails_a_new_link_and_waits_for_it(
    client, prospect, opt_in, outbox, django_capture_on_commit_callbacks
):
    link = opt_in(prospect)
    client.post(link)
    consent_opt_out(contact=prospect, source="unsubscribe-link")

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"{link}again/", REMOTE_ADDR="198.51.100.23")

    assert response.status_code == 200
    assert "neuen Bestätigungslink" in response.content.decode()
    assert consent_of(prospect) == ConsentState.PENDING
    assert len(outbox) == 2
    new_link = LINK.search(outbox[1].body).group(1)
    assert new_link != link
    client.post(new_link)
    assert consent_of(prospect) == ConsentState.CONFIRMED


def test_an_opt_out_revokes_consent_and_suppresses_the_address(client, prospect, opt_in):
    client.post(opt_in(prospect))

    consent_opt_out(contact=prospect, source="unsubscribe-link", ip_address="203.0.113.9")

    assert consent_of(prospect) == ConsentState.REVOKED
    assert ConsentRecord.objects.filter(kind=ConsentKind.OPT_OUT, ip_address="203.0.113.9").exists()
    suppression = Suppression.objects.get(email_hash=email_hash("erika@example.com"))
    assert suppression.reason == SuppressionReason.UNSUBSCRIBED


def test_a_confirmed_double_opt_in_lifts_the_persons_own_unsubscribe(client, prospect, opt_in):
    consent_opt_out(contact=prospect, source="unsubscribe-link")
    link = opt_in(prospect)

    client.post(link)

    assert consent_of(prospect) == ConsentState.CONFIRMED
    assert not Suppression.objects.filter(email_hash=prospect.email_hash).exists()


def test_an_unconfirmed_opt_in_does_not_lift_an_unsubscribe(prospect, opt_in):
    consent_opt_out(contact=prospect, source="unsubscribe-link")

    opt_in(prospect)

    assert Suppression.objects.filter(email_hash=prospect.email_hash).exists()


@pytest.mark.parametrize(
    "reason",
    [SuppressionReason.HARD_BOUNCE, SuppressionReason.COMPLAINT, SuppressionReason.MANUAL],
)
def test_an_opt_in_never_mails_an_address_suppressed_for_other_reasons(
    prospect, opt_in, reason, outbox
):
    suppression_add(email=prospect.email, reason=reason, source="test")

    with pytest.raises(AddressSuppressed):
        opt_in(prospect)

    assert outbox == []
    assert ConsentRecord.objects.count() == 0
    assert consent_of(prospect) == ConsentState.NONE


def test_a_bounce_after_the_opt_in_stops_the_confirmation(client, prospect, opt_in):
    link = opt_in(prospect)
    suppression_add(email=prospect.email, reason=SuppressionReason.HARD_BOUNCE, source="ses")

    response = client.post(link)

    assert response.status_code == 410
    assert consent_of(prospect) == ConsentState.PENDING


def test_an_opt_in_of_a_confirmed_contact_is_kept_as_evidence_without_mail(opt_in, outbox):
    contact = ContactFactory()

    opt_in(contact)

    assert ConsentRecord.objects.filter(contact=contact, kind=ConsentKind.OPT_IN).count() == 1
    assert outbox == []
    assert consent_of(contact) == ConsentState.CONFIRMED


def test_suppressing_twice_keeps_one_row_by_address_hash():
    suppression_add(email="Max@Example.com", reason=SuppressionReason.COMPLAINT, source="ses")

    suppression_add(email="max@example.com ", reason=SuppressionReason.HARD_BOUNCE, source="ses")

    suppression = Suppression.objects.get()
    assert suppression.email_hash == email_hash("max@example.com")
    assert suppression.reason == SuppressionReason.COMPLAINT


def test_a_bounce_hardens_an_unsubscribe():
    suppression_add(email="max@example.com", reason=SuppressionReason.UNSUBSCRIBED, source="link")

    suppression_add(email="max@example.com", reason=SuppressionReason.HARD_BOUNCE, source="ses")

    assert Suppression.objects.get().reason == SuppressionReason.HARD_BOUNCE


def test_the_confirm_page_needs_no_cookie(prospect, opt_in):
    from django.test import Client

    link = opt_in(prospect)

    response = Client(enforce_csrf_checks=True).post(link)

    assert response.status_code == 200
    assert consent_of(prospect) == ConsentState.CONFIRMED


def test_behind_a_trusted_proxy_the_forwarded_client_address_is_recorded(
    client, prospect, opt_in, settings
):
    settings.HUB_TRUSTED_PROXIES = ["10.0.0.2"]
    link = opt_in(prospect)

    client.post(link, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="192.0.2.1, 198.51.100.23")

    confirmation = ConsentRecord.objects.get(kind=ConsentKind.CONFIRMATION)
    assert confirmation.ip_address == "198.51.100.23"


def test_a_forwarded_address_from_an_untrusted_peer_is_ignored(client, prospect, opt_in):
    link = opt_in(prospect)

    client.post(link, REMOTE_ADDR="198.51.100.23", HTTP_X_FORWARDED_FOR="192.0.2.1")

    confirmation = ConsentRecord.objects.get(kind=ConsentKind.CONFIRMATION)
    assert confirmation.ip_address == "198.51.100.23"


def test_a_mail_sent_later_carries_a_valid_link_and_a_second_run_sends_nothing(
    client, prospect, django_capture_on_commit_callbacks, outbox
):
    start = timezone.now()
    with (
        time_machine.travel(start, tick=False),
        django_capture_on_commit_callbacks() as callbacks,
    ):
        consent_opt_in(contact=prospect, source="web-form", text_version="v1")
    with time_machine.travel(start + datetime.timedelta(minutes=3), tick=False):
        callbacks[0]()
        callbacks[0]()  # the task again, as a broker redelivery would run it

    assert len(outbox) == 1
    assert ConsentRecord.objects.get(kind=ConsentKind.OPT_IN).mailed_at is not None
    assert client.post(LINK.search(outbox[0].body).group(1)).status_code == 200

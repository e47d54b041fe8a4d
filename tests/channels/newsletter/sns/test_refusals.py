"""SNS messages the hook refuses: altered, badly signed, stale, from a foreign topic or
certificate host; and no hook at all without SES."""

from __future__ import annotations

import base64
import datetime

import pytest
import time_machine
from django.utils import timezone

from campaigns.models import Event, IgnoredFeedback, IgnoredFeedbackReason, Suppression
from tests.channels.newsletter.sns.stand_in import (
    CERT_PATH,
    FILES,
    FOREIGN_TOPIC,
    OUR_MESSAGE_ID,
    SMTP,
    mail_transport,
    post,
    ses_bounce,
    ses_complaint,
    sns_notification,
)
from tests.factories import ContactFactory, DeliveryFactory

# --- refusals -----------------------------------------------------------------------------


@pytest.mark.django_db
def test_message_altered_after_signing_is_refused_and_records_nothing(client, aws, signing_key):
    contact = ContactFactory()
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce("other@example.com"))
    message["Message"] = ses_bounce(contact.email)

    response = post(client, message)

    assert response.status_code == 403
    assert "signature" in response.json()["detail"]
    assert not Event.objects.exists()
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_certificate_url_on_another_host_is_refused_without_fetching(client, aws, signing_key):
    contact = ContactFactory()
    elsewhere = f"https://127.0.0.1:{aws.port}{CERT_PATH}"
    message = sns_notification(signing_key, elsewhere, ses_bounce(contact.email))

    response = post(client, message)

    assert response.status_code == 403
    assert "not an SNS host" in response.json()["detail"]
    assert aws.paths == []
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_certificate_url_over_http_is_refused(client, aws, signing_key):
    contact = ContactFactory()
    plain = f"http://localhost:{aws.port}{CERT_PATH}"
    message = sns_notification(signing_key, plain, ses_bounce(contact.email))

    response = post(client, message)

    assert response.status_code == 403
    assert aws.paths == []
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_message_older_than_an_hour_is_refused(client, aws, signing_key):
    contact = ContactFactory()
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce(contact.email))

    with time_machine.travel(timezone.now() + datetime.timedelta(hours=2), tick=False):
        response = post(client, message)

    assert response.status_code == 403
    assert "hour" in response.json()["detail"]
    assert not Event.objects.exists()


@pytest.mark.django_db
def test_forged_complaint_from_a_topic_not_allowed_changes_nothing(client, aws, signing_key):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(
        signing_key, aws.url + CERT_PATH, ses_complaint(contact.email), topic=FOREIGN_TOPIC
    )

    response = post(client, message)

    assert response.status_code == 403
    assert "HUB_SES_SNS_TOPIC_ARNS" in response.json()["detail"]
    assert not Event.objects.exists()
    assert not Suppression.objects.exists()
    ignored = IgnoredFeedback.objects.get()
    assert (ignored.reason, ignored.topic_arn) == (
        IgnoredFeedbackReason.TOPIC_NOT_ALLOWED,
        FOREIGN_TOPIC,
    )
    assert ignored.email_hash == contact.email_hash


@pytest.mark.django_db
def test_no_topic_is_allowed_while_the_list_is_empty(client, aws, signing_key, settings):
    settings.HUB_SES_SNS_TOPIC_ARNS = []
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce(contact.email))

    response = post(client, message)

    assert response.status_code == 403
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_badly_signed_message_from_a_topic_not_allowed_records_nothing(client, aws, signing_key):
    message = sns_notification(
        signing_key, aws.url + CERT_PATH, ses_bounce("a@example.com"), topic=FOREIGN_TOPIC
    )
    message["Signature"] = base64.b64encode(b"x" * 256).decode()

    response = post(client, message)

    assert response.status_code == 403
    assert not IgnoredFeedback.objects.exists()


@pytest.mark.parametrize("transport", [SMTP, FILES], ids=["smtp", "file"])
def test_without_ses_the_hook_does_not_exist(client, transport):
    with mail_transport(transport):
        response = post(client, "{}")

    assert response.status_code == 404

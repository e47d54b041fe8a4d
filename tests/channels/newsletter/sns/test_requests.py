"""SNS subscription confirmations and requests that are no notification."""

from __future__ import annotations

import json
import uuid

import pytest
from django.utils import timezone

from campaigns.models import Event
from channels.exceptions import SESNotificationError
from channels.newsletter.sns import parse_ses_notification
from tests.channels.newsletter.sns.stand_in import (
    CERT_PATH,
    FOREIGN_TOPIC,
    TOPIC,
    URL,
    post,
    ses_complaint,
    sign,
    sns_notification,
    sns_timestamp,
)

# --- subscription and bad requests --------------------------------------------------------


def subscription_confirmation(key, cert_url: str, subscribe_url: str) -> dict:
    message = {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37fb687f5d51e6e2425f004aed",
        "TopicArn": TOPIC,
        "Message": f"You have chosen to subscribe to the topic {TOPIC}.",
        "SubscribeURL": subscribe_url,
        "Timestamp": sns_timestamp(timezone.now()),
        "SignatureVersion": "1",
        "SigningCertURL": cert_url,
    }
    message["Signature"] = sign(message, key, "1")
    return message


def test_subscription_confirmation_visits_the_subscribe_url(client, aws, signing_key):
    confirm = f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb"
    message = subscription_confirmation(signing_key, aws.url + CERT_PATH, aws.url + confirm)

    response = post(client, message)

    assert response.status_code == 200
    assert aws.paths == [CERT_PATH, confirm]


def test_subscription_to_a_topic_not_allowed_is_not_confirmed(client, aws, signing_key, settings):
    settings.HUB_SES_SNS_TOPIC_ARNS = [FOREIGN_TOPIC]
    confirm = f"/?Action=ConfirmSubscription&TopicArn={TOPIC}&Token=2336412f37fb"
    message = subscription_confirmation(signing_key, aws.url + CERT_PATH, aws.url + confirm)

    response = post(client, message)

    assert response.status_code == 403
    assert confirm not in aws.paths


def test_subscribe_url_on_another_host_is_not_visited(client, aws, signing_key):
    elsewhere = f"https://127.0.0.1:{aws.port}/?Action=ConfirmSubscription"
    message = subscription_confirmation(signing_key, aws.url + CERT_PATH, elsewhere)

    response = post(client, message)

    assert response.status_code == 403
    assert aws.paths == [CERT_PATH]


def test_malformed_json_is_a_bad_request(client):
    response = post(client, "{not json")

    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert "not JSON" in response.json()["detail"]


def test_get_is_not_allowed(client):
    response = client.get(URL)

    assert response.status_code == 405


def test_body_over_256_kb_is_too_large(client):
    response = post(client, " " * (256 * 1024 + 1))

    assert response.status_code == 413


@pytest.mark.django_db
def test_signed_notification_without_ses_fields_is_a_bad_request(client, aws, signing_key):
    ses_message = json.dumps({"notificationType": "Bounce", "mail": {"messageId": "x"}})
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    response = post(client, message)

    assert response.status_code == 400
    assert "bounce" in response.json()["detail"]
    assert not Event.objects.exists()


def test_parse_names_the_missing_field():
    ses_message = json.loads(ses_complaint("a@example.com"))
    del ses_message["complaint"]["complainedRecipients"]

    with pytest.raises(SESNotificationError, match=r"complaint\.complainedRecipients"):
        parse_ses_notification(json.dumps(ses_message))

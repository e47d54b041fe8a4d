"""SES bounces and complaints through SNS: real signatures, a real HTTPS stand-in for AWS."""

from __future__ import annotations

import base64
import contextlib
import datetime
import importlib
import json
import threading
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import time_machine
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID
from django.core.cache import cache
from django.test import override_settings
from django.urls import clear_url_caches
from django.utils import timezone

import hub.urls
from campaigns.models import (
    ConsentKind,
    ConsentRecord,
    Delivery,
    Event,
    EventKind,
    IgnoredFeedback,
    IgnoredFeedbackReason,
    Suppression,
    SuppressionReason,
    email_hash,
)
from channels.exceptions import SESNotificationError
from channels.newsletter.sns import parse_ses_notification
from tests.channels.conftest import tls_context
from tests.factories import ContactFactory, DeliveryFactory

URL = "/hooks/ses/"
TOPIC = "arn:aws:sns:eu-central-1:123456789012:ses-feedback"
FOREIGN_TOPIC = "arn:aws:sns:eu-central-1:999999999999:someone-elses-topic"
SES = {"BACKEND": "channels.newsletter.transports.SESTransport", "OPTIONS": {}}
SMTP = {"BACKEND": "channels.newsletter.transports.SMTPTransport", "OPTIONS": {}}
FILES = {"BACKEND": "channels.newsletter.transports.FileTransport", "OPTIONS": {}}
# When SES says the mail bounced (ses_bounce); recent sends are counted back from it.
BOUNCED_AT = datetime.datetime(2026, 11, 23, 10, 15, tzinfo=datetime.UTC)
CERT_PATH = "/SimpleNotificationService-0000000000000000000000.pem"
OUR_MESSAGE_ID = "newsletter-42.7@hub.example"
SES_MESSAGE_ID = "0107018c2f3e4d5e-ses-message-id-000000"
# The fields SNS signs per type, in order (written out here, not taken from the code).
SIGNED = {
    "Notification": ["Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"],
    "SubscriptionConfirmation": [
        "Message",
        "MessageId",
        "SubscribeURL",
        "Timestamp",
        "Token",
        "TopicArn",
        "Type",
    ],
}


class AwsStandIn:
    """An HTTPS server that hands out the signing certificate and records every GET."""

    def __init__(self, tls, certificate_pem: bytes, host: str = "localhost") -> None:
        self.paths: list[str] = []
        stand_in = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                stand_in.paths.append(self.path)
                if self.path == CERT_PATH:
                    body, kind = certificate_pem, "application/x-pem-file"
                else:
                    body, kind = b"<ConfirmSubscriptionResponse/>", "text/xml"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        self.port = self.server.server_address[1]
        self.url = f"https://{host}:{self.port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self) -> AwsStandIn:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture(scope="session")
def signing_certificate_pem(signing_key) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(signing_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=365))
        .sign(signing_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM)


@pytest.fixture
def aws(certificate_authority, signing_certificate_pem):
    tls = tls_context(certificate_authority, "localhost")
    with AwsStandIn(tls, signing_certificate_pem) as running:
        yield running


@contextlib.contextmanager
def mail_transport(config: dict):
    """The hub's URLs as they are when the newsletter sends through ``config``."""
    with override_settings(HUB_MAIL_TRANSPORTS={"default": config}):
        importlib.reload(hub.urls)
        clear_url_caches()
        yield
    importlib.reload(hub.urls)
    clear_url_caches()


@pytest.fixture(autouse=True)
def ses_is_the_transport():
    with mail_transport(SES):
        yield


@pytest.fixture(autouse=True)
def trust_the_stand_in(settings, certificate_authority, tmp_path):
    bundle = tmp_path / "ca.pem"
    certificate_authority.cert_pem.write_to_path(str(bundle))
    settings.HUB_SES_SNS_CA_BUNDLE = str(bundle)
    settings.HUB_SES_SNS_CERT_HOST_PATTERN = r"^localhost$"
    settings.HUB_SES_SNS_TOPIC_ARNS = [TOPIC]
    cache.clear()


def sns_timestamp(moment: datetime.datetime) -> str:
    moment = moment.astimezone(datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def sign(message: dict, key, version: str) -> str:
    text = "".join(
        f"{name}\n{message[name]}\n" for name in SIGNED[message["Type"]] if name in message
    )
    algorithm = hashes.SHA1() if version == "1" else hashes.SHA256()  # noqa: S303
    return base64.b64encode(key.sign(text.encode(), padding.PKCS1v15(), algorithm)).decode()


def sns_notification(
    key, cert_url: str, ses_message: str, *, version: str = "2", topic: str = TOPIC
) -> dict:
    message = {
        "Type": "Notification",
        "MessageId": str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": ses_message,
        "Timestamp": sns_timestamp(timezone.now()),
        "SignatureVersion": version,
        "SigningCertURL": cert_url,
        "UnsubscribeURL": f"{cert_url}?Action=Unsubscribe",
    }
    message["Signature"] = sign(message, key, version)
    return message


def ses_bounce(email: str, bounce_type: str = "Permanent", *, field="notificationType") -> str:
    return json.dumps(
        {
            field: "Bounce",
            "bounce": {
                "bounceType": bounce_type,
                "bounceSubType": "General",
                "bouncedRecipients": [
                    {
                        "emailAddress": email,
                        "action": "failed",
                        "status": "5.1.1",
                        "diagnosticCode": "smtp; 550 5.1.1 user unknown",
                    }
                ],
                "timestamp": "2026-11-23T10:15:00.000Z",
                "feedbackId": "0107018c-bounce-feedback",
            },
            "mail": {
                "timestamp": "2026-11-23T10:14:58.000Z",
                "messageId": SES_MESSAGE_ID,
                "source": "newsletter@hub.example",
                "destination": [email],
                "headersTruncated": False,
                "headers": [
                    {"name": "From", "value": "newsletter@hub.example"},
                    {"name": "Message-ID", "value": f"<{OUR_MESSAGE_ID}>"},
                ],
                "commonHeaders": {"messageId": f"<{OUR_MESSAGE_ID}>", "to": [email]},
            },
        }
    )


def without_message_id(ses_message: str) -> str:
    """The notification as SES sends it when it passes on no Message-ID of the mail."""
    notification = json.loads(ses_message)
    notification["mail"].pop("headers", None)
    notification["mail"]["commonHeaders"].pop("messageId", None)
    return json.dumps(notification)


def ses_complaint(email: str, message_id: str = OUR_MESSAGE_ID) -> str:
    return json.dumps(
        {
            "notificationType": "Complaint",
            "complaint": {
                "complainedRecipients": [{"emailAddress": email}],
                "complaintFeedbackType": "abuse",
                "timestamp": "2026-11-23T11:00:00.000Z",
                "feedbackId": "0107018c-complaint-feedback",
            },
            "mail": {
                "timestamp": "2026-11-23T10:14:58.000Z",
                "messageId": SES_MESSAGE_ID,
                "commonHeaders": {"messageId": f"<{message_id}>"},
            },
        }
    )


def post(client, message):
    body = message if isinstance(message, str) else json.dumps(message)
    return client.post(URL, data=body, content_type="text/plain; charset=UTF-8")


# --- notifications ------------------------------------------------------------------------


@pytest.mark.django_db
def test_signed_permanent_bounce_suppresses_the_contact_and_records_the_bounce(
    client, aws, signing_key
):
    contact = ContactFactory(email="erika@example.com")
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce("Erika@Example.com"))

    response = post(client, message)

    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.kind, event.contact, event.source) == (EventKind.BOUNCE, contact, "ses")
    assert event.data["message_id"] == OUR_MESSAGE_ID
    assert event.data["provider_message_id"] == SES_MESSAGE_ID
    assert event.data["permanent"] is True
    assert event.occurred_at == datetime.datetime(2026, 11, 23, 10, 15, tzinfo=datetime.UTC)
    suppression = Suppression.objects.get()
    assert suppression.email_hash == contact.email_hash
    assert suppression.reason == SuppressionReason.HARD_BOUNCE


@pytest.mark.django_db
def test_permanent_bounce_marks_its_delivery_bounced_and_counts_for_the_campaign(
    client, aws, signing_key
):
    contact = ContactFactory(email="erika@example.com")
    delivery = DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce(contact.email))

    post(client, message)

    delivery.refresh_from_db()
    assert delivery.state == "bounced"
    assert Event.objects.get().campaign_id == delivery.campaign_id


@pytest.mark.django_db
def test_complaint_about_a_delivery_by_its_message_id_suppresses_with_reason_complaint(
    client, aws, signing_key
):
    contact = ContactFactory()
    delivery = DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_complaint(contact.email))

    response = post(client, message)

    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.kind, event.campaign_id) == (EventKind.COMPLAINT, delivery.campaign_id)
    assert event.data["matched_by"] == "message_id"
    assert Suppression.objects.get(email_hash=contact.email_hash).reason == (
        SuppressionReason.COMPLAINT
    )


@pytest.mark.django_db
def test_transient_bounce_is_counted_but_does_not_suppress(client, aws, signing_key):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(
        signing_key, aws.url + CERT_PATH, ses_bounce(contact.email, "Transient")
    )

    response = post(client, message)

    assert response.status_code == 200
    event = Event.objects.get(contact=contact, kind=EventKind.BOUNCE)
    assert event.data["permanent"] is False
    assert not Suppression.objects.exists()


@pytest.mark.django_db
def test_same_notification_twice_records_one_event_and_one_suppression(client, aws, signing_key):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce(contact.email))
    post(client, message)

    response = post(client, message)

    assert response.status_code == 200
    assert response.json()["duplicates"] == 1
    assert Event.objects.count() == 1
    assert Suppression.objects.count() == 1


@pytest.mark.django_db
def test_event_publishing_format_is_understood(client, aws, signing_key):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    ses_message = json.loads(ses_bounce(contact.email, field="eventType"))
    del ses_message["mail"]["headers"]
    message = sns_notification(signing_key, aws.url + CERT_PATH, json.dumps(ses_message))

    response = post(client, message)

    assert response.status_code == 200
    assert Event.objects.get().data["message_id"] == OUR_MESSAGE_ID
    assert Suppression.objects.filter(email_hash=contact.email_hash).exists()


@pytest.mark.django_db
def test_bounce_of_an_erased_contacts_delivery_is_counted_without_the_person(
    client, aws, signing_key
):
    delivery = DeliveryFactory(contact=None, message_id=OUR_MESSAGE_ID)
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce("gone@example.com"))

    response = post(client, message)

    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.contact, event.campaign_id) == (None, delivery.campaign_id)
    assert event.kind == EventKind.BOUNCE
    assert Suppression.objects.get().email_hash == email_hash("gone@example.com")


# --- only for mail the hub sent ------------------------------------------------------------


@pytest.mark.django_db
def test_complaint_for_an_address_never_mailed_is_recorded_as_ignored_and_suppresses_nothing(
    client, aws, signing_key
):
    contact = ContactFactory(email="erika@example.com")
    DeliveryFactory(message_id=OUR_MESSAGE_ID)  # a mail to someone else
    ses_message = ses_complaint(contact.email, "not-ours@elsewhere.example")
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    response = post(client, message)

    assert response.status_code == 200
    assert response.json()["ignored"] == 1
    assert not Event.objects.exists()
    assert not Suppression.objects.exists()
    ignored = IgnoredFeedback.objects.get()
    assert ignored.reason == IgnoredFeedbackReason.NOT_SENT_BY_HUB
    assert (ignored.kind, ignored.topic_arn) == ("complaint", TOPIC)
    assert ignored.email_hash == email_hash("erika@example.com")
    assert ignored.notification_id == message["MessageId"]
    stored = IgnoredFeedback.objects.values().get()
    assert not any("erika" in str(value) for value in stored.values())


@pytest.mark.django_db
def test_bounce_without_message_id_is_matched_by_a_recent_delivery(client, aws, signing_key):
    contact = ContactFactory()
    delivery = DeliveryFactory(contact=contact, sent_at=BOUNCED_AT - datetime.timedelta(days=3))
    ses_message = without_message_id(ses_bounce(contact.email))
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    response = post(client, message)

    assert response.status_code == 200
    event = Event.objects.get()
    assert (event.contact, event.kind) == (contact, EventKind.BOUNCE)
    assert event.data["matched_by"] == "recent_mail"
    assert Suppression.objects.get().email_hash == contact.email_hash
    assert not IgnoredFeedback.objects.exists()
    # Which of the address's mails bounced is not known: no delivery is marked.
    assert Delivery.objects.get(pk=delivery.pk).state == "sent"


@pytest.mark.django_db
def test_bounce_without_message_id_is_tied_to_the_delivery_ses_accepted_it_as(
    client, aws, signing_key
):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, sent_at=BOUNCED_AT - datetime.timedelta(days=2))
    delivery = DeliveryFactory(
        contact=contact, provider_id=SES_MESSAGE_ID, sent_at=BOUNCED_AT - datetime.timedelta(days=1)
    )
    ses_message = without_message_id(ses_bounce(contact.email))
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    post(client, message)

    assert Event.objects.get().campaign_id == delivery.campaign_id
    assert Delivery.objects.get(pk=delivery.pk).state == "bounced"


@pytest.mark.django_db
def test_bounce_long_after_the_last_delivery_to_the_address_is_ignored(
    client, aws, signing_key, settings
):
    settings.HUB_SES_FEEDBACK_WINDOW_DAYS = 14
    contact = ContactFactory()
    DeliveryFactory(contact=contact, sent_at=BOUNCED_AT - datetime.timedelta(days=15))
    ses_message = without_message_id(ses_bounce(contact.email))
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    response = post(client, message)

    assert response.json()["ignored"] == 1
    assert not Suppression.objects.exists()
    assert IgnoredFeedback.objects.get().reason == IgnoredFeedbackReason.NOT_SENT_BY_HUB


@pytest.mark.django_db
def test_hard_bounce_of_a_double_opt_in_confirmation_suppresses_the_address(
    client, aws, signing_key, newsletter_sink, django_capture_on_commit_callbacks
):
    from campaigns.services.consent import consent_opt_in

    contact = ContactFactory(email="typo@example.com", consent="none")
    with django_capture_on_commit_callbacks(execute=True):
        consent_opt_in(contact=contact, source="web-form", text_version="v1")
    [mail] = newsletter_sink.received
    sent_id = mail.message["Message-ID"].strip().strip("<>")
    ses_message = json.loads(ses_bounce(contact.email))
    ses_message["mail"]["headers"][1]["value"] = f"<{sent_id}>"
    ses_message["mail"]["commonHeaders"]["messageId"] = f"<{sent_id}>"
    message = sns_notification(signing_key, aws.url + CERT_PATH, json.dumps(ses_message))

    response = post(client, message)

    assert response.status_code == 200
    assert ConsentRecord.objects.get(kind=ConsentKind.OPT_IN).message_id == sent_id
    assert Event.objects.get().data["matched_by"] == "message_id"
    assert Suppression.objects.get().reason == SuppressionReason.HARD_BOUNCE


@pytest.mark.django_db
def test_same_ignored_notification_twice_is_recorded_once(client, aws, signing_key):
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_bounce("nobody@example.com"))
    post(client, message)

    response = post(client, message)

    assert response.json()["duplicates"] == 1
    assert IgnoredFeedback.objects.count() == 1


@pytest.mark.django_db
def test_delivery_notification_records_nothing(client, aws, signing_key):
    ses_message = json.dumps({"notificationType": "Delivery", "mail": {"messageId": "x"}})
    message = sns_notification(signing_key, aws.url + CERT_PATH, ses_message)

    response = post(client, message)

    assert response.status_code == 200
    assert not Event.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("version", ["1", "2"])
def test_signature_versions_1_and_2_both_verify(client, aws, signing_key, version):
    contact = ContactFactory()
    DeliveryFactory(contact=contact, message_id=OUR_MESSAGE_ID)
    message = sns_notification(
        signing_key, aws.url + CERT_PATH, ses_bounce(contact.email), version=version
    )

    response = post(client, message)

    assert response.status_code == 200
    assert Event.objects.filter(contact=contact).exists()


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

"""SES bounces and complaints through SNS: what the hub records, only for mail it sent."""

from __future__ import annotations

import datetime
import json

import pytest

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
from tests.channels.newsletter.sns.stand_in import (
    BOUNCED_AT,
    CERT_PATH,
    OUR_MESSAGE_ID,
    SES_MESSAGE_ID,
    TOPIC,
    post,
    ses_bounce,
    ses_complaint,
    sns_notification,
    without_message_id,
)
from tests.factories import ContactFactory, DeliveryFactory

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

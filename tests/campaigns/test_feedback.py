"""Delivery feedback handed over through the channel contract is recorded like any event."""

import datetime

import pytest
from django.utils import timezone

from campaigns.models import Event, IgnoredFeedback, JourneyRule, PhaseChange, Suppression
from channels.base import DeliveryFeedback, FeedbackNotice
from channels.registry import report_feedback
from tests.factories import ContactFactory, DeliveryFactory

pytestmark = pytest.mark.django_db

MESSAGE_ID = "17.abc@news.acme.example"


def bounce(email: str, *, permanent: bool = True) -> DeliveryFeedback:
    return DeliveryFeedback(
        channel="newsletter",
        kind="bounce",
        permanent=permanent,
        email=email,
        occurred_at=timezone.now() - datetime.timedelta(minutes=5),
        provider_message_id="ses-0001",
        message_id=MESSAGE_ID,
        detail="Permanent/General",
    )


def notice(index: int = 0, *, origin_allowed: bool = True) -> FeedbackNotice:
    return FeedbackNotice(
        source="ses",
        report_id="sns-message-1",
        index=index,
        origin="arn:aws:sns:eu-central-1:123456789012:ses-feedback",
        origin_allowed=origin_allowed,
    )


@pytest.fixture
def bounced_rule():
    return JourneyRule.objects.create(
        name="Bounced: back to awareness",
        phase="awareness",
        conditions={
            "op": "and",
            "rules": [{"field": "event", "operator": "has", "value": {"kind": "bounce"}}],
        },
        sort_order=0,
    )


def test_a_bounce_moves_its_contact_by_the_journey_rules(
    bounced_rule, django_capture_on_commit_callbacks
):
    contact = ContactFactory(email="erika@example.com", phase="consideration")
    DeliveryFactory(contact=contact, message_id=MESSAGE_ID)

    with django_capture_on_commit_callbacks(execute=True):
        result = report_feedback(notice=notice(), feedback=bounce(contact.email))

    assert result.recorded
    contact.refresh_from_db()
    assert contact.phase == "awareness"
    assert PhaseChange.objects.get(contact=contact).rule == bounced_rule


def test_the_same_notice_twice_is_one_event_and_one_journey_run(
    bounced_rule, django_capture_on_commit_callbacks
):
    contact = ContactFactory(email="erika@example.com", phase="consideration")
    DeliveryFactory(contact=contact, message_id=MESSAGE_ID)
    report_feedback(notice=notice(), feedback=bounce(contact.email))

    with django_capture_on_commit_callbacks() as callbacks:
        again = report_feedback(notice=notice(), feedback=bounce(contact.email))

    assert again.duplicate
    assert Event.objects.count() == 1
    assert callbacks == []


def test_feedback_from_an_origin_not_allowed_is_kept_aside_and_changes_nothing(bounced_rule):
    contact = ContactFactory(email="erika@example.com", phase="consideration")
    DeliveryFactory(contact=contact, message_id=MESSAGE_ID)

    result = report_feedback(notice=notice(origin_allowed=False), feedback=bounce(contact.email))

    assert result.ignored
    assert not Event.objects.exists()
    assert not Suppression.objects.exists()
    assert IgnoredFeedback.objects.get().reason == "topic_not_allowed"

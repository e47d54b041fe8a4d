"""The endpoint Amazon SNS posts SES bounces and complaints to (POST /hooks/ses/).

Mounted only where SES sends the mail (``hub.urls``). SNS retries a delivery
that does not answer 2xx, so the answers mean something: 403 for a message the hub does not
believe or whose topic is not one of ``HUB_SES_SNS_TOPIC_ARNS`` (never retried into
success), 400 for one it cannot read, 502 when AWS itself could not be reached (worth
retrying), 200 when done or already done.

Each recipient of a notification is handed to ``channels.registry.report_feedback`` as the
contract's ``DeliveryFeedback``; this package never imports the app that records it.
"""

from __future__ import annotations

import json
import logging

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from channels.base import DeliveryFeedback, FeedbackNotice
from channels.exceptions import SESNotificationError, SNSUnreachable, SNSVerificationError
from channels.registry import report_feedback

from . import NewsletterChannel
from .sns import (
    FEEDBACK_SOURCE,
    confirm_subscription,
    parse_ses_notification,
    topic_allowed,
    verify_sns_message,
)

logger = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024
PROBLEM_JSON = "application/problem+json"
TITLES = {
    400: "Bad Request",
    403: "Forbidden",
    413: "Content Too Large",
    502: "Bad Gateway",
}


def _problem(status: int, detail: str) -> JsonResponse:
    return JsonResponse(
        {"type": "about:blank", "title": TITLES[status], "status": status, "detail": detail},
        status=status,
        content_type=PROBLEM_JSON,
    )


def _declared_length(request: HttpRequest) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


@csrf_exempt
@require_POST
def ses_notification_view(request: HttpRequest) -> HttpResponse:
    """Verify an SNS message, then confirm the subscription or record the SES feedback."""
    if _declared_length(request) > MAX_BODY_BYTES:
        return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    body = request.body
    if len(body) > MAX_BODY_BYTES:
        return _problem(413, f"The body is larger than {MAX_BODY_BYTES} bytes.")
    # SNS sends JSON as text/plain, so the content type says nothing.
    try:
        message = json.loads(body)
    except (UnicodeDecodeError, ValueError) as exc:
        return _problem(400, f"The body is not JSON: {exc}")
    if not isinstance(message, dict):
        return _problem(400, "The body is not a JSON object.")

    try:
        verify_sns_message(message)
    except SNSUnreachable as exc:
        logger.warning("sns.unreachable reason=%r", str(exc))
        return _problem(502, str(exc))
    except SNSVerificationError as exc:
        logger.warning("sns.refused reason=%r message_id=%r", str(exc), message.get("MessageId"))
        return _problem(403, str(exc))

    kind = message["Type"]
    topic = message["TopicArn"]
    if not topic_allowed(topic):
        return _refuse_topic(message)
    if kind == "SubscriptionConfirmation":
        return _confirm(message)
    if kind == "UnsubscribeConfirmation":
        logger.info("sns.unsubscribed topic=%s message_id=%s", topic, message["MessageId"])
        return JsonResponse({"status": "ok"})

    try:
        feedback = parse_ses_notification(message["Message"], channel=NewsletterChannel.identifier)
    except SESNotificationError as exc:
        logger.warning("ses.unreadable message_id=%s reason=%r", message["MessageId"], str(exc))
        return _problem(400, str(exc))
    results = [
        report_feedback(notice=_notice(message, index), feedback=item)
        for index, item in enumerate(feedback)
    ]
    recorded = sum(result.recorded for result in results)
    duplicates = sum(result.duplicate for result in results)
    ignored = sum(result.ignored for result in results)
    logger.info(
        "ses.notification message_id=%s topic=%s recipients=%s recorded=%s duplicates=%s "
        "ignored=%s",
        message["MessageId"],
        topic,
        len(results),
        recorded,
        duplicates,
        ignored,
    )
    return JsonResponse(
        {"status": "ok", "recorded": recorded, "duplicates": duplicates, "ignored": ignored}
    )


def _notice(message: dict, index: int, *, origin_allowed: bool = True) -> FeedbackNotice:
    return FeedbackNotice(
        source=FEEDBACK_SOURCE,
        report_id=message["MessageId"],
        index=index,
        origin=message["TopicArn"],
        origin_allowed=origin_allowed,
    )


def _refuse_topic(message: dict) -> HttpResponse:
    """403 for a genuine SNS message from a topic not ours; its feedback is kept as ignored.

    Kept so that an operator sees a topic missing from HUB_SES_SNS_TOPIC_ARNS (or someone
    else's topic subscribed to the hub) under the ignored bounces, without acting on it.
    """
    topic = message["TopicArn"]
    detail = f"Topic {topic} is not one of HUB_SES_SNS_TOPIC_ARNS."
    logger.warning(
        "sns.topic_refused topic=%s type=%s message_id=%s",
        topic,
        message["Type"],
        message["MessageId"],
    )
    if message["Type"] == "Notification":
        feedback: list[DeliveryFeedback | None]
        try:
            feedback = list(
                parse_ses_notification(message["Message"], channel=NewsletterChannel.identifier)
            ) or [None]
        except SESNotificationError:
            feedback = [None]
        for index, item in enumerate(feedback):
            report_feedback(notice=_notice(message, index, origin_allowed=False), feedback=item)
    return _problem(403, detail)


def _confirm(message: dict) -> HttpResponse:
    try:
        confirm_subscription(message)
    except SNSUnreachable as exc:
        logger.warning("sns.confirmation_failed topic=%s reason=%r", message["TopicArn"], str(exc))
        return _problem(502, str(exc))
    except SNSVerificationError as exc:
        logger.warning("sns.confirmation_refused topic=%s reason=%r", message["TopicArn"], str(exc))
        return _problem(403, str(exc))
    logger.info("sns.subscription_confirmed topic=%s", message["TopicArn"])
    return JsonResponse({"status": "confirmed"})

"""Every write of channel integration: webhook events, their delivery, retries and resends.

Delivery policy (what the admin and the receivers can rely on):

- An event creates one delivery per active endpoint subscribed to it, in the transaction
  that changed the content; the first attempt is queued when that transaction commits, so a
  rolled-back change sends nothing.
- A failed attempt (no connection, timeout, any status outside 2xx, redirects included) is
  retried after 1 min, 5 min, 30 min, 2 h, 5 h, 10 h and 6 h: eight attempts over about
  24 hours. The beat task ``retry_due_webhooks`` picks up due retries every minute.
- When the last attempt fails the delivery is abandoned. If the endpoint has not answered
  any delivery successfully since that delivery was created (it has been failing for the
  whole 24 hours), the endpoint is disabled: it is shown as "Disabled" with the reason,
  receives nothing more, and its other open deliveries are abandoned. Ticking "active"
  again re-enables it; abandoned deliveries can be re-sent by hand.
- A receiver that answers some deliveries and fails others stays enabled.
- An endpoint switched off by hand ("active" unticked) pauses: new events are not recorded
  for it, open deliveries wait, and continue on their schedule when it is switched back on.
- A delivery whose queued task was lost (broker down at commit) is due all the same, so the
  retry scan sends it within a minute.
"""

from __future__ import annotations

import datetime
import logging
from typing import Any
from urllib.parse import urlencode

import orjson
from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from wagtail.log_actions import log

from . import webhooks
from .exceptions import EndpointInactive
from .models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_webhook_secret,
)

logger = logging.getLogger(__name__)

# The wait before each retry; the first attempt is immediate. Sum: 23 h 56 min.
RETRY_DELAYS = (
    datetime.timedelta(minutes=1),
    datetime.timedelta(minutes=5),
    datetime.timedelta(minutes=30),
    datetime.timedelta(hours=2),
    datetime.timedelta(hours=5),
    datetime.timedelta(hours=10),
    datetime.timedelta(hours=6),
)
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
OPEN_STATUSES = (WebhookDelivery.Status.PENDING, WebhookDelivery.Status.FAILED)


def _absolute(path: str) -> str:
    return settings.WAGTAILADMIN_BASE_URL.rstrip("/") + path


def _event_data(event: WebhookEvent, instance: Any) -> dict[str, Any]:
    """The ids of the content item and where a receiver reads its current state.

    A feed (``feed.*`` events) describes itself: ``instance.webhook_data()`` names the feed
    and its new files, never the secret URL.
    """
    if event.startswith("feed."):
        return instance.webhook_data()
    locale = instance.locale.language_code
    data: dict[str, Any] = {
        "id": instance.pk,
        "locale": locale,
        "translation_key": str(instance.translation_key),
    }
    if event.startswith("product."):
        data["sku"] = instance.sku
        path = reverse("api-v1:get_product", kwargs={"sku": instance.sku})
        data["url"] = _absolute(f"{path}?{urlencode({'locale': locale})}")
        return data
    if instance.product_id:
        data["product_sku"] = instance.product.sku
    data["url"] = _absolute(reverse("api-v1:get_message", kwargs={"message_id": instance.pk}))
    return data


@transaction.atomic
def webhook_event_record(*, event: str, instance: Any) -> list[WebhookDelivery]:
    """Record ``event`` about ``instance`` for every active endpoint that subscribed to it.

    The deliveries are rows of the current transaction and are sent after it commits.
    A "published" event about an item that is not live (publishing scheduled for later) is
    not an event yet: Wagtail signals it again when the item goes live.
    """
    event = WebhookEvent(event)
    if event.endswith(".published") and not instance.live:
        return []
    endpoints = [
        endpoint
        for endpoint in WebhookEndpoint.objects.filter(is_active=True)
        if endpoint.subscribes_to(event)
    ]
    if not endpoints:
        return []
    now = timezone.now()
    payload = {
        "type": event.value,
        "timestamp": now.isoformat(),
        "data": _event_data(event, instance),
    }
    deliveries = [
        WebhookDelivery.objects.create(
            endpoint=endpoint, event=event, payload=payload, next_attempt_at=now
        )
        for endpoint in endpoints
    ]
    for delivery in deliveries:
        logger.info(
            "webhook.recorded delivery=%s endpoint=%s event=%s",
            delivery.message_id,
            delivery.endpoint_id,
            event.value,
        )
        _enqueue_on_commit(delivery.pk)
    return deliveries


def _enqueue_on_commit(delivery_id: int) -> None:
    from .tasks import deliver_webhook

    transaction.on_commit(lambda: deliver_webhook.delay(delivery_id))


def _lease() -> datetime.timedelta:
    # Longer than one attempt can take, so a second worker leaves it alone; if this worker
    # dies mid-attempt the delivery is due again once the lease runs out.
    connect, read = settings.HUB_WEBHOOKS_TIMEOUT
    return datetime.timedelta(seconds=connect + read + 60)


def webhook_deliver(*, delivery_id: int) -> WebhookAttempt | None:
    """Make the next attempt of a delivery if it is due; return it, or None if not due.

    Safe to run twice and concurrently: the delivery row is locked and leased before the
    request, so only one attempt is made, and a delivery that succeeded, was abandoned or is
    not yet due is left alone. The HTTP request runs outside any transaction (no row lock or
    connection is held while a receiver takes its time), between two short transactions.
    """
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        now = timezone.now()
        if (
            delivery is None
            or delivery.status not in OPEN_STATUSES
            or (delivery.next_attempt_at and delivery.next_attempt_at > now)
        ):
            return None
        endpoint = delivery.endpoint
        if not endpoint.is_active:
            # Paused: the retry scan picks it up again if the endpoint is re-activated.
            logger.info(
                "webhook.skipped delivery=%s endpoint=%s reason=endpoint_inactive",
                delivery.message_id,
                endpoint.pk,
            )
            return None
        delivery.next_attempt_at = now + _lease()
        delivery.save(update_fields=["next_attempt_at"])

    body = orjson.dumps(delivery.payload)
    headers = webhooks.signed_headers(secret=endpoint.secret, msg_id=delivery.message_id, body=body)
    started_at = timezone.now()
    result = webhooks.send(url=endpoint.url, body=body, headers=headers)
    return _record_attempt(delivery_id=delivery.pk, started_at=started_at, result=result)


@transaction.atomic
def _record_attempt(
    *, delivery_id: int, started_at: datetime.datetime, result: webhooks.SendResult
) -> WebhookAttempt:
    delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=delivery.endpoint_id)
    attempt = WebhookAttempt.objects.create(
        delivery=delivery,
        started_at=started_at,
        succeeded=result.ok,
        status_code=result.status_code,
        latency_ms=result.latency_ms,
        response_excerpt=result.response_excerpt,
        error=result.error,
    )
    now = timezone.now()
    delivery.attempt_count += 1
    delivery.last_attempt_at = started_at
    delivery.last_status_code = result.status_code
    if result.ok:
        delivery.status = WebhookDelivery.Status.SUCCEEDED
        delivery.next_attempt_at = None
        endpoint.consecutive_failures = 0
        endpoint.last_success_at = now
    else:
        endpoint.consecutive_failures += 1
        if delivery.attempt_count < MAX_ATTEMPTS:
            delivery.status = WebhookDelivery.Status.FAILED
            delivery.next_attempt_at = now + RETRY_DELAYS[delivery.attempt_count - 1]
        else:
            delivery.status = WebhookDelivery.Status.ABANDONED
            delivery.next_attempt_at = None
    delivery.save()
    endpoint.save(update_fields=["consecutive_failures", "last_success_at"])
    logger.info(
        "webhook.attempt delivery=%s endpoint=%s attempt=%s status_code=%s latency_ms=%s "
        "outcome=%s next_attempt_at=%s error=%r",
        delivery.message_id,
        endpoint.pk,
        delivery.attempt_count,
        result.status_code,
        result.latency_ms,
        delivery.status,
        delivery.next_attempt_at.isoformat() if delivery.next_attempt_at else "",
        result.error,
    )
    if delivery.status == WebhookDelivery.Status.ABANDONED and endpoint.is_active:
        failing_throughout = (
            endpoint.last_success_at is None or endpoint.last_success_at < delivery.created_at
        )
        if failing_throughout:
            _disable(
                endpoint=endpoint,
                reason=(
                    f"Every attempt failed from {delivery.created_at:%Y-%m-%d %H:%M} UTC "
                    f"to {now:%Y-%m-%d %H:%M} UTC (last: "
                    f"{result.error or f'HTTP {result.status_code}'})."
                )[:300],
            )
    return attempt


def _disable(*, endpoint: WebhookEndpoint, reason: str) -> None:
    endpoint.is_active = False
    endpoint.disabled_at = timezone.now()
    endpoint.disabled_reason = reason
    endpoint.save(update_fields=["is_active", "disabled_at", "disabled_reason"])
    abandoned = endpoint.deliveries.filter(status__in=OPEN_STATUSES).update(
        status=WebhookDelivery.Status.ABANDONED, next_attempt_at=None
    )
    logger.warning(
        "webhook.endpoint_disabled endpoint=%s abandoned_deliveries=%s reason=%r",
        endpoint.pk,
        abandoned,
        reason,
    )
    log(instance=endpoint, action="wagtail.edit", data={"disabled_reason": reason})


@transaction.atomic
def webhook_retry_due(*, limit: int = 500) -> int:
    """Queue the deliveries whose next attempt is due; return how many were queued."""
    due = list(
        WebhookDelivery.objects.filter(
            status__in=OPEN_STATUSES,
            next_attempt_at__lte=timezone.now(),
            endpoint__is_active=True,
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    for delivery_id in due:
        _enqueue_on_commit(delivery_id)
    if due:
        logger.info("webhook.retry_due queued=%s", len(due))
    return len(due)


@transaction.atomic
def webhook_delivery_resend(*, delivery: WebhookDelivery, user) -> WebhookDelivery:
    """Send a delivery again now, whatever its status; its attempts so far are kept.

    The message id stays the same, so a receiver that already processed it can tell. If
    this attempt fails and the delivery's retries are used up, it is abandoned again.
    """
    delivery = (
        WebhookDelivery.objects.select_for_update().select_related("endpoint").get(pk=delivery.pk)
    )
    if not delivery.endpoint.is_active:
        raise EndpointInactive(
            f"The endpoint {delivery.endpoint} is not active; re-enable it first."
        )
    delivery.status = WebhookDelivery.Status.PENDING
    delivery.next_attempt_at = timezone.now()
    delivery.save(update_fields=["status", "next_attempt_at"])
    logger.info(
        "webhook.resend delivery=%s endpoint=%s user=%s",
        delivery.message_id,
        delivery.endpoint_id,
        getattr(user, "pk", None),
    )
    _enqueue_on_commit(delivery.pk)
    return delivery


@transaction.atomic
def webhook_endpoint_rotate_secret(*, endpoint: WebhookEndpoint, user) -> str:
    """Give the endpoint a new signing secret and return it; the old one stops at once."""
    endpoint.secret = new_webhook_secret()
    endpoint.save(update_fields=["secret"])
    log(instance=endpoint, action="wagtail.edit", user=user, content_changed=True)
    logger.info("webhook.secret_rotated endpoint=%s user=%s", endpoint.pk, user.pk)
    return endpoint.secret

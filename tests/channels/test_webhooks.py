"""Outgoing webhooks: what a receiving system gets when content goes live or offline."""

import datetime

import pytest
import time_machine
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from standardwebhooks.webhooks import WebhookVerificationError

from channels.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from channels.services import MAX_ATTEMPTS, RETRY_DELAYS
from channels.tasks import deliver_webhook, retry_due_webhooks
from content.models import Product
from content.tasks import publish_scheduled_content
from tests.channels.conftest import Receiver, tls_context
from tests.factories import AudienceMessageFactory, ProductFactory

pytestmark = pytest.mark.django_db


def run_retries(capture, at):
    with time_machine.travel(at, tick=False), capture(execute=True):
        retry_due_webhooks.delay()


# --- the trigger ---------------------------------------------------------------------------


def test_publishing_a_product_sends_a_signed_product_published(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    product = ProductFactory(sku="HOOK-1")

    with django_capture_on_commit_callbacks(execute=True):
        live = publish(product)

    assert receiver.paths() == ["/hooks"]
    request = receiver.requests[0]
    payload = request.verified(endpoint.secret)
    assert payload["type"] == "product.published"
    assert payload["data"] == {
        "id": live.pk,
        "sku": "HOOK-1",
        "locale": "de",
        "translation_key": str(live.translation_key),
        "url": "http://testserver/api/v1/products/HOOK-1?locale=de",
    }
    assert request.headers["webhook-id"].startswith("msg_")
    assert request.headers["content-type"] == "application/json"
    delivery = WebhookDelivery.objects.get(endpoint=endpoint)
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert delivery.message_id == request.headers["webhook-id"]


def test_the_signature_does_not_verify_with_another_secret(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    other = WebhookEndpoint(name="x", url="http://x").secret
    with pytest.raises(WebhookVerificationError):
        receiver.requests[0].verified(other)


def test_unsubscribed_and_inactive_endpoints_receive_nothing(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(
        name="Messages only", url=f"{receiver.url}/messages", events=["message.published"]
    )
    WebhookEndpoint.objects.create(
        name="Switched off",
        url=f"{receiver.url}/off",
        events=["product.published"],
        is_active=False,
    )

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    assert receiver.paths() == ["/hooks"]
    assert WebhookDelivery.objects.count() == 1


def test_withdrawing_a_product_sends_product_unpublished(
    endpoint, receiver, publish, client, marketing_approver, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        live = publish(ProductFactory(sku="HOOK-2"))
    client.force_login(marketing_approver)

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("wagtailsnippets_content_product:unpublish", args=(live.pk,)))

    assert not Product.objects.get(pk=live.pk).live
    payloads = [request.verified(endpoint.secret) for request in receiver.requests]
    assert [p["type"] for p in payloads] == ["product.published", "product.unpublished"]
    assert payloads[1]["data"]["sku"] == "HOOK-2"


def test_publishing_a_message_sends_message_published_with_a_link_to_the_message(
    receiver, allow_private_networks, publish, django_capture_on_commit_callbacks
):
    endpoint = WebhookEndpoint.objects.create(
        name="Newsletter", url=receiver.url, events=["message.published"]
    )
    message = AudienceMessageFactory(role="buyer")

    with django_capture_on_commit_callbacks(execute=True):
        live = publish(message)

    payload = receiver.requests[0].verified(endpoint.secret)
    assert payload["type"] == "message.published"
    assert payload["data"]["id"] == live.pk
    assert payload["data"]["locale"] == "de"
    assert payload["data"]["url"] == f"http://testserver/api/v1/messages/{live.pk}"


def test_a_rolled_back_publication_sends_nothing(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    product = ProductFactory()

    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(RuntimeError),
        transaction.atomic(),
    ):
        publish(product)
        raise RuntimeError("something after publishing failed")

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_scheduled_publication_is_announced_when_it_goes_live(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    go_live = timezone.now() + datetime.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory(go_live_at=go_live))
    assert receiver.requests == []

    with time_machine.travel(go_live + datetime.timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            publish_scheduled_content.delay()
        payload = receiver.requests[0].verified(endpoint.secret)

    assert payload["type"] == "product.published"


def test_expiry_is_announced_as_product_unpublished(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    expire = timezone.now() + datetime.timedelta(days=3)
    with django_capture_on_commit_callbacks(execute=True):
        live = publish(ProductFactory(sku="EXPIRES-1", expire_at=expire))

    with time_machine.travel(expire + datetime.timedelta(minutes=1), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            publish_scheduled_content.delay()
        payload = receiver.requests[-1].verified(endpoint.secret)

    assert not Product.objects.get(pk=live.pk).live
    assert len(receiver.requests) == 2
    assert payload["type"] == "product.unpublished"
    assert payload["data"]["sku"] == "EXPIRES-1"


def test_running_the_delivery_task_again_sends_once(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())
    delivery = WebhookDelivery.objects.get()

    deliver_webhook.delay(delivery.pk)
    deliver_webhook.delay(delivery.pk)

    assert len(receiver.requests) == 1
    assert delivery.attempts.count() == 1


# --- failures and retries ------------------------------------------------------------------


def test_a_failed_attempt_is_retried_with_backoff_and_then_succeeds(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    receiver.answer(500, 200)
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.FAILED
    assert delivery.next_attempt_at == start + RETRY_DELAYS[0]
    first = delivery.attempts.get()
    assert (first.status_code, first.response_excerpt, first.succeeded) == (
        500,
        "answer 500",
        False,
    )

    run_retries(django_capture_on_commit_callbacks, start + datetime.timedelta(seconds=30))
    assert len(receiver.requests) == 1  # not due yet

    run_retries(django_capture_on_commit_callbacks, start + RETRY_DELAYS[0])

    delivery.refresh_from_db()
    assert delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.status_code for a in delivery.attempts.all()] == [500, 200]
    ids = {request.headers["webhook-id"] for request in receiver.requests}
    assert ids == {delivery.message_id}  # the same message, so receivers can de-duplicate
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).consecutive_failures == 0


def test_exhausted_retries_abandon_the_delivery_and_disable_the_endpoint(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    receiver.default = 503
    at = timezone.now()
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    for delay in RETRY_DELAYS:
        at += delay
        run_retries(django_capture_on_commit_callbacks, at)

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == WebhookDelivery.Status.ABANDONED
    assert len(receiver.requests) == MAX_ATTEMPTS == 8
    attempts = list(delivery.attempts.all())
    span = attempts[-1].started_at - attempts[0].started_at
    assert datetime.timedelta(hours=23) < span <= datetime.timedelta(hours=24)
    endpoint.refresh_from_db()
    assert not endpoint.is_active
    assert endpoint.disabled_at is not None
    assert "HTTP 503" in endpoint.disabled_reason


def test_an_endpoint_switched_off_by_hand_resumes_where_it_stopped(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    receiver.answer(500)
    at = timezone.now()
    with time_machine.travel(at, tick=False), django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=False)

    run_retries(django_capture_on_commit_callbacks, at + RETRY_DELAYS[0])
    assert len(receiver.requests) == 1
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(is_active=True)
    run_retries(django_capture_on_commit_callbacks, at + RETRY_DELAYS[0])

    assert len(receiver.requests) == 2
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_a_disabled_endpoint_gets_no_further_events(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False, disabled_at=timezone.now(), disabled_reason="failing"
    )

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    assert receiver.requests == []


def test_a_redirect_is_not_followed_and_counts_as_a_failure(
    endpoint, receiver, publish, django_capture_on_commit_callbacks
):
    receiver.answer(("redirect", f"{receiver.url}/elsewhere"))

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    assert receiver.paths() == ["/hooks"]
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code == 302
    assert not attempt.succeeded
    assert "/elsewhere not followed" in attempt.error
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_a_receiver_that_does_not_answer_times_out(
    endpoint, receiver, publish, settings, django_capture_on_commit_callbacks
):
    settings.HUB_WEBHOOKS_TIMEOUT = (2.0, 0.3)
    receiver.answer("hang")

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error == "Timed out waiting 0.3 s for the response."
    assert 300 <= attempt.latency_ms < 2000
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.FAILED


def test_a_closed_port_is_recorded_as_a_connection_failure(
    allow_private_networks, publish, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.create(
        name="Nobody home", url="http://127.0.0.1:9/hooks", events=["product.published"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.error.startswith("Could not connect")


# --- HTTPS ---------------------------------------------------------------------------------


def https_endpoint(receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        name="Webshop (TLS)", url=f"{receiver.url}/hooks", events=["product.published"]
    )


def test_an_https_receiver_with_a_trusted_certificate_gets_a_verifiable_webhook(
    https_receiver,
    trust_the_authority,
    allow_private_networks,
    publish,
    django_capture_on_commit_callbacks,
):
    endpoint = https_endpoint(https_receiver)

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory(sku="TLS-1"))

    assert https_receiver.url.startswith("https://localhost:")
    assert https_receiver.requests[0].verified(endpoint.secret)["data"]["sku"] == "TLS-1"
    assert WebhookDelivery.objects.get().status == WebhookDelivery.Status.SUCCEEDED


def test_an_https_receiver_with_an_untrusted_certificate_gets_nothing(
    https_receiver, allow_private_networks, publish, django_capture_on_commit_callbacks
):
    https_endpoint(https_receiver)

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    assert https_receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.error.startswith("TLS error")
    assert "CERTIFICATE_VERIFY_FAILED" in attempt.error


def test_a_certificate_for_another_host_is_refused(
    certificate_authority,
    trust_the_authority,
    allow_private_networks,
    publish,
    django_capture_on_commit_callbacks,
):
    # The hub connects to the checked address but still verifies the name in the URL.
    tls = tls_context(certificate_authority, "webshop.example.com")
    with Receiver(tls=tls, host="localhost") as impostor:
        https_endpoint(impostor)

        with django_capture_on_commit_callbacks(execute=True):
            publish(ProductFactory())

    assert impostor.requests == []
    assert "TLS error" in WebhookAttempt.objects.get().error


# --- the SSRF guard ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("http://127.0.0.1:{port}/hooks", "a loopback address"),
        ("http://localhost:{port}/hooks", "a loopback address"),
        ("http://[::1]:{port}/hooks", "a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/hooks", "a loopback address"),
        ("http://0.0.0.0:{port}/hooks", "an unspecified address"),
        ("http://10.1.2.3/hooks", "a private network address"),
        ("http://192.168.0.10/hooks", "a private network address"),
        ("http://169.254.169.254/latest/meta-data/", "a link-local address"),
        ("http://100.64.0.1/hooks", "not a public address"),
        ("http://[64:ff9b::7f00:1]/hooks", "a loopback address"),  # NAT64 of 127.0.0.1
        ("http://[2002:a00:1::]/hooks", "a private network address"),  # 6to4 of 10.0.0.1
        ("http://[fd00::1]/hooks", "a private network address"),
    ],
)
def test_private_destinations_are_refused_without_connecting(
    receiver, publish, django_capture_on_commit_callbacks, url, reason
):
    WebhookEndpoint.objects.create(
        name="Internal", url=url.format(port=receiver.port), events=["product.published"]
    )

    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory())

    assert receiver.requests == []
    attempt = WebhookAttempt.objects.get()
    assert attempt.status_code is None
    assert attempt.latency_ms is None  # refused before any connection
    assert attempt.error.startswith("Refused:")
    assert reason in attempt.error


def test_a_public_address_passes_the_guard():
    from channels.webhooks import check_destination

    check_destination("https://93.184.215.14/hooks")

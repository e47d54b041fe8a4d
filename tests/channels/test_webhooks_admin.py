"""Webhooks in the admin: endpoints, the delivery log, re-sending and who may do what."""

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from channels.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


def endpoint_post(**fields):
    data = {
        "name": "Webshop",
        "url": "https://shop.example.com/hooks",
        "events": ["product.published"],
        "is_active": "on",
    }
    data.update(fields)
    return data


@pytest.fixture
def delivered(endpoint, receiver, publish, django_capture_on_commit_callbacks):
    """A product published to the endpoint; the receiver answered 500 (a failed delivery)."""
    receiver.answer(500)
    with django_capture_on_commit_callbacks(execute=True):
        publish(ProductFactory(sku="ADMIN-1"))
    return WebhookDelivery.objects.get()


def test_integrator_creates_an_endpoint_and_sees_its_secret(
    client, integrator, receiver, allow_private_networks
):
    client.force_login(integrator)

    response = client.post(
        reverse("webhookendpoint:add"), endpoint_post(url=f"{receiver.url}/hooks"), follow=True
    )

    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["product.published"]
    assert endpoint.secret.startswith("whsec_")
    assert response.redirect_chain[-1][0] == reverse("webhookendpoint:edit", args=(endpoint.pk,))
    assert endpoint.secret in response.content.decode()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://127.0.0.1:8000/hooks", "a loopback address"),
        ("http://localhost/hooks", "a loopback address"),
        ("http://10.0.0.5/hooks", "a private network address"),
        ("http://169.254.169.254/latest", "a link-local address"),
        ("http://[::1]/hooks", "a loopback address"),
        ("ftp://93.184.215.14/hooks", "Use an http:// or https:// URL."),
    ],
)
def test_the_endpoint_form_refuses_urls_the_hub_would_not_send_to(client, integrator, url, message):
    client.force_login(integrator)

    response = client.post(reverse("webhookendpoint:add"), endpoint_post(url=url))

    assert response.status_code == 200
    assert message in str(response.context["form"].errors["url"])
    assert not WebhookEndpoint.objects.exists()


def test_the_endpoint_form_needs_an_event(client, integrator):
    client.force_login(integrator)

    response = client.post(reverse("webhookendpoint:add"), endpoint_post(events=[]))

    assert "events" in response.context["form"].errors
    assert not WebhookEndpoint.objects.exists()


def test_editors_cannot_manage_endpoints(client, editor):
    client.force_login(editor)

    listing = client.get(reverse("webhookendpoint:index"))
    client.post(reverse("webhookendpoint:add"), endpoint_post())

    assert listing.status_code == 302
    assert not WebhookEndpoint.objects.exists()


def test_editors_cannot_rotate_a_secret(client, editor, endpoint):
    client.force_login(editor)

    client.post(reverse("webhookendpoint:rotate_secret", args=(endpoint.pk,)))

    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == endpoint.secret


def test_editors_cannot_see_deliveries(client, editor, delivered):
    client.force_login(editor)

    response = client.get(reverse("webhookdelivery:inspect", args=(delivered.pk,)))

    assert response.status_code == 302


def test_the_listing_shows_a_disabled_endpoint_and_why(client, integrator):
    WebhookEndpoint.objects.create(
        name="Old shop",
        url="https://old.example.com/hooks",
        events=["product.published"],
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason="Every attempt failed for 24 hours.",
    )
    client.force_login(integrator)

    response = client.get(reverse("webhookendpoint:index"))

    html = response.content.decode()
    assert "Old shop" in html
    assert gettext("Disabled") in html
    assert "Every attempt failed for 24 hours." in html


def test_the_listing_shows_the_last_delivery_status(client, integrator, delivered):
    client.force_login(integrator)

    response = client.get(reverse("webhookendpoint:index"))

    assert str(WebhookDelivery.Status.FAILED.label) in response.content.decode()


def test_ticking_active_re_enables_a_disabled_endpoint(
    client, integrator, endpoint, receiver, allow_private_networks
):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        is_active=False,
        disabled_at=timezone.now(),
        disabled_reason="failing",
        consecutive_failures=8,
    )
    client.force_login(integrator)

    client.post(
        reverse("webhookendpoint:edit", args=(endpoint.pk,)),
        endpoint_post(url=endpoint.url, events=endpoint.events),
    )

    endpoint.refresh_from_db()
    assert endpoint.is_active
    assert (endpoint.disabled_at, endpoint.disabled_reason, endpoint.consecutive_failures) == (
        None,
        "",
        0,
    )


def test_the_delivery_shows_every_attempt(client, integrator, delivered):
    client.force_login(integrator)

    response = client.get(reverse("webhookdelivery:inspect", args=(delivered.pk,)))

    html = response.content.decode()
    assert response.status_code == 200
    assert "answer 500" in html  # the response excerpt
    assert ">500<" in html  # the status code
    assert " ms" in html  # the latency
    assert delivered.message_id in html


def test_deliveries_can_be_filtered_by_status(client, integrator, delivered):
    other = WebhookDelivery.objects.create(
        endpoint=delivered.endpoint,
        event="product.unpublished",
        payload={"type": "product.unpublished", "data": {"sku": "OTHER-9"}},
        status=WebhookDelivery.Status.SUCCEEDED,
    )
    client.force_login(integrator)

    response = client.get(reverse("webhookdelivery:index"), {"status": "failed"})

    html = response.content.decode()
    assert "ADMIN-1" in html
    assert other.payload["data"]["sku"] not in html


def test_resend_from_the_admin_delivers_again(
    client, integrator, delivered, receiver, django_capture_on_commit_callbacks
):
    client.force_login(integrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhookdelivery:resend", args=(delivered.pk,)))

    assert response.status_code == 302
    delivered.refresh_from_db()
    assert delivered.status == WebhookDelivery.Status.SUCCEEDED
    assert [a.status_code for a in delivered.attempts.all()] == [500, 200]
    assert len(receiver.requests) == 2
    payload = receiver.requests[1].verified(delivered.endpoint.secret)
    assert payload["data"]["sku"] == "ADMIN-1"


def test_resend_needs_the_right_to_change_endpoints(
    client, make_user, delivered, receiver, django_capture_on_commit_callbacks
):
    client.force_login(make_user("Editors"))

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhookdelivery:resend", args=(delivered.pk,)))

    assert len(receiver.requests) == 1
    assert WebhookAttempt.objects.count() == 1


def test_resend_to_a_disabled_endpoint_is_refused_and_enables_nothing(
    client, integrator, delivered, receiver, django_capture_on_commit_callbacks
):
    WebhookEndpoint.objects.filter(pk=delivered.endpoint_id).update(is_active=False)
    client.force_login(integrator)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("webhookdelivery:resend", args=(delivered.pk,)), follow=True)

    assert "not active" in response.content.decode()
    assert len(receiver.requests) == 1
    assert not WebhookEndpoint.objects.get(pk=delivered.endpoint_id).is_active


def test_rotating_the_secret_signs_with_the_new_one(
    client, integrator, delivered, receiver, django_capture_on_commit_callbacks
):
    old = delivered.endpoint.secret
    client.force_login(integrator)

    client.post(reverse("webhookendpoint:rotate_secret", args=(delivered.endpoint_id,)))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("webhookdelivery:resend", args=(delivered.pk,)))

    new = WebhookEndpoint.objects.get(pk=delivered.endpoint_id).secret
    assert new != old
    assert receiver.requests[-1].verified(new)["data"]["sku"] == "ADMIN-1"


def test_every_webhook_admin_page_opens_for_a_superuser(client, admin_user, delivered):
    client.force_login(admin_user)
    endpoint_id = delivered.endpoint_id

    urls = [
        reverse("webhookendpoint:index"),
        reverse("webhookendpoint:add"),
        reverse("webhookendpoint:edit", args=(endpoint_id,)),
        reverse("webhookendpoint:inspect", args=(endpoint_id,)),
        reverse("webhookendpoint:rotate_secret", args=(endpoint_id,)),
        reverse("webhookdelivery:index"),
        reverse("webhookdelivery:inspect", args=(delivered.pk,)),
    ]

    assert {url: client.get(url).status_code for url in urls} == {url: 200 for url in urls}

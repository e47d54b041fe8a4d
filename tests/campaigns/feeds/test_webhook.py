"""``feed.generated``: receivers subscribed to it hear of every good file, and of no other."""

import pytest

from campaigns.feeds.runs import feed_generate
from channels.models import WebhookDelivery, WebhookEndpoint
from tests.channels.conftest import Receiver
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def receiver(settings):
    settings.HUB_WEBHOOKS_ALLOW_PRIVATE_NETWORKS = True
    with Receiver() as running:
        yield running


@pytest.fixture
def endpoint(receiver):
    return WebhookEndpoint.objects.create(
        name="Marketplace", url=f"{receiver.url}/hooks", events=["feed.generated"]
    )


def test_a_good_run_sends_feed_generated_with_its_files(
    make_feed, endpoint, receiver, django_capture_on_commit_callbacks
):
    ProductFactory(sku="A-1", live=True)
    feed, token = make_feed()

    with django_capture_on_commit_callbacks(execute=True):
        run = feed_generate(feed=feed)

    payload = receiver.requests[0].verified(endpoint.secret)
    assert payload["type"] == "feed.generated"
    assert payload["data"] == {
        "id": feed.pk,
        "feed": "fake",
        "name": "Fake marketplace",
        "format": "fakefeed",
        "run": run.pk,
        "kind": "full",
        "generated_at": run.started_at.isoformat(),
        "parts": [
            {"name": "feed.txt", "size": run.parts[0]["size"], "sha256": run.parts[0]["sha256"]}
        ],
    }
    assert token not in receiver.requests[0].body.decode()


def test_a_failed_run_sends_nothing(
    make_feed, endpoint, receiver, fake_feed_channel, django_capture_on_commit_callbacks
):
    ProductFactory(sku="A-1", live=True)
    feed, _token = make_feed()
    fake_feed_channel(INVALID="broken")

    with django_capture_on_commit_callbacks(execute=True):
        feed_generate(feed=feed)

    assert receiver.requests == []
    assert not WebhookDelivery.objects.exists()


def test_endpoints_not_subscribed_hear_nothing(make_feed, receiver):
    WebhookEndpoint.objects.create(
        name="Webshop", url=f"{receiver.url}/hooks", events=["product.published"]
    )
    ProductFactory(sku="A-1", live=True)
    feed, _token = make_feed()

    feed_generate(feed=feed)

    assert not WebhookDelivery.objects.exists()

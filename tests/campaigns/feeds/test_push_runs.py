"""Runs of feeds that push their files (to an S3 bucket on moto's server), and the form's
check of the push target."""

import uuid

import boto3
import pytest

from campaigns.feeds.runs import feed_generate
from campaigns.models import Feed
from tests.factories import ProductFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]


@pytest.fixture
def receiver_bucket(moto_url, settings, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.delenv("AWS_PROFILE", raising=False)
    settings.HUB_FEED_PUSH_S3_ENDPOINT_URL = moto_url
    settings.HUB_FEED_PUSH_S3_REGION = "eu-central-1"
    settings.HUB_FEED_PUSH_TIMEOUT = 5
    client = boto3.client("s3", endpoint_url=moto_url, region_name="eu-central-1")
    client.bucket = f"receiver-{uuid.uuid4().hex[:12]}"
    client.create_bucket(
        Bucket=client.bucket, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    return client


def test_a_good_run_pushes_the_file_it_serves(client, make_feed, receiver_bucket):
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    feed, token = make_feed(push_url=f"s3://{receiver_bucket.bucket}/hub/")

    run = feed_generate(feed=feed)

    assert run.status == "succeeded", run.error
    pushed = receiver_bucket.get_object(Bucket=receiver_bucket.bucket, Key="hub/feed.txt")
    served = b"".join(client.get(f"/feeds/{token}/feed.txt").streaming_content)
    assert pushed["Body"].read() == served
    assert pushed["ContentType"] == "text/tab-separated-values; charset=utf-8"


def test_a_failed_push_fails_the_run_and_the_next_delta_sends_the_change_again(
    client, make_feed, receiver_bucket
):
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    feed, _token = make_feed(push_url=f"s3://{receiver_bucket.bucket}/hub/", deltas=True)
    good = feed_generate(feed=feed)
    ProductFactory(sku="A-2", name="Säge", live=True)
    Feed.objects.filter(pk=feed.pk).update(push_url="s3://no-such-bucket-here/hub/")
    feed.refresh_from_db()

    failed = feed_generate(feed=feed)

    feed.refresh_from_db()
    assert failed.status == "failed"
    assert failed.error.startswith("Pushing failed:")
    assert feed.current_run == good
    assert not feed.items.filter(sku="A-2").exists()
    Feed.objects.filter(pk=feed.pk).update(push_url=f"s3://{receiver_bucket.bucket}/hub/")
    feed.refresh_from_db()
    assert feed_generate(feed=feed).written == 1
    pushed = receiver_bucket.get_object(Bucket=receiver_bucket.bucket, Key="hub/feed.txt")
    assert pushed["Body"].read().decode().splitlines()[1].startswith("A-2\tcontent")


BASE = "/admin/snippets/campaigns/feed"


def feed_post(**fields) -> dict:
    data = {
        "name": "Marktplatz",
        "slug": "marktplatz",
        "channel": "fakefeed",
        "active": "on",
        "languages": "de",
        "vat_rate": "19",
        "etim_release": "9.0",
        "schedule_minutes": "0",
        "options": '{"shop_name": "Hubwerk"}',
        "push_url": "",
        "push_host_key": "",
        "push_secret": "",
    }
    data.update(fields)
    return data


def test_a_push_target_that_cannot_work_is_refused_on_its_field(
    client, integrator, fake_feed_channel
):
    client.force_login(integrator)

    response = client.post(
        f"{BASE}/add/", feed_post(push_url="sftp://feeds@example.com/in", push_secret="pw")
    )

    errors = response.context["form"].errors
    assert "push_host_key" in errors
    assert not Feed.objects.exists()


def test_the_push_secret_is_not_shown_and_kept_when_left_empty(client, integrator, make_feed):
    feed, _token = make_feed(
        push_url="s3://receiver-bucket/hub/", push_secret="AKIAABCDEFGHIJKLMNOP:s3cr3t"
    )
    client.force_login(integrator)

    page = client.get(f"{BASE}/edit/{feed.pk}/").content.decode()
    client.post(
        f"{BASE}/edit/{feed.pk}/",
        feed_post(slug="fake", push_url="s3://receiver-bucket/hub/", push_secret=""),
    )

    feed.refresh_from_db()
    assert "s3cr3t" not in page
    assert feed.push_secret == "AKIAABCDEFGHIJKLMNOP:s3cr3t"

"""Runs and the secret URL with the default storage on S3 (moto's server)."""

import gzip
import uuid

import boto3
import pytest

from campaigns.feeds.runs import feed_generate
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def bucket(moto_url, settings, monkeypatch):
    """A fresh private bucket as the default storage."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    name = f"hub-{uuid.uuid4().hex[:12]}"
    client = boto3.client("s3", endpoint_url=moto_url, region_name="eu-central-1")
    client.create_bucket(
        Bucket=name, CreateBucketConfiguration={"LocationConstraint": "eu-central-1"}
    )
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {
                "bucket_name": name,
                "region_name": "eu-central-1",
                "endpoint_url": moto_url,
                "default_acl": None,
                "file_overwrite": False,
            },
        },
    }
    client.bucket = name
    return client


def keys(client) -> list[str]:
    answer = client.list_objects_v2(Bucket=client.bucket)
    return sorted(item["Key"] for item in answer.get("Contents", []))


def test_a_run_stores_its_files_in_the_bucket_and_serves_them(client, bucket, make_feed):
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    feed, token = make_feed()

    run = feed_generate(feed=feed)

    assert run.status == "succeeded", run.error
    assert keys(bucket) == [f"feeds/fake/{run.pk}/feed.txt", f"feeds/fake/{run.pk}/feed.txt.gz"]
    plain = client.get(f"/feeds/{token}/feed.txt")
    body = b"".join(plain.streaming_content)
    assert b"A-1\t\tBohrer" in body
    assert plain["ETag"] == f'"{run.parts[0]["sha256"]}"'
    packed = client.get(f"/feeds/{token}/feed.txt", headers={"Accept-Encoding": "gzip"})
    assert gzip.decompress(b"".join(packed.streaming_content)) == body


def test_a_failed_run_leaves_the_bucket_as_it_was(client, bucket, make_feed, fake_feed_channel):
    ProductFactory(sku="A-1", live=True)
    feed, token = make_feed()
    good = feed_generate(feed=feed)
    before = keys(bucket)
    fake_feed_channel(INVALID="broken")

    failed = feed_generate(feed=feed)

    assert failed.status == "failed"
    assert keys(bucket) == before
    assert client.get(f"/feeds/{token}/feed.txt")["ETag"] == f'"{good.parts[0]["sha256"]}"'


def test_old_runs_files_are_deleted_from_the_bucket(bucket, make_feed):
    ProductFactory(sku="A-1", live=True)
    feed, _token = make_feed()

    runs = [feed_generate(feed=feed) for _ in range(4)]

    assert {key.split("/")[2] for key in keys(bucket)} == {str(run.pk) for run in runs[1:]}

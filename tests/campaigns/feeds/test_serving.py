"""The feed's secret URL as a receiver fetches it."""

import datetime as dt
import gzip

import pytest
import time_machine
from django.utils.http import http_date

from campaigns.feeds.runs import feed_generate
from tests.factories import ProductFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


@pytest.fixture
def generated(make_feed):
    ProductFactory(sku="A-1", name="Bohrer", live=True)
    ProductFactory(sku="A-2", name="Säge", live=True)
    feed, token = make_feed()
    with time_machine.travel(NOW, tick=False):
        run = feed_generate(feed=feed)
    return feed, token, run


def body(response) -> bytes:
    return b"".join(response.streaming_content)


def test_the_file_comes_with_its_etag_and_last_modified(client, generated):
    _feed, token, run = generated

    response = client.get(f"/feeds/{token}/feed.txt")

    assert response.status_code == 200
    assert response["ETag"] == f'"{run.parts[0]["sha256"]}"'
    assert response["Last-Modified"] == http_date(NOW.timestamp())
    assert b"A-1\t\tBohrer" in body(response)
    assert "Cookie" not in response.get("Vary", "")
    assert not response.cookies


def test_an_unchanged_file_answers_304_to_if_none_match(client, generated):
    _feed, token, _run = generated
    etag = client.get(f"/feeds/{token}/feed.txt")["ETag"]

    response = client.get(f"/feeds/{token}/feed.txt", headers={"If-None-Match": etag})

    assert response.status_code == 304
    assert response.content == b""


def test_an_unchanged_file_answers_304_to_if_modified_since(client, generated):
    _feed, token, _run = generated

    response = client.get(
        f"/feeds/{token}/feed.txt",
        headers={"If-Modified-Since": http_date((NOW + dt.timedelta(minutes=1)).timestamp())},
    )

    assert response.status_code == 304


def test_a_new_file_answers_200_to_the_old_etag(client, generated):
    feed, token, _run = generated
    etag = client.get(f"/feeds/{token}/feed.txt")["ETag"]
    ProductFactory(sku="A-3", live=True)
    feed_generate(feed=feed)

    response = client.get(f"/feeds/{token}/feed.txt", headers={"If-None-Match": etag})

    assert response.status_code == 200
    assert b"A-3" in body(response)


def test_a_client_that_accepts_gzip_gets_the_compressed_copy(client, generated):
    _feed, token, _run = generated
    plain = body(client.get(f"/feeds/{token}/feed.txt"))

    response = client.get(f"/feeds/{token}/feed.txt", headers={"Accept-Encoding": "gzip, br"})

    packed = body(response)
    assert response["Content-Encoding"] == "gzip"
    assert "Accept-Encoding" in response["Vary"]
    assert int(response["Content-Length"]) == len(packed)
    assert gzip.decompress(packed) == plain


def test_gzip_refused_with_q_0_gets_the_plain_file(client, generated):
    _feed, token, _run = generated

    response = client.get(f"/feeds/{token}/feed.txt", headers={"Accept-Encoding": "gzip;q=0"})

    assert "Content-Encoding" not in response
    assert body(response).startswith(b"# fake full")


def test_a_wrong_token_or_part_is_not_found(client, generated):
    _feed, token, _run = generated

    assert client.get(f"/feeds/{token}x/feed.txt").status_code == 404
    assert client.get(f"/feeds/{token}/other.txt").status_code == 404


def test_a_feed_without_a_good_run_is_not_found(client, make_feed):
    _feed, token = make_feed()

    assert client.get(f"/feeds/{token}/feed.txt").status_code == 404


def test_every_part_of_a_split_file_is_served(client, make_feed):
    ProductFactory(sku="A-1", live=True)
    ProductFactory(sku="A-2", live=True)
    feed, token = make_feed(options={"shop_name": "Hubwerk", "per_part": 1})
    feed_generate(feed=feed)

    first = body(client.get(f"/feeds/{token}/feed.txt"))
    second = body(client.get(f"/feeds/{token}/feed-2.txt"))

    assert b"A-1" in first and b"A-2" not in first
    assert b"A-2" in second


def test_only_get_and_head_are_answered(client, generated):
    _feed, token, _run = generated

    assert client.head(f"/feeds/{token}/feed.txt").status_code == 200
    assert client.post(f"/feeds/{token}/feed.txt").status_code == 405


def test_an_inactive_feed_is_not_served(client, generated):
    feed, token, _run = generated
    feed.active = False
    feed.save()

    assert client.get(f"/feeds/{token}/feed.txt").status_code == 404

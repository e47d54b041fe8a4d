"""Secrets the hub must use but never show are stored encrypted, and survive a key rotation."""

import logging

import pytest
from django.db import connection

from campaigns.models import Feed

pytestmark = pytest.mark.django_db

PASSWORD = "s3cret-sftp-password"


def stored(feed: Feed) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT push_secret FROM campaigns_feed WHERE id = %s", [feed.pk])
        return cursor.fetchone()[0]


def new_feed(secret: str = PASSWORD) -> Feed:
    feed = Feed(name="SFTP", slug="sftp", channel="google_merchant", push_secret=secret)
    feed.set_token()
    feed.save()
    return feed


def test_a_secret_is_not_in_the_database_as_written_but_reads_back():
    feed = new_feed()

    assert PASSWORD not in stored(feed)
    assert stored(feed).startswith("fernet:")
    assert Feed.objects.get(pk=feed.pk).push_secret == PASSWORD
    assert list(Feed.objects.values_list("push_secret", flat=True)) == [PASSWORD]


def test_the_same_secret_is_stored_differently_each_time():
    first = stored(new_feed())
    Feed.objects.all().delete()

    assert stored(new_feed()) != first


def test_an_empty_secret_stays_empty():
    assert stored(new_feed("")) == ""


def test_a_secret_stays_readable_after_the_key_is_rotated_the_django_way(settings):
    feed = new_feed()
    old_key = settings.SECRET_KEY

    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = [old_key]

    assert Feed.objects.get(pk=feed.pk).push_secret == PASSWORD


def test_a_secret_no_key_opens_reads_as_empty_and_says_so(settings, caplog):
    feed = new_feed()
    settings.SECRET_KEY = "a-new-secret-key-" + "x" * 40
    settings.SECRET_KEY_FALLBACKS = []

    with caplog.at_level(logging.ERROR, logger="core.encrypted"):
        assert Feed.objects.get(pk=feed.pk).push_secret == ""

    assert "cannot be decrypted" in caplog.text


def test_a_secret_stored_before_encryption_reads_as_is_and_is_encrypted_when_saved():
    feed = new_feed("")
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE campaigns_feed SET push_secret = %s WHERE id = %s", [PASSWORD, feed.pk]
        )

    legacy = Feed.objects.get(pk=feed.pk)
    assert legacy.push_secret == PASSWORD
    legacy.save()
    assert stored(legacy).startswith("fernet:")

"""Sign-in lockout (django-axes) and password reset throttling on the Wagtail admin."""

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse

from tests.factories import UserFactory

PASSWORD = "secret-password"  # tests/factories.py UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _limits(settings):
    settings.AXES_FAILURE_LIMIT = 3
    settings.AXES_COOLOFF_TIME = dt.timedelta(minutes=15)
    settings.HUB_PASSWORD_RESET_LIMIT = 2
    settings.HUB_PASSWORD_RESET_WINDOW_MINUTES = 60
    cache.clear()
    yield
    cache.clear()


def sign_in(client, username, password, address="198.51.100.7"):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def is_signed_in(client) -> bool:
    return client.get(reverse("wagtailadmin_home")).status_code == 200


def test_sign_in_is_locked_after_the_failure_limit_even_with_the_right_password(client):
    user = UserFactory(username="anna")

    first, second = (sign_in(client, "anna", "wrong") for _ in range(2))
    third = sign_in(client, "anna", "wrong")
    right = sign_in(client, "anna", PASSWORD)

    assert (first.status_code, second.status_code) == (200, 200)
    assert third.status_code == 429
    assert right.status_code == 429
    page = right.content.decode()
    assert "Sign-in locked" in page
    assert "locked after 3 failed sign-in attempts" in page
    assert "try again in 15 minutes" in page
    assert not is_signed_in(client)
    assert user.pk  # the account itself is untouched


def test_lockout_ends_after_the_cool_off(client):
    UserFactory(username="anna")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            sign_in(client, "anna", "wrong")

        still_locked = sign_in(client, "anna", PASSWORD)
        clock.shift(dt.timedelta(minutes=16))
        after = sign_in(client, "anna", PASSWORD)

    assert still_locked.status_code == 429
    assert after.status_code == 302
    assert after["Location"] == reverse("wagtailadmin_home")


def test_a_successful_sign_in_clears_earlier_failures(client):
    UserFactory(username="anna")
    for _ in range(2):
        sign_in(client, "anna", "wrong")
    assert sign_in(client, "anna", PASSWORD).status_code == 302
    client.logout()

    again = [sign_in(client, "anna", "wrong").status_code for _ in range(2)]

    assert again == [200, 200]
    assert sign_in(client, "anna", PASSWORD).status_code == 302


def test_lockout_holds_one_username_from_one_address_only(client):
    UserFactory(username="anna")
    UserFactory(username="ben")
    for _ in range(3):
        sign_in(client, "anna", "wrong")

    other_user = sign_in(client, "ben", PASSWORD)
    client.logout()
    other_address = sign_in(client, "anna", PASSWORD, address="203.0.113.9")

    assert other_user.status_code == 302
    assert other_address.status_code == 302


def request_reset(client, email, address="198.51.100.7"):
    return client.post(
        reverse("wagtailadmin_password_reset"),
        {"email": email},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_password_reset_is_refused_past_the_limit_for_one_address(client):
    UserFactory(username="anna")

    answers = [request_reset(client, "anna@example.com") for _ in range(3)]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert "Too many password reset requests. Please wait 60 minutes" in (
        answers[2].content.decode()
    )
    assert len(mail.outbox) == 2


def test_password_reset_counts_each_mailbox_across_addresses(client):
    UserFactory(username="anna")

    answers = [
        request_reset(client, "Anna@example.com", address=f"203.0.113.{n}") for n in range(3)
    ]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert len(mail.outbox) == 2


def test_password_reset_counts_each_address_across_mailboxes(client):
    for name in ("anna", "ben", "cleo"):
        UserFactory(username=name)

    answers = [request_reset(client, f"{name}@example.com") for name in ("anna", "ben", "cleo")]

    assert [a.status_code for a in answers] == [302, 302, 429]
    assert [m.to for m in mail.outbox] == [["anna@example.com"], ["ben@example.com"]]


def test_password_reset_window_ends(client):
    UserFactory(username="anna")
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), tick=False) as clock:
        for _ in range(3):
            request_reset(client, "anna@example.com")
        clock.shift(dt.timedelta(minutes=61))
        later = request_reset(client, "anna@example.com")

    assert later.status_code == 302
    assert len(mail.outbox) == 3

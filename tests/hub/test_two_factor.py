"""Optional TOTP two-factor sign-in for admin users (django-otp)."""

import datetime as dt
from base64 import b32encode

import pytest
import time_machine
from django.core.cache import cache
from django.urls import reverse
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import UserFactory

PASSWORD = "secret-password"  # tests/factories.py UserFactory
NOW = dt.datetime(2026, 3, 2, 9, 0, 10, tzinfo=dt.UTC)

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def clock():
    cache.clear()
    with time_machine.travel(NOW, tick=False) as clock:
        yield clock


def code(device: TOTPDevice, shift: int = 0) -> str:
    """The code an authenticator app shows for ``device`` now (``shift`` steps later)."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, drift=shift):06d}"


def sign_in(client, username="anna", password=PASSWORD, **extra):
    return client.post(
        reverse("wagtailadmin_login"),
        {"username": username, "password": password, **extra},
        HTTP_ACCEPT_LANGUAGE="en",
    )


def dashboard_status(client) -> int:
    return client.get(reverse("wagtailadmin_home")).status_code


@pytest.fixture
def enrolled():
    user = UserFactory(username="anna", groups=["Editors"])
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True)


def test_a_user_without_a_device_signs_in_with_the_password_alone(client):
    UserFactory(username="anna", groups=["Editors"])

    response = sign_in(client)

    assert response.status_code == 302
    assert dashboard_status(client) == 200


def test_the_two_factor_page_shows_a_key_a_setup_link_and_a_qr_code(client):
    user = UserFactory(username="anna", groups=["Editors"])
    client.force_login(user)

    response = client.get(reverse("hub_two_factor"))

    device = TOTPDevice.objects.get(user=user)
    page = response.content.decode()
    assert response.status_code == 200
    assert not device.confirmed
    assert "otpauth://totp/" in page
    assert "<svg" in page
    assert b32encode(device.bin_key).decode() in page


def test_enrolling_with_a_current_code_turns_two_factor_on(client):
    user = UserFactory(username="anna", groups=["Editors"])
    client.force_login(user)
    client.get(reverse("hub_two_factor"))
    device = TOTPDevice.objects.get(user=user)

    response = client.post(
        reverse("hub_two_factor"), {"action": "enroll", "otp_token": code(device)}
    )

    assert response.status_code == 302
    assert TOTPDevice.objects.get(pk=device.pk).confirmed
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_enrolling_with_a_wrong_code_changes_nothing(client):
    user = UserFactory(username="anna", groups=["Editors"])
    client.force_login(user)
    client.get(reverse("hub_two_factor"))
    device = TOTPDevice.objects.get(user=user)

    response = client.post(
        reverse("hub_two_factor"),
        {"action": "enroll", "otp_token": code(device, shift=5)},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 400
    assert "That code is not valid" in response.content.decode()
    assert not TOTPDevice.objects.get(pk=device.pk).confirmed


def test_an_enrolled_user_needs_the_code_to_sign_in(client, enrolled):
    response = sign_in(client)

    assert response.status_code == 200
    assert "Enter the code from your authenticator app." in response.content.decode()
    assert dashboard_status(client) == 302


def test_a_wrong_code_does_not_sign_in(client, enrolled):
    response = sign_in(client, otp_token=code(enrolled, shift=5))

    assert response.status_code == 200
    assert "That two-factor code is not valid" in response.content.decode()
    assert dashboard_status(client) == 302


def test_the_password_and_a_current_code_sign_in(client, enrolled):
    response = sign_in(client, otp_token=code(enrolled))

    assert response.status_code == 302
    assert dashboard_status(client) == 200
    assert client.session[DEVICE_ID_SESSION_KEY] == enrolled.persistent_id


def test_a_code_is_good_for_one_sign_in_only(client, enrolled):
    used = code(enrolled)
    sign_in(client, otp_token=used)
    client.logout()

    response = sign_in(client, otp_token=used)

    assert response.status_code == 200
    assert dashboard_status(client) == 302


def test_wrong_codes_count_towards_the_sign_in_lockout(client, enrolled, settings):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(3):
        sign_in(client, otp_token="000000")

    response = sign_in(client, otp_token=code(enrolled))

    assert response.status_code == 429
    assert dashboard_status(client) == 302


def test_when_two_factor_is_required_a_user_without_a_device_must_enroll(client, settings):
    settings.HUB_ADMIN_REQUIRE_2FA = True
    UserFactory(username="anna", groups=["Editors"])
    sign_in(client)

    refused = client.get(reverse("wagtailadmin_home"))
    setup = client.get(reverse("hub_two_factor"))
    device = TOTPDevice.objects.get(user__username="anna")
    client.post(reverse("hub_two_factor"), {"action": "enroll", "otp_token": code(device)})
    after = client.get(reverse("wagtailadmin_home"))

    assert refused.status_code == 302
    assert refused["Location"] == reverse("hub_two_factor")
    assert setup.status_code == 200
    assert "required" in setup.content.decode()
    assert after.status_code == 200


def test_when_two_factor_is_required_an_unconfirmed_session_asks_for_a_code(
    client, enrolled, settings
):
    settings.HUB_ADMIN_REQUIRE_2FA = True
    client.force_login(enrolled.user)

    refused = client.get(reverse("wagtailadmin_home"))
    client.post(reverse("hub_two_factor"), {"action": "verify", "otp_token": code(enrolled)})
    after = client.get(reverse("wagtailadmin_home"))

    assert refused["Location"] == reverse("hub_two_factor")
    assert after.status_code == 200


def test_two_factor_is_optional_by_default(client, enrolled):
    client.force_login(enrolled.user)

    assert dashboard_status(client) == 200


def test_turning_two_factor_off_needs_a_current_code(client, enrolled, clock):
    sign_in(client, otp_token=code(enrolled))

    wrong = client.post(reverse("hub_two_factor"), {"action": "disable", "otp_token": "000000"})
    # django-otp makes a device wait a second after a wrong code; the app shows a new code.
    clock.shift(dt.timedelta(seconds=31))
    right = client.post(
        reverse("hub_two_factor"), {"action": "disable", "otp_token": code(enrolled)}
    )

    assert wrong.status_code == 400
    assert right.status_code == 302
    assert not TOTPDevice.objects.filter(user=enrolled.user).exists()

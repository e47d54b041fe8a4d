import re

import pytest
from django.core.exceptions import ImproperlyConfigured

from channels.base import REQUIRABLE_PRODUCT_FIELDS, BaseChannel
from channels.registry import (
    feedback_receiver,
    get_channel,
    get_channels,
    get_transactional_channel,
)
from content.selectors import FIELD_CHECKS


class ToyChannel(BaseChannel):
    identifier = "toy"
    name = "Toy"
    required_fields = {"*": ("name",), "en": ("short_text", "name")}


class TypoChannel(BaseChannel):
    identifier = "typo"
    name = "Typo"
    required_fields = {"*": ("nmae",)}


class NotAChannel:
    pass


def test_configured_channels_load_in_settings_order():
    channels = get_channels()

    assert list(channels) == [
        "newsletter",
        "webshop",
        "print",
        "google_merchant",
        "amazon",
        "bmecat",
    ]
    assert all(isinstance(channel, BaseChannel) for channel in channels.values())


def test_required_fields_combine_every_locale_with_the_locale_own_without_repeats(settings):
    settings.HUB_CHANNELS = {"toy": {"BACKEND": "tests.channels.test_registry.ToyChannel"}}

    channel = get_channel("toy")

    assert channel.required_fields_for("de") == ("name",)
    assert channel.required_fields_for("en") == ("name", "short_text")


def test_options_reach_the_adapter(settings):
    settings.HUB_CHANNELS = {
        "toy": {"BACKEND": "tests.channels.test_registry.ToyChannel", "OPTIONS": {"x": 1}}
    }

    assert get_channel("toy").options == {"x": 1}


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"BACKEND": "channels.nowhere.Channel"}, "HUB_CHANNELS['bad']: cannot import BACKEND"),
        ({"BACKEND": "tests.channels.test_registry.NotAChannel"}, "is not a subclass"),
        ({"OPTIONS": {}}, "HUB_CHANNELS['bad'] must be a dict with a 'BACKEND'"),
        ("channels.webshop.WebshopChannel", "HUB_CHANNELS['bad'] must be a dict"),
        ({"BACKEND": "tests.channels.test_registry.TypoChannel"}, "unknown product field(s) nmae"),
    ],
    ids=["unimportable", "not-a-channel", "no-backend", "not-a-dict", "unknown-field"],
)
def test_misconfigured_channel_names_the_bad_entry(settings, config, message):
    settings.HUB_CHANNELS = {
        "webshop": {"BACKEND": "channels.webshop.WebshopChannel"},
        "bad": config,
    }

    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        get_channels()


def test_misconfigured_channels_stop_django_start_up():
    import subprocess
    import sys

    code = (
        "import django, os;"
        "from django.conf import settings;"
        "os.environ['DJANGO_SETTINGS_MODULE']='hub.settings.test';"
        "settings.HUB_CHANNELS={'shop': {'BACKEND': 'channels.shop.Missing'}};"
        "django.setup()"
    )

    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)

    assert result.returncode != 0
    assert "ImproperlyConfigured: HUB_CHANNELS['shop']: cannot import BACKEND" in result.stderr


def test_every_product_field_a_channel_may_require_has_a_completeness_check():
    assert set(REQUIRABLE_PRODUCT_FIELDS) == set(FIELD_CHECKS)


def test_the_transactional_channel_is_the_first_configured_that_sends_them():
    channel = get_transactional_channel()

    assert channel.key == "newsletter"
    assert channel.sends_transactional


def test_without_a_channel_for_transactional_messages_the_registry_says_so(settings):
    settings.HUB_CHANNELS = {"toy": {"BACKEND": "tests.channels.test_registry.ToyChannel"}}

    with pytest.raises(ImproperlyConfigured, match="No channel in HUB_CHANNELS sends trans"):
        get_transactional_channel()


def test_the_feedback_receiver_is_the_configured_callable():
    from campaigns.services.feedback import feedback_record

    assert feedback_receiver() is feedback_record


@pytest.mark.parametrize(
    ("path", "message"),
    [
        ("", "HUB_CHANNEL_FEEDBACK_RECEIVER must name the callable"),
        ("campaigns.services.feedback.nowhere", "cannot import 'campaigns.services.feedback."),
        ("campaigns.services.feedback.logger", "is not callable"),
    ],
    ids=["unset", "unimportable", "not-callable"],
)
def test_a_misconfigured_feedback_receiver_is_named(settings, path, message):
    settings.HUB_CHANNEL_FEEDBACK_RECEIVER = path

    with pytest.raises(ImproperlyConfigured, match=re.escape(message)):
        feedback_receiver()

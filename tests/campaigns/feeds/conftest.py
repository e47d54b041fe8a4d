import pytest
from django.conf import settings as django_settings

from campaigns.models import Feed

FAKE = "tests.campaigns.feeds.fake_channel.FakeFeedChannel"


def fake_channels(**options) -> dict:
    return {**django_settings.HUB_CHANNELS, "fakefeed": {"BACKEND": FAKE, "OPTIONS": options}}


@pytest.fixture
def fake_feed_channel(settings):
    """The fake format configured as "fakefeed"; call it with OPTIONS to reconfigure."""

    def configure(**options):
        settings.HUB_CHANNELS = {
            **{key: value for key, value in settings.HUB_CHANNELS.items() if key != "fakefeed"},
            "fakefeed": {"BACKEND": FAKE, "OPTIONS": options},
        }

    configure()
    return configure


@pytest.fixture
def make_feed(db, fake_feed_channel):
    """A feed of the fake format; returns (feed, its secret token)."""

    def make(**fields):
        values = {
            "name": "Fake marketplace",
            "slug": "fake",
            "channel": "fakefeed",
            "languages": "de",
            "options": {"shop_name": "Hubwerk"},
        }
        values.update(fields)
        feed = Feed(**values)
        token = feed.set_token()
        feed.save()
        return feed, token

    return make

import pytest

from campaigns.models import Feed

FAKE = "tests.campaigns.feeds.fake_channel.FakeFeedChannel"
FAKE_FULL = "tests.campaigns.feeds.fake_channel.FakeFullFeedChannel"


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """Each test's stored feed files apart: run ids repeat from test to test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture
def fake_feed_channel(settings):
    """The fake format configured as "fakefeed"; call it with OPTIONS to reconfigure."""

    def configure(**options):
        settings.HUB_CHANNELS = {
            **{
                key: value
                for key, value in settings.HUB_CHANNELS.items()
                if key not in ("fakefeed", "fakefull")
            },
            "fakefeed": {"BACKEND": FAKE, "OPTIONS": options},
            "fakefull": {"BACKEND": FAKE_FULL},
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

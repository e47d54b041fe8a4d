import pytest

from tests.campaigns.catalogues import fake_document

FAKE = "tests.campaigns.catalogues.fake_document.FakeDocumentChannel"


@pytest.fixture(autouse=True)
def _own_media_root(settings, tmp_path):
    """Each test's stored files apart: run ids repeat from test to test."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def print_channel(settings):
    """The fake document channel configured as "print"; call it with OPTIONS to reconfigure."""

    def configure(**options):
        settings.HUB_CHANNELS = {
            **settings.HUB_CHANNELS,
            "print": {"BACKEND": FAKE, "OPTIONS": options},
        }

    configure()
    fake_document.CALLS.clear()
    yield configure
    fake_document.CALLS.clear()

import datetime

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.utils import translation

from tests.factories import UserFactory

GROUPS = (
    "Editors",
    "Product data reviewers",
    "Legal reviewers",
    "Marketing approvers",
    "Campaign managers",
    "Channel integrators",
)


def pytest_addoption(parser):
    parser.addoption(
        "--start-clock",
        metavar="INSTANT",
        default=None,
        help=(
            "start every test's clock at this ISO 8601 instant with a time zone, ticking on "
            "from there (time-machine), e.g. 2026-12-01T23:30:00Z: shows the tests that "
            "depend on the time of day or on a daylight saving change"
        ),
    )


def pytest_configure(config):
    instant = config.getoption("--start-clock")
    if instant is None:
        return
    try:
        config.start_clock = datetime.datetime.fromisoformat(instant)
    except ValueError as error:
        raise pytest.UsageError(f"--start-clock {instant!r}: {error}") from None
    if config.start_clock.tzinfo is None:
        raise pytest.UsageError(
            f"--start-clock {instant!r} has no time zone: add Z or an offset such as +01:00"
        )


def pytest_report_header(config):
    if getattr(config, "start_clock", None) is not None:
        return f"clock: every test starts at {config.start_clock.isoformat()} (--start-clock)"
    return None


@pytest.fixture(autouse=True)
def _start_clock(request):
    """With ``--start-clock``: the test runs from that instant, the clock ticking on."""
    instant = getattr(request.config, "start_clock", None)
    if instant is None:
        yield
        return
    with time_machine.travel(instant, tick=True):
        yield


@pytest.fixture
def fresh_cache():
    """An empty cache before and after: throttles and cached figures count in it, and it
    outlives a test's database transaction."""
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def english(settings):
    """Our English source strings, for tests that assert them: German is the default language
    (hub.settings.base) and has a catalogue; tests/hub/test_admin_language.py checks that
    every admin page speaks German, and English, throughout."""
    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db):
    def make(*group_names: str, **kwargs):
        return UserFactory(groups=list(group_names), **kwargs)

    return make


@pytest.fixture
def editor(make_user):
    return make_user("Editors", username="editor")


@pytest.fixture
def product_reviewer(make_user):
    return make_user("Product data reviewers", username="productreviewer")


@pytest.fixture
def legal_reviewer(make_user):
    return make_user("Legal reviewers", username="legalreviewer")


@pytest.fixture
def marketing_approver(make_user):
    return make_user("Marketing approvers", username="marketingapprover")


@pytest.fixture
def campaign_manager(make_user):
    return make_user("Campaign managers", username="campaigns")


@pytest.fixture
def integrator(make_user):
    return make_user("Channel integrators", username="integrator")


@pytest.fixture
def reviewers(product_reviewer, legal_reviewer, marketing_approver):
    """The three reviewers in workflow order."""
    return [product_reviewer, legal_reviewer, marketing_approver]


@pytest.fixture
def groups(db):
    return {group.name: group for group in Group.objects.filter(name__in=GROUPS)}


@pytest.fixture
def publish(editor, reviewers):
    """Take an item through the whole approval workflow and return its row afterwards.

    The row is live unless the item carries a future go-live date.
    """
    from content.services import content_approve, content_submit

    def publish_(obj):
        content_submit(obj=obj, user=editor)
        for reviewer in reviewers:
            content_approve(obj=type(obj).objects.get(pk=obj.pk), user=reviewer)
        return type(obj).objects.get(pk=obj.pk)

    return publish_


@pytest.fixture
def mail_sink():
    """A started SMTP server on 127.0.0.1 that keeps every message it receives."""
    from tests.mail_sink import MailSink

    with MailSink() as sink:
        yield sink


@pytest.fixture
def newsletter_sink(settings, mail_sink):
    """The newsletter's mail transport pointed at the SMTP sink; returns the sink."""
    settings.HUB_MAIL_TRANSPORTS = {
        "default": {
            "BACKEND": "channels.newsletter.transports.SMTPTransport",
            "OPTIONS": {"HOST": mail_sink.host, "PORT": mail_sink.port, "POOL_SIZE": 2},
        }
    }
    return mail_sink


@pytest.fixture(scope="session")
def moto_url():
    """moto's AWS stand-in (S3, SES, IAM) on a free local port, one per test process.

    Tests keep out of each other's way by their own bucket names and identities.
    """
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()

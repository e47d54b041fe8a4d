import pytest
from django.contrib.auth.models import Group

from tests.factories import UserFactory

GROUPS = (
    "Editors",
    "Product data reviewers",
    "Legal reviewers",
    "Marketing approvers",
    "Campaign managers",
    "Channel integrators",
)


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

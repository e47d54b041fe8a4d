"""Campaign and audience listings in the admin cost the same queries for any page size."""

import itertools

import pytest
from django.core.files.base import ContentFile

from campaigns.models import Catalogue, ImportJob, Placement, Survey
from tests.factories import (
    AccountFactory,
    CampaignFactory,
    ContactFactory,
    DeliveryFactory,
    SegmentFactory,
)
from tests.listing_queries import assert_constant_queries

pytestmark = pytest.mark.django_db

serial = itertools.count()


@pytest.fixture
def superuser_client(client, make_user):
    client.force_login(make_user(is_superuser=True))
    return client


def _campaigns(n):
    for _ in range(n):
        campaign = CampaignFactory(segment=SegmentFactory())
        DeliveryFactory(campaign=campaign)
        campaign.save_revision()


def _segments(n):
    for _ in range(n):
        SegmentFactory()


def _contacts(n):
    for _ in range(n):
        ContactFactory(account=AccountFactory())


def _accounts(n):
    for _ in range(n):
        ContactFactory(account=AccountFactory())


def _placements(n):
    for _ in range(n):
        index = next(serial)
        Placement.objects.create(
            key=f"home.slot{index}", channel="webshop", name=f"Slot {index}"
        ).save_revision()


def _surveys(n):
    for _ in range(n):
        Survey.objects.create(
            name=f"Umfrage {next(serial)}",
            kind="nps",
            question_de="Frage",
            question_en="Question",
            thanks_de="Danke",
            thanks_en="Thanks",
        )


def _catalogues(n):
    for _ in range(n):
        Catalogue.objects.create(slug=f"katalog-{next(serial)}", live=False, title="Katalog")


def _imports(n, user):
    for _ in range(n):
        ImportJob.objects.create(
            kind="contacts",
            file=ContentFile(b"E-Mail\nerika@example.com\n", name="kontakte.csv"),
            original_name="kontakte.csv",
            created_by=user,
        )


@pytest.mark.parametrize(
    ("url", "make_rows"),
    [
        ("/admin/snippets/campaigns/campaign/", _campaigns),
        ("/admin/segment/", _segments),
        ("/admin/contacts/", _contacts),
        ("/admin/accounts/", _accounts),
        ("/admin/snippets/campaigns/placement/", _placements),
        ("/admin/snippets/campaigns/survey/", _surveys),
        ("/admin/snippets/campaigns/catalogue/", _catalogues),
    ],
    ids=["campaigns", "segments", "contacts", "accounts", "placements", "surveys", "catalogues"],
)
def test_listing_queries_do_not_grow_with_rows(superuser_client, url, make_rows):
    assert_constant_queries(superuser_client, url, make_rows)


def test_import_listing_queries_do_not_grow_with_rows(superuser_client, make_user):
    uploader = make_user()
    assert_constant_queries(superuser_client, "/admin/importjob/", lambda n: _imports(n, uploader))

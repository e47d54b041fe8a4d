"""Queueing a catalogue run: only an approved catalogue with chapters, one run at a time."""

import datetime as dt

import pytest
import time_machine

from campaigns.catalogues.services import CatalogueRefused, catalogue_generate_queue
from campaigns.models import Catalogue, CatalogueRun, CatalogueRunStatus
from tests.campaigns.catalogues.catalogue_setup import catalogue, category, product
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def user():
    return UserFactory()


def test_a_catalogue_never_approved_is_refused(user):
    draft = catalogue(categories=[category("akku")], approved=False)

    with pytest.raises(CatalogueRefused, match="no approved version"):
        catalogue_generate_queue(draft, user=user)

    assert not CatalogueRun.objects.exists()


def test_a_catalogue_without_chapters_is_refused(user):
    empty = catalogue(categories=[])

    with pytest.raises(CatalogueRefused, match="no chapters"):
        catalogue_generate_queue(empty, user=user)

    assert not CatalogueRun.objects.exists()


def test_chapters_added_only_in_a_draft_do_not_count(user):
    item = catalogue(categories=[])
    item.chapters.create(category=category("akku"), sort_order=0)
    item.save_revision()

    with pytest.raises(CatalogueRefused, match="no chapters"):
        catalogue_generate_queue(Catalogue.objects.get(pk=item.pk), user=user)


def test_a_catalogue_with_an_open_run_is_refused(user, django_capture_on_commit_callbacks):
    item = catalogue(categories=[category("akku")])
    with django_capture_on_commit_callbacks(execute=False):
        first = catalogue_generate_queue(item, user=user)

    with pytest.raises(CatalogueRefused, match="being generated already"):
        catalogue_generate_queue(item, user=user)

    assert list(CatalogueRun.objects.all()) == [first]


def test_a_queued_run_takes_the_live_revision_and_its_profile(
    user, django_capture_on_commit_callbacks
):
    item = catalogue(categories=[category("akku")], profile="print")
    live_revision = item.live_revision
    item.profile = "screen"
    item.save_revision()

    with django_capture_on_commit_callbacks(execute=False) as queued:
        run = catalogue_generate_queue(Catalogue.objects.get(pk=item.pk), user=user)

    assert run.status == CatalogueRunStatus.QUEUED
    assert run.revision == live_revision
    assert run.profile == "print"
    assert run.requested_by == user
    assert len(queued) == 1


def test_a_run_whose_worker_died_no_longer_blocks_the_catalogue(
    user, settings, django_capture_on_commit_callbacks
):
    settings.HUB_CATALOGUE_RUN_LEASE_SECONDS = 60
    item = catalogue(categories=[category("akku")])
    with (
        time_machine.travel(NOON, tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        stale = catalogue_generate_queue(item, user=user)

    with (
        time_machine.travel(NOON + dt.timedelta(minutes=2), tick=False),
        django_capture_on_commit_callbacks(execute=False),
    ):
        fresh = catalogue_generate_queue(item, user=user)

    stale.refresh_from_db()
    assert stale.status == CatalogueRunStatus.FAILED
    assert "lease lapsed" in stale.error
    assert fresh.status == CatalogueRunStatus.QUEUED


def test_queueing_runs_the_whole_generation(user, django_capture_on_commit_callbacks):
    akku = category("akku", "Akkugeraete")
    product("A-1", akku)
    item = catalogue(categories=[akku])

    with django_capture_on_commit_callbacks(execute=True):
        run = catalogue_generate_queue(item, user=user)

    run.refresh_from_db()
    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    assert [file["name"] for file in run.files] == ["werkzeug.pdf"]

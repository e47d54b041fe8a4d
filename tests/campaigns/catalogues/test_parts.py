"""The body in parts: the last part assembles exactly once, real page numbers run on, and a
run that fails (a check, a dead worker) keeps nothing and leaves the last good files alone."""

import datetime as dt
import re

import pytest
import time_machine
from django.core.files.storage import default_storage

from campaigns.catalogues.services import catalogue_generate_queue
from campaigns.models import CatalogueRun, CatalogueRunStatus
from campaigns.tasks import catalogue_plan, catalogue_render_part, catalogue_runs_sweep
from tests.campaigns.catalogues import fake_document
from tests.campaigns.catalogues.catalogue_setup import (
    catalogue,
    category,
    generate,
    pdf_pages,
    product,
)
from tests.factories import UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("english")]

NOON = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def two_chapters(settings):
    """A catalogue of two chapters of two pages each, planned as two parts."""
    settings.HUB_CATALOGUE_PART_PAGES = 2
    akku, bohr = category("akku", "Akku"), category("bohr", "Bohr")
    product("A-1", akku)
    product("B-1", bohr)
    return catalogue(categories=[akku, bohr])


def planned(item, capture) -> CatalogueRun:
    """A run of ``item`` planned, its part tasks not run."""
    with capture(execute=False):
        run = catalogue_generate_queue(item, user=UserFactory())
    with capture(execute=False):
        catalogue_plan(run.pk)
    run.refresh_from_db()
    return run


def calls(name: str) -> list[tuple]:
    return [call for call in fake_document.CALLS if call[0] == name]


@pytest.mark.parametrize("order", [(0, 1, 1), (1, 0, 0), (0, 0, 1, 1), (1, 1, 0, 0)])
def test_the_last_part_done_assembles_exactly_once(
    two_chapters, django_capture_on_commit_callbacks, order
):
    run = planned(two_chapters, django_capture_on_commit_callbacks)
    queued = []

    for index in order:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            catalogue_render_part(run.pk, index)
        queued.extend(callbacks)
    for callback in queued:
        callback()

    run.refresh_from_db()
    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    assert calls("assemble") == [("assemble", "")]
    assert run.chapters_done == run.chapters_total == 2
    assert run.parts.count() == 2


def test_a_part_delivered_twice_renders_again_and_counts_once(
    two_chapters, django_capture_on_commit_callbacks
):
    run = planned(two_chapters, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=False):
        catalogue_render_part(run.pk, 1)
        catalogue_render_part(run.pk, 1)

    run.refresh_from_db()
    assert run.status == CatalogueRunStatus.RENDERING
    assert calls("render_part") == [("render_part", 1, 3), ("render_part", 1, 3)]
    assert run.chapters_done == 1
    [stored] = [part.path for part in run.parts.all() if part.path]
    assert stored == f"catalogues/werkzeug/{run.pk}/part-0002.pdf"
    assert default_storage.listdir(f"catalogues/werkzeug/{run.pk}")[1] == ["part-0002.pdf"]


def _printed_page(page_text: str) -> int:
    return int(re.search(r"Seite (\d+)", page_text).group(1))


def test_a_part_longer_than_planned_shifts_the_next_parts_and_the_contents(
    two_chapters, print_channel, django_capture_on_commit_callbacks
):
    print_channel(EXTRA_PAGES={"akku": 2})

    run = generate(two_chapters, UserFactory(), django_capture_on_commit_callbacks)

    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    assert calls("render_part") == [
        ("render_part", 0, 1),
        ("render_part", 1, 3),
        ("render_part", 1, 5),  # rendered again after part 1 laid out 4 pages, not 2
    ]
    pages = pdf_pages(run.file("werkzeug.pdf")["path"])
    contents = dict(re.findall(r"Inhalt: (\w+) \.\.\.\. (\d+)", "\n".join(pages)))
    assert contents == {"Akku": "1", "Bohr": "5"}
    [bohr] = [page for page in pages if "Kapitel: Bohr" in page]
    assert _printed_page(bohr) == 5
    [index] = [page for page in pages if "Index:" in page]
    assert "Index: B-1 Produkt B-1 .... 6" in index
    assert _printed_page(index) == 7
    assert len(pages) == 2 + 6 + 1
    assert [part.first_page for part in run.parts.all()] == [1, 5]


def test_a_failed_check_fails_the_run_and_keeps_the_last_good_files(
    two_chapters, print_channel, django_capture_on_commit_callbacks
):
    user = UserFactory()
    good = generate(two_chapters, user, django_capture_on_commit_callbacks)
    print_channel(INVALID="Schrift nicht eingebettet")

    bad = generate(two_chapters, user, django_capture_on_commit_callbacks)

    assert bad.status == CatalogueRunStatus.FAILED
    assert "Schrift nicht eingebettet" in bad.error
    assert bad.files == [] and bad.previews == [] and bad.layout_export == {}
    assert default_storage.listdir(f"catalogues/werkzeug/{bad.pk}")[1] == []
    good.refresh_from_db()
    assert good.status == CatalogueRunStatus.SUCCEEDED
    assert all(default_storage.exists(file["path"]) for file in good.files)
    assert default_storage.exists(good.layout_export["path"])


def test_a_run_whose_worker_died_is_failed_by_the_sweep_and_its_parts_deleted(
    two_chapters, settings, django_capture_on_commit_callbacks
):
    settings.HUB_CATALOGUE_RUN_LEASE_SECONDS = 60
    with time_machine.travel(NOON, tick=False):
        run = planned(two_chapters, django_capture_on_commit_callbacks)
        with django_capture_on_commit_callbacks(execute=False):
            catalogue_render_part(run.pk, 0)

    with time_machine.travel(NOON + dt.timedelta(minutes=5), tick=False):
        catalogue_runs_sweep()

    run.refresh_from_db()
    assert run.status == CatalogueRunStatus.FAILED
    assert "lease lapsed" in run.error
    assert run.files_deleted
    assert default_storage.listdir(f"catalogues/werkzeug/{run.pk}")[1] == []


def test_a_part_of_a_run_given_up_renders_nothing(two_chapters, django_capture_on_commit_callbacks):
    run = planned(two_chapters, django_capture_on_commit_callbacks)
    CatalogueRun.objects.filter(pk=run.pk).update(status=CatalogueRunStatus.FAILED)

    catalogue_render_part(run.pk, 0)

    assert calls("render_part") == []
    assert not run.parts.filter(pages__isnull=False).exists()


def test_a_plan_delivered_twice_plans_once(two_chapters, django_capture_on_commit_callbacks):
    product("A-9", two_chapters.chapters.first().category, complete=False)
    run = planned(two_chapters, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=False) as queued:
        catalogue_plan(run.pk)

    run.refresh_from_db()
    assert run.status == CatalogueRunStatus.RENDERING
    assert run.parts.count() == 2
    assert list(run.problems.values_list("sku", flat=True)) == ["A-9"]
    assert queued == []


def test_the_catalogue_tasks_run_on_the_render_queue(settings):
    routes = settings.CELERY_TASK_ROUTES

    assert {
        name: routes[f"campaigns.tasks.{name}"]["queue"]
        for name in ("catalogue_plan", "catalogue_render_part", "catalogue_assemble")
    } == {
        "catalogue_plan": "render",
        "catalogue_render_part": "render",
        "catalogue_assemble": "render",
    }


def test_the_beat_sweeps_catalogue_runs_every_five_minutes(settings):
    from hub.celery import app

    entry = settings.CELERY_BEAT_SCHEDULE["catalogue-runs-sweep"]

    assert entry["schedule"] == 300.0
    assert entry["task"] in app.tasks

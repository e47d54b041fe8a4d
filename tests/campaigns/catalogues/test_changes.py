"""What changed since the last good run, and how many runs keep their files."""

import datetime as dt

import pytest
import time_machine
from django.core.files.storage import default_storage

from campaigns.catalogues.services import ProductChange, catalogue_changes
from campaigns.catalogues.storage import KEEP_RUNS
from campaigns.models import CatalogueRunStatus
from tests.campaigns.catalogues.catalogue_setup import catalogue, category, generate, product
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PRINTED = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
LATER = PRINTED + dt.timedelta(days=3)


def test_before_the_first_run_every_product_is_added():
    akku = category("akku", "Akku")
    first = product("A-1", akku, name="Bohrer")
    product("A-2", akku, complete=False)  # not printable: not listed

    changes = catalogue_changes(catalogue(categories=[akku]))

    assert changes == [ProductChange("A-1", "Bohrer", first.pk, "added")]


def test_changes_list_the_products_changed_added_and_removed_since_the_last_run(
    django_capture_on_commit_callbacks,
):
    akku = category("akku", "Akku")
    with time_machine.travel(PRINTED, tick=False):
        changed = product("A-1", akku, name="Bohrer")
        removed = product("A-2", akku)
        drafted = product("A-3", akku, name="Saege")
        item = catalogue(categories=[akku])
        run = generate(item, UserFactory(), django_capture_on_commit_callbacks)
    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error

    with time_machine.travel(LATER, tick=False):
        changed.name = "Bohrer Pro"
        changed.save()
        removed.live = False
        removed.save()
        drafted.name = "Saege ENTWURF"
        drafted.save_revision()  # a draft: the live version is what was printed
        added = product("A-4", akku, name="Schleifer")

        changes = catalogue_changes(item)

    assert changes == [
        ProductChange("A-1", "Bohrer Pro", changed.pk, "changed"),
        ProductChange("A-2", "", None, "removed"),
        ProductChange("A-4", "Schleifer", added.pk, "added"),
    ]


def test_nothing_changed_right_after_a_run(django_capture_on_commit_callbacks):
    akku = category("akku", "Akku")
    product("A-1", akku)
    item = catalogue(categories=[akku])
    generate(item, UserFactory(), django_capture_on_commit_callbacks)

    assert catalogue_changes(item) == []


def test_the_files_of_good_runs_before_the_last_five_are_deleted(
    django_capture_on_commit_callbacks,
):
    akku = category("akku", "Akku")
    product("A-1", akku)
    item = catalogue(categories=[akku])
    user = UserFactory()

    runs = [generate(item, user, django_capture_on_commit_callbacks) for _ in range(KEEP_RUNS + 1)]

    for run in runs:
        run.refresh_from_db()
    oldest, *kept = runs
    assert oldest.files_deleted
    assert not default_storage.exists(oldest.files[0]["path"])
    assert not default_storage.exists(oldest.layout_export["path"])
    assert default_storage.listdir(f"catalogues/werkzeug/{oldest.pk}")[1] == []
    assert len(kept) == KEEP_RUNS
    assert all(not run.files_deleted for run in kept)
    assert all(default_storage.exists(run.files[0]["path"]) for run in kept)

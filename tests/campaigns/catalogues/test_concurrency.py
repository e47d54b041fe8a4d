"""Two workers finish the last two parts of a run at the same moment: one assembles it.

PostgreSQL only: the finishing part locks the run's row (``select_for_update``), which the
embedded SQLite does not do (it runs one writer at a time, so the race cannot occur there).
Without the lock each worker would count the other's part as not done yet, and the run
would never be assembled.
"""

import contextlib
import threading

import pytest
from django.db import connection, connections

from campaigns import tasks
from campaigns.catalogues import runs
from campaigns.catalogues.runs import part_render
from campaigns.catalogues.services import catalogue_generate_queue
from campaigns.models import CatalogueRun, CatalogueRunStatus
from tests.campaigns.catalogues import fake_document
from tests.campaigns.catalogues.catalogue_setup import catalogue, category, product
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="needs PostgreSQL row locks"),
]


def test_two_parts_finishing_at_once_assemble_the_run_once(settings, monkeypatch):
    settings.HUB_CATALOGUE_PART_PAGES = 2
    akku, bohr = category("akku", "Akku"), category("bohr", "Bohr")
    product("A-1", akku)
    product("B-1", bohr)
    item = catalogue(categories=[akku, bohr])
    with monkeypatch.context() as queue:
        queue.setattr(tasks.catalogue_render_part, "delay", lambda *args: None)
        run = catalogue_generate_queue(item, user=UserFactory())  # planned, parts not run
    both_rendering = threading.Barrier(2)
    monkeypatch.setattr(
        fake_document, "DURING_RENDER", [lambda part: both_rendering.wait(timeout=20)]
    )
    both_recorded = threading.Barrier(2)

    def record_then_wait_for_the_other(*args, **kwargs):
        first_time = record(*args, **kwargs)
        # The other worker records its part now too, unless the run's lock holds it back:
        # then this one goes on alone after a moment.
        with contextlib.suppress(threading.BrokenBarrierError):
            both_recorded.wait(timeout=3)
        return first_time

    record = runs.part_record
    monkeypatch.setattr(runs, "part_record", record_then_wait_for_the_other)

    def worker(index):
        try:
            part_render(run.pk, index)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(index,)) for index in (0, 1)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    run = CatalogueRun.objects.get(pk=run.pk)
    assert run.status == CatalogueRunStatus.SUCCEEDED, run.error
    assert [call for call in fake_document.CALLS if call[0] == "assemble"] == [("assemble", "")]
    assert run.chapters_done == 2

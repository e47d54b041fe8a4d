"""The admin's product listing and edit view on the demo data (``seed_demo``).

Renders ``/admin/snippets/content/product/`` as a superuser through Django's test client
(the full middleware and template stack, no network) and prints the median and best wall
time of several renders with their query count; likewise the edit view of the demo
product with the most images and relations. The goal for the listing is under 100 ms.
"""

from __future__ import annotations

import statistics
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from content.models import Product

LISTING = "/admin/snippets/content/product/"
WARMUP = 3
RUNS = 15


def _timed(client: Client, url: str) -> tuple[float, float, int]:
    """Median and best wall time of ``RUNS`` renders after a warm-up, and the query count."""
    for _ in range(WARMUP):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return statistics.median(times), min(times), len(queries)


def _client() -> Client:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-admin", defaults={"is_superuser": True, "is_staff": True}
    )
    client = Client()
    client.force_login(user)
    return client


# No collectstatic in a benchmark run: static URLs without the manifest's hashes.
@override_settings(
    ALLOWED_HOSTS=["*"],
    STORAGES={
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    },
)
def run() -> None:
    call_command("seed_demo", verbosity=0)
    client = _client()
    rows = Product.objects.count()
    busiest = (
        Product.objects.annotate(n=Count("images", distinct=True) + Count("relations"))
        .order_by("-n", "pk")
        .first()
    )
    for label, url in [
        (f"product listing ({rows} products, first page)", LISTING),
        (
            "product edit view (the demo product with most images and relations)",
            f"{LISTING}edit/{busiest.pk}/",
        ),
    ]:
        median, best, queries = _timed(client, url)
        print(
            f"admin {label}: {median * 1000:.1f} ms median ({best * 1000:.1f} best) "
            f"of {RUNS}, {queries} queries" + (" (goal < 100 ms)" if url == LISTING else "")
        )

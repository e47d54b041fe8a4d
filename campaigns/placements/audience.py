"""Which placement segments each contact is in, computed ahead of time, never in a request.

A shop's request for a slot must answer in milliseconds, so it only reads
``PlacementAudience.segment_ids``. Those are kept current here:

- every write that can change a contact's membership (events, orders, imports, CRM sync,
  consent, preferences, phase changes, static lists) marks the contact stale once its
  transaction commits (``placement_audience_stale_on_commit``);
- the refresh task takes stale contacts in batches and evaluates them with the segments'
  own SQL (``segment_contacts``), so a placement never disagrees with the segment's count;
- when the set of placement segments changes (a campaign with placements is scheduled or
  resumed), and every 15 minutes for rules on time windows ("viewed in the last 30 days"),
  every contact is marked stale in two bulk statements (``placement_audience_rebuild``).

Until a stale contact is refreshed, its last answer stands.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Campaign, CampaignStatus, Contact, PlacementAudience, Segment
from campaigns.selectors import segment_contacts

logger = logging.getLogger(__name__)

# Scheduled campaigns serve once their time has come; their audience is ready before that.
PLACEMENT_STATES = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.DONE)
REFRESH_BATCH = 2_000
# What a rule saved before today's validation can raise (as in the journey engine): that
# segment is left out of the answer, never the whole refresh.
RULE_ERRORS = (ValueError, OverflowError)

_AUDIENCE = PlacementAudience._meta.db_table
_CONTACT = Contact._meta.db_table


def placement_segment_ids(now: dt.datetime | None = None) -> set[int]:
    """The segments of approved campaigns that serve, or are scheduled to serve, placements."""
    now = now or timezone.now()
    return set(
        Campaign.objects.filter(
            live=True,
            live_revision__isnull=False,
            status__in=PLACEMENT_STATES,
            segment__isnull=False,
            placements__isnull=False,
        )
        .filter(Q(placements_until__isnull=True) | Q(placements_until__gt=now))
        .values_list("segment_id", flat=True)
        .distinct()
    )


def _insert_stale_sql(where: str) -> str:
    # INSERT ... SELECT from the contacts, so an id erased meanwhile inserts nothing (no
    # foreign key error), and ON CONFLICT makes it one statement on PostgreSQL and SQLite.
    # A row already stale is left alone: no write, no new row version.
    empty = "'[]'::jsonb" if connection.vendor == "postgresql" else "'[]'"
    return (
        f"INSERT INTO {_AUDIENCE} (contact_id, segment_ids, stale, refreshed_at) "  # noqa: S608 (our table names)
        f"SELECT id, {empty}, %s, NULL FROM {_CONTACT} WHERE {where} "
        f"ON CONFLICT (contact_id) DO UPDATE SET stale = excluded.stale WHERE NOT {_AUDIENCE}.stale"
    )


def placement_audience_mark_stale(contact_ids: Iterable[int]) -> int:
    """Mark these contacts for the next refresh: one upsert per 5,000 ids, however many.

    Contacts without a row get one (empty until refreshed); ids of contacts that no longer
    exist are ignored. Returns how many ids were given.
    """
    ids = sorted({int(pk) for pk in contact_ids if pk is not None})
    if not ids:
        return 0
    with connection.cursor() as cursor:
        # Sorted ids lock rows in one order: two intake transactions never deadlock here.
        for start in range(0, len(ids), 5_000):
            chunk = ids[start : start + 5_000]
            marks = ", ".join(["%s"] * len(chunk))
            cursor.execute(_insert_stale_sql(f"id IN ({marks})"), [True, *chunk])
    return len(ids)


def placement_audience_stale_on_commit(contact_ids: Iterable[int]) -> None:
    """Mark the contacts stale once the current transaction commits (nothing if it rolls back).

    The intake's own transaction stays as short as it was; a crash between the commit and
    the mark is healed by the next rebuild (every 15 minutes).
    """
    ids = sorted({int(pk) for pk in contact_ids if pk is not None})
    if ids:
        transaction.on_commit(lambda: placement_audience_mark_stale(ids))


def placement_audience_rebuild() -> int:
    """Mark every contact stale: one UPDATE for the rows there are, one INSERT for the rest.

    For when the placement segments change, and for rules on time windows, whose answer
    changes with the clock and not with any write. Returns the number of rows marked.
    """
    with transaction.atomic():
        updated = PlacementAudience.objects.filter(stale=False).update(stale=True)
        missing = f"NOT EXISTS (SELECT 1 FROM {_AUDIENCE} a WHERE a.contact_id = {_CONTACT}.id)"  # noqa: S608
        with connection.cursor() as cursor:
            cursor.execute(_insert_stale_sql(missing), [True])
            inserted = max(cursor.rowcount, 0)
    logger.info("placement_audience.rebuild marked=%s created=%s", updated, inserted)
    return updated + inserted


def _memberships(
    segments: list[Segment], contact_ids: list[int], now: dt.datetime
) -> dict[int, list[int]]:
    members: dict[int, list[int]] = {pk: [] for pk in contact_ids}
    for segment in segments:  # ordered by pk: each list comes out sorted
        try:
            matching = segment_contacts(segment, now=now).filter(pk__in=contact_ids).order_by()
            found = list(matching.values_list("pk", flat=True))
        except RULE_ERRORS as error:
            # Raised while the rule is compiled, before any SQL: the transaction is usable.
            logger.warning("placement_audience.bad_segment segment=%s error=%s", segment.pk, error)
            continue
        for pk in found:
            members[pk].append(segment.pk)
    return members


def placement_audience_refresh(
    *, limit: int = REFRESH_BATCH, now: dt.datetime | None = None
) -> int:
    """Recompute up to ``limit`` stale contacts in every placement segment; return how many.

    On PostgreSQL the rows are locked and locked rows skipped, so several workers refresh
    disjoint contacts, and a contact marked stale again meanwhile (its mark waits for the
    lock) stays stale for the next round.
    """
    now = now or timezone.now()
    segments = list(Segment.objects.filter(pk__in=placement_segment_ids(now)).order_by("pk"))
    with transaction.atomic():
        stale = PlacementAudience.objects.filter(stale=True).order_by("contact_id")
        if connection.features.has_select_for_update_skip_locked:
            stale = stale.select_for_update(skip_locked=True)
        ids = list(stale.values_list("contact_id", flat=True)[:limit])
        if not ids:
            return 0
        by_answer: dict[tuple[int, ...], list[int]] = {}
        for pk, segment_ids in _memberships(segments, ids, now).items():
            by_answer.setdefault(tuple(segment_ids), []).append(pk)
        # One UPDATE per distinct answer: a batch has few, however many contacts it holds.
        for segment_ids, pks in by_answer.items():
            PlacementAudience.objects.filter(contact_id__in=pks).update(
                segment_ids=list(segment_ids), stale=False, refreshed_at=now
            )
    logger.info(
        "placement_audience.refreshed contacts=%s segments=%s answers=%s",
        len(ids),
        len(segments),
        len(by_answer),
    )
    return len(ids)

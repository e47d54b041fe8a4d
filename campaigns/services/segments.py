"""Writes to segments: snapshots of their membership and the lists of static segments."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from itertools import islice

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from pyroaring import BitMap

from campaigns.models import (
    Contact,
    Segment,
    SegmentKind,
    SegmentMember,
    SegmentSnapshot,
    SnapshotMember,
)
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.segments import clean_rules
from campaigns.segments.bitmaps import from_bytes, to_bytes
from campaigns.selectors import segment_contacts, segment_members

logger = logging.getLogger(__name__)

CHUNK = 5_000


def _chunks(iterable: Iterable, size: int = CHUNK):
    iterator = iter(iterable)
    while chunk := list(islice(iterator, size)):
        yield chunk


@transaction.atomic
def segment_snapshot(
    *, segment: Segment, user=None, now: dt.datetime | None = None
) -> SegmentSnapshot:
    """Freeze who is in the segment now; the snapshot keeps the rules it was taken with.

    Only reachable contacts are frozen unless the segment includes everyone. The members
    are written in chunks from one streamed query, inside one transaction.
    """
    now = now or timezone.now()
    rules = clean_rules(segment.rules) if segment.kind == SegmentKind.DYNAMIC else {}
    snapshot = SegmentSnapshot.objects.create(segment=segment, rules=rules, created_by=user)
    contact_ids = (
        segment_contacts(segment, now=now).order_by("pk").values_list("pk", flat=True)
    ).iterator(chunk_size=CHUNK)
    size = 0
    frozen = BitMap()
    for chunk in _chunks(contact_ids):
        SnapshotMember.objects.bulk_create(
            SnapshotMember(snapshot=snapshot, contact_id=contact_id) for contact_id in chunk
        )
        frozen.update(chunk)
        size += len(chunk)
    snapshot.size = size
    snapshot.save(update_fields=["size"])
    segment_members_store(segment, frozen, now)
    logger.info("segment.snapshot segment=%s snapshot=%s size=%s", segment.pk, snapshot.pk, size)
    return snapshot


def segment_members_store(segment: Segment, members: BitMap | None, now: dt.datetime) -> int | None:
    """Keep a segment's members and their count with the moment they were computed; none
    (not counted) when its rules no longer compile."""
    count = None if members is None else len(members)
    Segment.objects.filter(pk=segment.pk).update(
        member_bits=None if members is None else to_bytes(members),
        member_count=count,
        member_count_at=now,
    )
    segment.member_count, segment.member_count_at = count, now
    return count


def segment_count_refresh(*, segment: Segment, now: dt.datetime | None = None) -> int | None:
    """Compute the segment's members now (configured backend) and store them and their count.

    A segment whose rules no longer compile (a category or survey since deleted) keeps no
    count: the listing shows it as not counted rather than a stale number.
    """
    now = now or timezone.now()
    try:
        members = segment_members(segment, now=now)
    except ValidationError:
        members = None
    with transaction.atomic():
        count = segment_members_store(segment, members, now)
    logger.info("segment.counted segment=%s count=%s", segment.pk, count)
    return count


def _moves_with_time(segment: Segment) -> bool:
    """Whether a segment's members change by the hour without new data: its rules hold a
    window in hours. (Windows in days move at midnight, when every segment is computed
    again.)"""
    if segment.kind != SegmentKind.DYNAMIC:
        return False
    stack = [segment.rules]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("value"), dict) and "within_hours" in node["value"]:
                return True
            stack.extend(node.get("rules") or [])
    return False


def segment_counts_refresh(
    *, now: dt.datetime | None = None, touched: BitMap | None = None, backend=None
) -> int:
    """Store every segment's members and count: computed again (``touched`` None, or a
    segment without stored members), or rechecked for the touched contacts only (the
    segment-state maintenance). Returns how many segments were stored."""
    now = now or timezone.now()
    segments = list(Segment.objects.order_by("pk"))
    stored = 0
    for segment in segments:
        moves = _moves_with_time(segment)
        if touched is not None and not touched and not moves and segment.member_bits is not None:
            continue
        stored += 1
        try:
            if touched is None or segment.member_bits is None or moves:
                members = segment_members(segment, now=now, backend=backend)
            else:
                rechecked = segment_members(segment, now=now, within=touched, backend=backend)
                members = (from_bytes(segment.member_bits) - touched) | rechecked
        except ValidationError:
            members = None
        segment_members_store(segment, members, now)
    return stored


def _require_static(segment: Segment) -> None:
    if segment.kind != SegmentKind.STATIC:
        raise ValidationError(
            {"kind": _("Only a static segment has a list of members; this one uses rules.")}
        )


@transaction.atomic
def segment_add_contacts(*, segment: Segment, contacts: Iterable[Contact | int], user=None) -> int:
    """Put contacts on a static segment's list; those already on it stay. Returns how many
    were added."""
    _require_static(segment)
    ids = {contact if isinstance(contact, int) else contact.pk for contact in contacts}
    existing = set(
        SegmentMember.objects.filter(segment=segment, contact_id__in=ids).values_list(
            "contact_id", flat=True
        )
    )
    new = sorted(ids - existing)
    for chunk in _chunks(new):
        SegmentMember.objects.bulk_create(
            (SegmentMember(segment=segment, contact_id=contact_id) for contact_id in chunk),
            ignore_conflicts=True,
        )
    placement_audience_stale_on_commit(new)
    segment_count_refresh(segment=segment)
    logger.info("segment.members_added segment=%s added=%s", segment.pk, len(new))
    return len(new)


@transaction.atomic
def segment_add_emails(
    *, segment: Segment, emails: Iterable[str], user=None
) -> tuple[int, list[str]]:
    """Put the contacts with these addresses on the list. Returns (added, unknown addresses)."""
    _require_static(segment)
    wanted = {email.strip().lower() for email in emails if email.strip()}
    found = dict(Contact.objects.filter(email__in=wanted).values_list("email", "pk"))
    added = segment_add_contacts(segment=segment, contacts=found.values(), user=user)
    return added, sorted(wanted - set(found))


@transaction.atomic
def segment_remove_contacts(
    *, segment: Segment, contacts: Iterable[Contact | int], user=None
) -> int:
    """Take contacts off a static segment's list. Returns how many were removed."""
    _require_static(segment)
    ids = {contact if isinstance(contact, int) else contact.pk for contact in contacts}
    removed, _by_model = SegmentMember.objects.filter(segment=segment, contact_id__in=ids).delete()
    placement_audience_stale_on_commit(ids)
    segment_count_refresh(segment=segment)
    logger.info("segment.members_removed segment=%s removed=%s", segment.pk, removed)
    return removed

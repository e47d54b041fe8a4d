"""When a feed is due: changes waiting (``dirty_since``), its schedule, or its first file.

A change that can alter a feed (a product published or withdrawn, a price import) marks
every active feed dirty in the transaction of the change, so the change and the mark commit
together; the beat task ``feeds_regenerate_due`` (every 30 seconds) starts a run for each
due feed. A run takes the mark when it starts and gives it back if it fails; after a failed
run the feed waits ``HUB_FEED_RETRY_SECONDS`` before the next try, so a feed whose file
does not validate is not rebuilt every 30 seconds.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.utils import timezone

from campaigns.models import Feed, FeedRun, FeedRunStatus, FeedTrigger


def feeds_mark_changed() -> int:
    """Mark every active feed as having changes to write; in the caller's transaction."""
    return Feed.objects.filter(active=True, dirty_since__isnull=True).update(
        dirty_since=timezone.now()
    )


def retry_seconds() -> float:
    return float(getattr(settings, "HUB_FEED_RETRY_SECONDS", 600.0))


def feeds_due(
    now: dt.datetime | None = None, *, feed_ids: list[int] | None = None
) -> list[tuple[int, str]]:
    """(feed id, trigger) of every active feed due for a run now (of ``feed_ids``, if given)."""
    now = now or timezone.now()
    running = FeedRun.objects.filter(
        feed=OuterRef("pk"), status=FeedRunStatus.RUNNING, lease_until__gte=now
    )
    finished = (
        FeedRun.objects.filter(feed=OuterRef("pk"))
        .exclude(status=FeedRunStatus.RUNNING)
        .order_by("-finished_at", "-pk")
    )
    feeds = (
        Feed.objects.filter(active=True)
        .annotate(
            busy=Exists(running),
            last_started=Max("runs__started_at"),
            last_status=Subquery(finished.values("status")[:1]),
            last_finished=Subquery(finished.values("finished_at")[:1]),
        )
        .filter(busy=False, **({} if feed_ids is None else {"pk__in": feed_ids}))
        .filter(Q(dirty_since__isnull=False) | Q(schedule_minutes__gt=0) | Q(current_run=None))
    )
    wait_until_after = now - dt.timedelta(seconds=retry_seconds())
    due = []
    for feed in feeds:
        if feed.last_status == FeedRunStatus.FAILED and feed.last_finished > wait_until_after:
            continue
        if feed.dirty_since is not None:
            due.append((feed.pk, FeedTrigger.CHANGE))
            continue
        never_ran = feed.last_started is None
        every = dt.timedelta(minutes=feed.schedule_minutes)
        if never_ran or (feed.schedule_minutes and feed.last_started <= now - every):
            due.append((feed.pk, FeedTrigger.SCHEDULE))
    return due

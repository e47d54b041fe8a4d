"""A feed run: candidates in, refusals reported, the file written, validated, then served.

``feed_generate`` is the one entry point. What it promises:

- Products the channel cannot take (fields missing, or the channel's own ``refusals``) are
  left out and listed as the run's ``FeedRefusal`` rows: the readiness report.
- The rest stream through the channel's writer into a temporary folder: a generator, never
  a list, so a large catalogue runs in flat memory.
- Only when every part validates are the parts (and gzip copies) stored, pushed when the
  feed pushes, and then, in one transaction, the feed's ``current_run`` switches to the new
  run, the receiver's ``FeedItem`` rows change, and ``feed.generated`` is recorded for the
  webhooks (sent on commit). Readers keep getting the old run's whole files until then.
- Anything that fails (the writer raises, a part does not validate, the push fails) fails
  the run with its error; the served file, ``FeedItem`` and ``current_run`` stay as they
  were, and changes the run took on are given back to the feed.
- One run per feed at a time (a unique constraint on running runs). A running run holds a
  lease its worker renews while it works; a run whose lease lapsed (its worker was killed)
  is failed by the next run or by the beat task, and no longer blocks the feed.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from campaigns.models import (
    Feed,
    FeedRefusal,
    FeedRun,
    FeedRunKind,
    FeedRunStatus,
    FeedTrigger,
)
from channels.feeds import (
    DirectorySink,
    FeedChannel,
    FeedPart,
    FeedProduct,
    FeedSpec,
    iter_chunks,
)
from channels.registry import get_channels

from .deltas import Journal, changes_between, held_items, items_apply, product_hashes
from .deltas import withdrawn_products as held_but_gone
from .products import feed_candidates
from .push import PushFailed, parse_push_target, push_files
from .storage import old_runs_prune, parts_store, run_files_delete

logger = logging.getLogger(__name__)

REFUSAL_BATCH = 500
CANDIDATE_CHUNK = 500
MAX_ERRORS = 50


class FeedRunBusy(Exception):
    """Another run of the feed holds its lease."""


class RunLost(Exception):
    """This run's lease lapsed and another took the feed over: its work is void."""


def feed_channels() -> dict[str, FeedChannel]:
    """The configured channels that write feeds, by key."""
    return {
        key: channel
        for key, channel in get_channels().items()
        if getattr(channel, "writes_feeds", False) and isinstance(channel, FeedChannel)
    }


def feed_channel(feed: Feed) -> FeedChannel:
    try:
        return feed_channels()[feed.channel]
    except KeyError:
        raise ValueError(
            _("The format %(key)s is not a feed channel in HUB_CHANNELS.") % {"key": feed.channel}
        ) from None


def lease_seconds() -> float:
    return float(getattr(settings, "HUB_FEED_RUN_LEASE_SECONDS", 1800.0))


def _options(feed: Feed) -> dict:
    channel = feed_channels().get(feed.channel)
    options = dict(feed.options or {})
    return channel.receiver_options(options) if channel else options


def feed_spec(feed: Feed, *, generated_at: dt.datetime, since: dt.datetime | None) -> FeedSpec:
    return FeedSpec(
        feed_key=feed.slug,
        name=feed.name,
        languages=feed.language_codes,
        generated_at=generated_at,
        vat_rate=feed.vat_rate,
        price_group=feed.price_group,
        buyer_price_groups=feed.buyer_groups,
        etim_release=feed.etim_release,
        since=since,
        options=_options(feed),
    )


# --- the lease ------------------------------------------------------------------------------


class RunLease:
    """The lease of a running run, renewed at most every fifth of its length."""

    def __init__(self, run: FeedRun) -> None:
        self.run = run
        self.seconds = lease_seconds()
        self._renewed = time.monotonic()

    def renew(self) -> None:
        if time.monotonic() - self._renewed < self.seconds / 5:
            return
        self._renewed = time.monotonic()
        until = timezone.now() + dt.timedelta(seconds=self.seconds)
        if not FeedRun.objects.filter(pk=self.run.pk, status=FeedRunStatus.RUNNING).update(
            lease_until=until
        ):
            raise RunLost(_("The run's lease lapsed and the run was given up."))


def run_abandon(run: FeedRun, *, error: str) -> bool:
    """Fail ``run`` if it is still running; give its changes back and delete its files.

    False when it was no longer running (it finished, or another process failed it).
    """
    now = timezone.now()
    with transaction.atomic():
        failed = FeedRun.objects.filter(pk=run.pk, status=FeedRunStatus.RUNNING).update(
            status=FeedRunStatus.FAILED, finished_at=now, lease_until=None, error=error
        )
        if failed and run.changes_since:
            Feed.objects.filter(pk=run.feed_id).update(
                dirty_since=Coalesce("dirty_since", run.changes_since)
            )
    run.refresh_from_db()
    if run.parts and not run.files_deleted:
        run_files_delete(run)
    return bool(failed)


def stale_runs_abandon() -> int:
    """Fail every running run whose lease lapsed: its worker died or stalled."""
    stale = FeedRun.objects.filter(status=FeedRunStatus.RUNNING, lease_until__lt=timezone.now())
    error = _("The worker stopped before the run finished (its lease lapsed).")
    return sum(run_abandon(run, error=error) for run in stale)


def _run_start(feed: Feed, channel: FeedChannel | None, *, trigger: str, full: bool) -> FeedRun:
    with transaction.atomic():
        locked = Feed.objects.select_for_update().get(pk=feed.pk)
        now = timezone.now()
        running = FeedRun.objects.filter(feed=locked, status=FeedRunStatus.RUNNING).first()
        if running is not None:
            if running.lease_until and running.lease_until >= now:
                raise FeedRunBusy(locked.slug)
            run_abandon(
                running, error=_("The worker stopped before the run finished (its lease lapsed).")
            )
            locked.refresh_from_db()
        delta = (
            not full
            and channel is not None
            and channel.supports_deltas
            and locked.deltas
            and not locked.full_due
            and locked.current_run_id is not None
        )
        try:
            with transaction.atomic():
                run = FeedRun.objects.create(
                    feed=locked,
                    started_at=now,
                    lease_until=now + dt.timedelta(seconds=lease_seconds()),
                    kind=FeedRunKind.DELTA if delta else FeedRunKind.FULL,
                    trigger=trigger,
                    changes_since=locked.dirty_since,
                )
        except IntegrityError:
            raise FeedRunBusy(locked.slug) from None
        Feed.objects.filter(pk=locked.pk).update(dirty_since=None)
    feed.refresh_from_db()
    return run


# --- writing --------------------------------------------------------------------------------


@dataclass
class Tally:
    candidates: int = 0
    written: int = 0
    withdrawn: int = 0
    unchanged: int = 0
    refused: int = 0


def _missing_reason(label: str) -> str:
    return _("Missing: %(field)s") % {"field": label}


class Stream:
    """The accepted products of one run, as the writer consumes them."""

    def __init__(self, *, feed, run, channel, spec, journal, lease) -> None:
        self.feed, self.run, self.channel, self.spec = feed, run, channel, spec
        self.journal, self.lease = journal, lease
        self.tally = Tally()
        self.delta = run.kind == FeedRunKind.DELTA

    def _candidates(self):
        groups = [group for group in (self.feed.price_group, *self.feed.buyer_groups) if group]
        return feed_candidates(
            channel_key=self.feed.channel,
            languages=self.feed.language_codes,
            category_slugs=list(self.feed.category_slugs or []),
            price_groups=groups,
        )

    def products(self) -> Iterator[FeedProduct]:
        kept: set[str] = set()
        for chunk in iter_chunks(self._candidates(), CANDIDATE_CHUNK):
            self.lease.renew()
            held = held_items(self.feed, (c.product.sku for c in chunk)) if self.delta else {}
            refusals = []
            for candidate in chunk:
                self.tally.candidates += 1
                product = candidate.product
                reasons = [_missing_reason(label) for label in candidate.missing]
                if not reasons:
                    # str(): a format may give lazy translations, which JSON cannot hold.
                    reasons = [str(reason) for reason in self.channel.refusals(product, self.spec)]
                if reasons:
                    refusals.append(
                        FeedRefusal(
                            run=self.run,
                            sku=product.sku,
                            product_id=candidate.product_id,
                            reasons=reasons,
                        )
                    )
                    continue
                kept.add(product.sku)
                hashes = product_hashes(product)
                if self.delta:
                    changes = changes_between(hashes, held.get(product.sku))
                    if not changes:
                        self.tally.unchanged += 1
                        continue
                    product = dataclasses.replace(product, changes=changes)
                self.journal.sent(product, hashes)
                self.tally.written += 1
                yield product
            self.tally.refused += len(refusals)
            FeedRefusal.objects.bulk_create(refusals, batch_size=REFUSAL_BATCH)
        if self.delta:
            for product in held_but_gone(self.feed, kept):
                self.journal.withdrawn(product.sku)
                self.tally.withdrawn += 1
                yield product


def _first_and_rest(products: Iterator[FeedProduct]) -> Iterator[FeedProduct] | None:
    """``products`` unchanged, or None when it yields nothing (a delta with no change)."""
    first = next(products, None)
    if first is None:
        return None

    def chained():
        yield first
        yield from products

    return chained()


def _validation_errors(channel: FeedChannel, spec: FeedSpec, parts: list[FeedPart]) -> list[str]:
    errors: list[str] = []
    for part in parts:
        errors.extend(
            message if message.startswith(part.name) else f"{part.name}: {message}"
            for message in map(str, channel.validate(spec, part))
        )
    return errors


def _push(feed: Feed, channel: FeedChannel, spec: FeedSpec, parts: list[FeedPart]) -> None:
    """Hand the validated parts to the receiver's bucket or server, when the feed pushes.

    Before the switch: a push that fails fails the run, so the receiver's state
    (``FeedItem``) never counts changes it did not get, and the next run sends them again.
    """
    if not feed.push_url:
        return
    try:
        target = parse_push_target(
            feed.push_url, host_key=feed.push_host_key, secret=feed.push_secret
        )
    except ValidationError as exc:
        raise ValueError(
            _("The push target is not usable: %(problems)s") % {"problems": " ".join(exc.messages)}
        ) from None
    media_type = channel.media_type_for(spec)
    try:
        push_files(
            target,
            [(part.name, part.path) for part in parts],
            media_types={part.name: media_type for part in parts},
        )
    except PushFailed as exc:
        raise ValueError(_("Pushing failed: %(reason)s") % {"reason": exc.reason}) from None


def _finish(feed: Feed, run: FeedRun, *, tally: Tally, journal: Journal | None) -> None:
    """Switch the served file to ``run``: the one transaction that makes it current."""
    from channels.services import webhook_event_record

    now = timezone.now()
    counts = dataclasses.asdict(tally)
    with transaction.atomic():
        Feed.objects.select_for_update().get(pk=feed.pk)
        if not FeedRun.objects.filter(pk=run.pk, status=FeedRunStatus.RUNNING).update(
            status=FeedRunStatus.SUCCEEDED, finished_at=now, lease_until=None, **counts
        ):
            raise RunLost(_("The run's lease lapsed and the run was given up."))
        items_apply(feed=feed, journal=journal, full=run.kind == FeedRunKind.FULL, at=now)
        Feed.objects.filter(pk=feed.pk).update(current_run=run)
        if run.kind == FeedRunKind.FULL:
            # Unless the settings were changed again while this run was under way.
            Feed.objects.filter(pk=feed.pk, updated_at__lte=run.started_at).update(full_due=False)
        feed.refresh_from_db()
        webhook_event_record(event="feed.generated", instance=feed)
    run.refresh_from_db()
    logger.info(
        "feed.generated feed=%s run=%s kind=%s written=%s withdrawn=%s refused=%s",
        feed.slug,
        run.pk,
        run.kind,
        tally.written,
        tally.withdrawn,
        tally.refused,
    )


def _nothing_changed(feed: Feed, run: FeedRun, tally: Tally) -> None:
    FeedRun.objects.filter(pk=run.pk, status=FeedRunStatus.RUNNING).update(
        status=FeedRunStatus.UNCHANGED,
        finished_at=timezone.now(),
        lease_until=None,
        **dataclasses.asdict(tally),
    )
    run.refresh_from_db()
    logger.info("feed.unchanged feed=%s run=%s", feed.slug, run.pk)


def _generate(feed: Feed, run: FeedRun, channel: FeedChannel, folder: Path) -> None:
    lease = RunLease(run)
    since = feed.current_run.started_at if run.kind == FeedRunKind.DELTA else None
    spec = feed_spec(feed, generated_at=run.started_at, since=since)
    journal = Journal(folder / "items.jsonl")
    parts_folder = folder / "parts"
    parts_folder.mkdir()
    stream = Stream(feed=feed, run=run, channel=channel, spec=spec, journal=journal, lease=lease)
    try:
        products = stream.products()
        if run.kind == FeedRunKind.DELTA:
            products = _first_and_rest(products)
            if products is None:
                _nothing_changed(feed, run, stream.tally)
                return
        sink = DirectorySink(parts_folder)
        channel.write(spec, products, sink)
    finally:
        journal.close()
    FeedRun.objects.filter(pk=run.pk).update(**dataclasses.asdict(stream.tally))
    if not sink.parts:
        raise ValueError(_("The format wrote no file."))
    lease.renew()
    errors = _validation_errors(channel, spec, sink.parts)
    if errors:
        shown = errors[:MAX_ERRORS]
        if len(errors) > MAX_ERRORS:
            shown.append(_("… and %(count)s more.") % {"count": len(errors) - MAX_ERRORS})
        raise ValueError(_("The file does not validate:") + "\n" + "\n".join(shown))
    lease.renew()
    parts_store(run, sink.parts)
    lease.renew()
    _push(feed, channel, spec, sink.parts)
    _finish(feed, run, tally=stream.tally, journal=journal)
    old_runs_prune(feed)


def feed_generate(*, feed: Feed, trigger: str = FeedTrigger.MANUAL, full: bool = False) -> FeedRun:
    """Generate ``feed``'s file now (a delta when the format and feed take one, unless
    ``full``); the run, succeeded, unchanged or failed with its error.

    Raises ``FeedRunBusy`` while another run of the feed holds its lease.
    """
    try:
        channel = feed_channel(feed)
    except ValueError as exc:
        # Recorded as a failed run: shown on the feed's page, and retried only after the wait.
        run = _run_start(feed, None, trigger=trigger, full=True)
        run_abandon(run, error=str(exc))
        run.refresh_from_db()
        return run
    run = _run_start(feed, channel, trigger=trigger, full=full)
    logger.info(
        "feed.run_started feed=%s run=%s kind=%s trigger=%s", feed.slug, run.pk, run.kind, trigger
    )
    try:
        with tempfile.TemporaryDirectory(prefix="hub-feed-") as folder:
            _generate(feed, run, channel, Path(folder))
    except Exception as exc:
        logger.exception("feed.run_failed feed=%s run=%s", feed.slug, run.pk)
        message = str(exc) or type(exc).__name__
        if not isinstance(exc, (ValueError, RunLost)):
            message = f"{type(exc).__name__}: {message}"
        run_abandon(run, error=message)
        old_runs_prune(feed)
    run.refresh_from_db()
    return run

"""Celery tasks of the audience: thin, take ids, call one service, safe to run twice."""

import logging

from celery import shared_task

from channels.exceptions import TransportError

logger = logging.getLogger(__name__)


@shared_task(
    name="campaigns.tasks.send_consent_confirmation",
    autoretry_for=(TransportError,),
    retry_backoff=60,
    retry_backoff_max=3600,
    max_retries=8,
)
def send_consent_confirmation(record_id: int) -> None:
    """Mail an opt-in's confirmation link; nothing once it is confirmed or replaced.

    A mail server or SES that cannot take it now is tried again later, with backoff.
    """
    from campaigns.services.consent import consent_confirmation_send

    consent_confirmation_send(record_id=record_id)


@shared_task(name="campaigns.tasks.journey_evaluate_contacts")
def journey_evaluate_contacts(contact_ids: list[int]) -> None:
    """Move the contacts that just reported events or orders along their journey."""
    from campaigns.services.journey import journey_evaluate

    journey_evaluate(contact_ids=contact_ids)


@shared_task(name="campaigns.tasks.journey_evaluate_all")
def journey_evaluate_all() -> None:
    """The nightly run: time-based moves (a cart gone stale, an order 90 days old)."""
    from campaigns.services.journey import journey_evaluate

    journey_evaluate()


@shared_task(name="campaigns.tasks.run_import_job")
def run_import_job(job_id: int) -> None:
    """Run a queued file import (or its dry run); nothing if it is not queued any more."""
    from campaigns.services.imports import import_job_run

    import_job_run(job_id=job_id)


@shared_task(name="campaigns.tasks.sync_crm")
def sync_crm() -> None:
    """Import what changed in every configured CRM (HUB_CRM); nothing when none is."""
    from campaigns.services.sync import crm_sync_all

    crm_sync_all()


@shared_task(name="campaigns.tasks.import_erp_files")
def import_erp_files() -> None:
    """Import the files waiting in HUB_ERP_IMPORT_LOCATION; nothing when it is not set."""
    from campaigns.services.sync import erp_import_files

    erp_import_files()


@shared_task(name="campaigns.tasks.campaigns_tick", ignore_result=True)
def campaigns_tick() -> None:
    """Every 30 s (beat): dispatch due campaigns, pick A/B winners, keep batches flowing."""
    from campaigns.services.sending import campaigns_advance

    campaigns_advance()


@shared_task(name="campaigns.tasks.segment_state_refresh", ignore_result=True)
def segment_state_refresh() -> None:
    """Every 30 s (beat): rebuild the segment sets the intakes marked, recheck the saved
    segments for the contacts they touched, store their members and counts."""
    from campaigns.services.segment_state import segment_state_refresh as refresh

    refresh()


@shared_task(name="campaigns.tasks.segment_state_rebuild", ignore_result=True)
def segment_state_rebuild() -> None:
    """Nightly (beat): build every segment set, order day and membership again."""
    from campaigns.services.segment_state import segment_state_rebuild as rebuild

    rebuild()


@shared_task(name="campaigns.tasks.tracking_hits_anonymise", ignore_result=True)
def tracking_hits_anonymise() -> None:
    """Blank addresses and user agents of tracking hits past their retention."""
    from campaigns.services.privacy import tracking_hits_anonymise_old

    tracking_hits_anonymise_old()


@shared_task(name="campaigns.tasks.results_refresh_due", ignore_result=True)
def results_refresh_due() -> None:
    """Every minute (beat): recount the delivery states of campaigns sending or just done."""
    from campaigns.measurement.intake import results_refresh_due as refresh

    refresh()


@shared_task(
    name="campaigns.tasks.send_campaign_batch",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def send_campaign_batch(campaign_id: int, claim: str) -> None:
    """Send one claimed batch, then claim the next one of the campaign, if any is due."""
    from campaigns.services.sending import batch_send_and_continue

    batch_send_and_continue(campaign_id=campaign_id, claim=claim)


@shared_task(name="campaigns.tasks.feeds_regenerate_due", ignore_result=True)
def feeds_regenerate_due() -> None:
    """Every 30 seconds: give up runs whose worker died, queue a run for each due feed."""
    from campaigns.feeds.runs import stale_runs_abandon
    from campaigns.feeds.triggers import feeds_due

    stale_runs_abandon()
    for feed_id, trigger in feeds_due():
        # Expires: a run not started before the next tick is queued again by that tick.
        feed_generate.apply_async((feed_id, trigger), expires=60)


@shared_task(name="campaigns.tasks.feed_generate", ignore_result=True)
def feed_generate(feed_id: int, trigger: str, full: bool = False) -> None:
    """Generate one feed's file; nothing while another run of it is under way, and nothing
    for a queued change or schedule that an earlier run already took care of."""
    from campaigns.feeds.runs import FeedRunBusy
    from campaigns.feeds.runs import feed_generate as generate
    from campaigns.feeds.triggers import feeds_due
    from campaigns.models import Feed

    feed = Feed.objects.filter(pk=feed_id).first()
    if feed is None:
        return
    if trigger != "manual" and not feeds_due(feed_ids=[feed_id]):
        return
    try:
        generate(feed=feed, trigger=trigger, full=full)
    except FeedRunBusy:
        logger.info("feed.busy feed=%s", feed.slug)


@shared_task(name="campaigns.tasks.catalogue_plan", ignore_result=True)
def catalogue_plan(run_id: int) -> None:
    """Plan a queued catalogue run and queue its parts (render queue)."""
    from campaigns.catalogues.runs import run_plan

    run_plan(run_id)


@shared_task(
    name="campaigns.tasks.catalogue_render_part",
    ignore_result=True,
    acks_late=True,
    reject_on_worker_lost=True,
)
def catalogue_render_part(run_id: int, index: int) -> None:
    """Render one part of a catalogue run's body; the last part done queues the assembly.
    Run twice, it renders its own part again and queues nothing twice."""
    from campaigns.catalogues.runs import part_render

    part_render(run_id, index)


@shared_task(name="campaigns.tasks.catalogue_assemble", ignore_result=True)
def catalogue_assemble(run_id: int) -> None:
    """Join a catalogue run's parts with the front and back matter, per version."""
    from campaigns.catalogues.runs import run_assemble

    run_assemble(run_id)


@shared_task(name="campaigns.tasks.catalogue_runs_sweep", ignore_result=True)
def catalogue_runs_sweep() -> None:
    """Every few minutes (beat): fail catalogue runs whose workers died (lease lapsed)."""
    from campaigns.catalogues.leases import stale_runs_abandon

    stale_runs_abandon()


@shared_task(name="campaigns.tasks.offers_refresh_accounts", ignore_result=True)
def offers_refresh_accounts(account_ids: list[int]) -> None:
    """Recompute the offers of accounts whose orders just changed (a batch of them)."""
    from campaigns.offers.refresh import offers_refresh

    offers_refresh(account_ids=account_ids)


@shared_task(name="campaigns.tasks.offers_refresh_nightly", ignore_result=True)
def offers_refresh_nightly() -> None:
    """Every night: every account's offers again, so re-orders fall due with the calendar,
    lapsed habits drop out and catalogue changes reach the offers."""
    from campaigns.offers.refresh import offers_refresh_all

    offers_refresh_all()


# The refresh runs every 30 s; it stops after this long so two runs never overlap for long.
PLACEMENT_REFRESH_SECONDS = 20.0


@shared_task(name="campaigns.tasks.placement_audience_refresh_task", ignore_result=True)
def placement_audience_refresh_task() -> int:
    """Every 30 s (beat): recompute stale contacts' placement segments, batch by batch.

    Stops when none is stale or after ~20 s; the next run goes on where this one stopped.
    """
    import time

    from campaigns.placements.audience import placement_audience_refresh

    started = time.monotonic()
    refreshed = 0
    while time.monotonic() - started < PLACEMENT_REFRESH_SECONDS:
        done = placement_audience_refresh()
        refreshed += done
        if not done:
            break
    return refreshed


@shared_task(name="campaigns.tasks.placement_audience_rebuild_task", ignore_result=True)
def placement_audience_rebuild_task() -> None:
    """Every 15 minutes, and when placement segments change: every contact stale again."""
    from campaigns.placements.audience import placement_audience_rebuild

    placement_audience_rebuild()

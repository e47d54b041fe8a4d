"""Celery tasks of the audience: thin, take ids, call one service, safe to run twice."""

from celery import shared_task


@shared_task(name="campaigns.tasks.send_consent_confirmation")
def send_consent_confirmation(record_id: int) -> None:
    """Mail an opt-in's confirmation link; nothing once it is confirmed or replaced."""
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

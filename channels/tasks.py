"""Background work for channel integration: webhook delivery and its retries."""

from celery import shared_task

from . import services


@shared_task(name="channels.tasks.deliver_webhook")
def deliver_webhook(delivery_id: int) -> None:
    """Make the next attempt of a delivery if it is due. Running it twice sends once."""
    services.webhook_deliver(delivery_id=delivery_id)


@shared_task(name="channels.tasks.retry_due_webhooks")
def retry_due_webhooks() -> None:
    """Queue every delivery whose retry is due (beat, every minute)."""
    services.webhook_retry_due()

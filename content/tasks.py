"""Background work for content."""

from celery import shared_task
from django.core.management import call_command


@shared_task(name="content.tasks.publish_scheduled_content")
def publish_scheduled_content() -> None:
    """Make approved content with a due go-live date live, and expire what has expired.

    Only revisions that passed the workflow carry an approved go-live date, so this never
    publishes a draft. Running it twice is harmless: due items are already live.
    """
    call_command("publish_scheduled", verbosity=0)

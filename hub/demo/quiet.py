"""Seeding without side effects: no workflow e-mails, and quiet logs unless asked."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

from wagtail.admin import signal_handlers as admin_notifications
from wagtail.models import TaskState, WorkflowState
from wagtail.signals import task_submitted, workflow_approved, workflow_rejected, workflow_submitted

# Wagtail's workflow notifications (wagtail.admin.signal_handlers): seeding would otherwise
# send a few hundred "submitted"/"approved" e-mails to the demo users (or try to reach an SMTP
# server that is not there).
WORKFLOW_EMAIL_SIGNALS = (
    (
        task_submitted,
        TaskState,
        admin_notifications.task_submission_email_notifier,
        "group_approval_task_submitted_email_notification",
    ),
    (
        workflow_submitted,
        WorkflowState,
        admin_notifications.workflow_submission_email_notifier,
        "workflow_state_submitted_email_notification",
    ),
    (
        workflow_rejected,
        WorkflowState,
        admin_notifications.workflow_rejection_email_notifier,
        "workflow_state_rejected_email_notification",
    ),
    (
        workflow_approved,
        WorkflowState,
        admin_notifications.workflow_approval_email_notifier,
        "workflow_state_approved_email_notification",
    ),
)


# Wagtail logs a line per revision and publication, WeasyPrint one per rendering step.
CHATTY_LOGGERS = ("wagtail", "weasyprint")


@contextmanager
def quiet_seeding(*, verbose: bool) -> Iterator[None]:
    """No notification e-mails, and no INFO lines per object unless ``verbose``."""
    disconnected = [
        (signal, sender, receiver, uid)
        for signal, sender, receiver, uid in WORKFLOW_EMAIL_SIGNALS
        if signal.disconnect(sender=sender, dispatch_uid=uid)
    ]
    loggers = {name: logging.getLogger(name) for name in CHATTY_LOGGERS}
    levels = {name: logger.level for name, logger in loggers.items()}
    if not verbose:
        for logger in loggers.values():
            logger.setLevel(logging.WARNING)
    try:
        yield
    finally:
        for name, logger in loggers.items():
            logger.setLevel(levels[name])
        for signal, sender, receiver, uid in disconnected:
            signal.connect(receiver, sender=sender, dispatch_uid=uid)

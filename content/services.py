"""Every write to product content and audience messages outside the admin's own views.

The admin writes through Wagtail's views; these services do the same things for commands,
imports and tests, through the same Wagtail machinery, so the audit log and revisions are
identical whichever way a change came in.
"""

from __future__ import annotations

from django.db import transaction
from wagtail.log_actions import log
from wagtail.models import Revision, WorkflowState

from .exceptions import NotAReviewer, NotInReview, WorkflowNotConfigured
from .models import ContentModel


@transaction.atomic
def content_save_draft(*, obj: ContentModel, user) -> Revision:
    """Save ``obj`` as a new draft revision. A live item's published version is untouched."""
    is_new = obj.pk is None
    if is_new or not obj.live:
        if is_new:
            obj.live = False
        obj.save()
    revision = obj.save_revision(user=user, log_action=False)
    log(
        instance=obj,
        action="wagtail.create" if is_new else "wagtail.edit",
        user=user,
        revision=revision,
        content_changed=True,
    )
    return revision


@transaction.atomic
def content_submit(*, obj: ContentModel, user) -> WorkflowState:
    """Save ``obj`` as a draft and start its approval workflow at the first step."""
    workflow = obj.get_workflow()
    if workflow is None:
        raise WorkflowNotConfigured(
            f"No approval workflow is assigned to {obj._meta.verbose_name}."
        )
    content_save_draft(obj=obj, user=user)
    # After "Request changes", a resubmission goes through every step again.
    current = obj.current_workflow_state
    if current is not None and current.status == WorkflowState.STATUS_NEEDS_CHANGES:
        current.cancel(user=user)
    return workflow.start(type(obj).objects.get(pk=obj.pk), user)


def _current_task(obj: ContentModel, user):
    task_state = obj.current_workflow_task_state
    if task_state is None:
        raise NotInReview(f"{obj} is not awaiting review.")
    task = task_state.task.specific
    if not any(name for name, *_ in task.get_actions(obj, user)):
        raise NotAReviewer(f"{user} does not review the step {task.name!r}.")
    return task_state, task


@transaction.atomic
def content_approve(*, obj: ContentModel, user, comment: str = "") -> WorkflowState:
    """Approve the current step; approving the last step publishes the reviewed revision."""
    task_state, task = _current_task(obj, user)
    task.on_action(task_state, user, "approve", comment=comment)
    return task_state.workflow_state


@transaction.atomic
def content_reject(*, obj: ContentModel, user, comment: str) -> WorkflowState:
    """Send the item back to its editor with a comment saying what to change."""
    task_state, task = _current_task(obj, user)
    task.on_action(task_state, user, "reject", comment=comment)
    return task_state.workflow_state

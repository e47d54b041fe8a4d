"""What happens when the content approval workflow finishes."""


def publish_approved_revision(workflow_state, user=None) -> None:
    """Publish exactly the revision the reviewers approved.

    No group holds the "publish" permission: approval by every step is the authority, so the
    final approver's own permissions are not checked again here (Wagtail's default action
    would, and would also publish whatever revision happens to be the latest).
    """
    # Imported here: Wagtail imports this module while its models are loading.
    from wagtail.models import TaskState

    task_state = (
        workflow_state.task_states.filter(status=TaskState.STATUS_APPROVED)
        .select_related("revision")
        .order_by("-finished_at", "-pk")
        .first()
    )
    revision = (
        task_state.revision if task_state else workflow_state.content_object.get_latest_revision()
    )
    revision.publish(user=user, skip_permission_checks=True)

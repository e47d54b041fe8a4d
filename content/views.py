"""Admin views for content that differ from Wagtail's snippet views."""

import json

from django.core.exceptions import PermissionDenied
from wagtail.models import WorkflowState
from wagtail.snippets.views.snippets import EditView, UnpublishView


class ContentEditView(EditView):
    """Wagtail's snippet editor with the hub's approval rules."""

    def form_valid(self, form):
        # Refuse a hand-made "Request changes" without a comment before anything is saved.
        if self.action == "workflow-action" and self.workflow_action == "reject":
            try:
                extra = json.loads(self.request.POST.get("workflow-action-extra-data") or "{}")
            except json.JSONDecodeError:
                extra = {}
            if not isinstance(extra, dict) or not str(extra.get("comment") or "").strip():
                raise PermissionDenied("Requesting changes needs a comment for the editor.")
        return super().form_valid(form)

    def save_instance(self):
        # The editor saves a new revision on every post, an approval with nothing changed
        # included; with re-approval on edit, that revision would restart the workflow at
        # the first step, so approving from the editor could never get past it
        # (wagtail#13563). An unchanged approval is not an edit.
        if self.action == "workflow-action" and not self.form.has_changed():
            self.new_revision = None
            return self.object
        return super().save_instance()

    def submit_action(self):
        # After "Request changes" the edited item goes through every step again, from the
        # first, on the revision just saved. (Wagtail would resume at the rejecting step,
        # on the revision it had before this save.)
        if self.workflow_state and self.workflow_state.status == WorkflowState.STATUS_NEEDS_CHANGES:
            self.workflow_state.cancel(user=self.request.user)
        self.workflow.start(type(self.object).objects.get(pk=self.object.pk), self.request.user)
        return None


class WithdrawView(UnpublishView):
    """Unpublish, allowed by the "unpublish" permission instead of "publish".

    Taking content off the channels must not require the right to put content on them
    around the approval workflow.
    """

    permission_required = "unpublish"

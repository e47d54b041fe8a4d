"""Admin views for content that differ from Wagtail's snippet views."""

import json

from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from wagtail.admin import messages
from wagtail.contrib.simple_translation.forms import SubmitTranslationForm
from wagtail.contrib.simple_translation.views import SubmitSnippetTranslationView
from wagtail.models import TaskState, WorkflowState
from wagtail.snippets.permissions import get_permission_name
from wagtail.snippets.views.snippets import EditView, UnpublishView, WorkflowActionView

from .services import content_translate, translation_progress_record
from .translation_state import approval_outcome


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
        instance = super().save_instance()
        translation_progress_record(
            obj=self.form.instance,
            user=self.request.user,
            confirmed=self.form.cleaned_data.get("translation_confirmed") or (),
        )
        return instance

    def get_success_message(self, instance=None):
        if self.action == "workflow-action" and self.workflow_action == "approve":
            return approval_outcome(type(self.object).objects.get(pk=self.object.pk))
        return super().get_success_message(instance)

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


class ContentWorkflowActionView(WorkflowActionView):
    """Approve or request changes from outside the editor (the dashboard's task list),
    saying afterwards what the approval did."""

    def post(self, request, *args, **kwargs):
        response = super().post(request, *args, **kwargs)
        if self.action_name == "approve" and self.task_state.status != TaskState.STATUS_IN_PROGRESS:
            obj = type(self.object).objects.get(pk=self.object.pk)
            messages.success(request, approval_outcome(obj))
        return response


class TranslateView(SubmitSnippetTranslationView):
    """simple_translation's "Translate" form for products and audience messages.

    The target language is ticked when only one is missing; each copy is made by
    ``content_translate``, which remembers the source's text so the copy's untranslated
    fields can be shown. Making a copy adds an item: the "add" permission is needed too.
    """

    def get_object(self):
        obj = super().get_object()
        if not self.request.user.has_perm(get_permission_name("add", type(obj))):
            raise PermissionDenied
        return obj

    def get_form(self):
        if self.request.method == "POST":
            return SubmitTranslationForm(self.object, self.request.POST)
        form = SubmitTranslationForm(self.object)
        missing = list(form.fields["locales"].queryset)
        if len(missing) == 1:
            form.initial["locales"] = [missing[0].pk]
        return form

    def post(self, request, **kwargs):
        form = self.get_form()
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(**kwargs))
        locales = list(form.cleaned_data["locales"])
        copies = content_translate(obj=self.object, locales=locales, user=request.user)
        if len(copies) == 1:
            languages = locales[0].get_display_name()
        else:
            languages = ngettext("%(count)s language", "%(count)s languages", len(copies)) % {
                "count": len(copies)
            }
        messages.success(
            request,
            _("Created %(languages)s for “%(object)s”: translate the fields marked below.")
            % {"languages": languages, "object": self.object},
        )
        return redirect(self.get_success_url(copies[0] if len(copies) == 1 else None))

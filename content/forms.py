from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.forms import TaskStateCommentForm


class RejectWithCommentForm(TaskStateCommentForm):
    """ "Request changes" in the content approval workflow: the editor must learn why."""

    comment = forms.CharField(
        label=_("Comment"),
        required=True,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Tell the editor what to change."),
    )

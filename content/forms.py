from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.forms import TaskStateCommentForm

from .translation_state import field_labels, untranslated_fields


class RejectWithCommentForm(TaskStateCommentForm):
    """ "Request changes" in the content approval workflow: the editor must learn why."""

    comment = forms.CharField(
        label=_("Comment"),
        required=True,
        widget=forms.Textarea({"rows": 2}),
        help_text=_("Tell the editor what to change."),
    )


class ContentForm(WagtailAdminModelForm):
    """The edit form of products and audience messages.

    On a copy made by "Translate", the editor may confirm fields whose text is right as it
    is (a product name, a brand): they then no longer count as untranslated.
    """

    translation_confirmed = forms.MultipleChoiceField(
        label=_("Correct as it is in this language"),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Tick a field whose text reads the same in both languages."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        pending = untranslated_fields(self.instance)
        self.fields["translation_confirmed"].choices = list(
            zip(pending, field_labels(type(self.instance), pending), strict=True)
        )


class ProductForm(ContentForm):
    """The product edit form; checks the spare parts and accessories against each other
    and against the product, with the error on the row's ``related`` field."""

    def clean(self):
        cleaned_data = super().clean()
        relations = self.formsets.get("relations")
        if relations is not None:
            self._check_relations(relations)
        return cleaned_data

    def _check_relations(self, formset) -> None:
        seen = set()
        own_key = self.instance.translation_key if self.instance.pk else None
        for form in formset.forms:
            if not form.is_valid() or formset._should_delete_form(form):
                continue
            kind, related = form.cleaned_data.get("kind"), form.cleaned_data.get("related")
            if not kind or related is None:
                continue
            if own_key is not None and related.translation_key == own_key:
                form.add_error("related", _("A product cannot be related to itself."))
                continue
            if (kind, related.translation_key) in seen:
                form.add_error(
                    "related", _("This product is already listed as this kind of relation.")
                )
                continue
            seen.add((kind, related.translation_key))

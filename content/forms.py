from functools import partial

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


# Child rows whose chooser shows a chosen object: (formset, field).
_CHOSEN = (("images", "image"), ("documents", "document"), ("relations", "related"))
CHOOSER_PREVIEW = "max-165x165"  # what wagtail.images.widgets.AdminImageChooser shows


class ProductForm(ContentForm):
    """The product edit form; checks the spare parts and accessories against each other
    and against the product, with the error on the row's ``related`` field.

    Its queries don't grow with the product's rows: the choosers of images, documents and
    related products get their objects from one query per kind, and the category labels
    (which name the parents) from one query.
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        categories = self.fields.get("categories")
        if categories is not None:
            categories.queryset = categories.queryset.select_related("parent__parent__parent")
        if not self.is_bound:
            for name, field in _CHOSEN:
                formset = self.formsets.get(name)
                if formset is not None:
                    _load_chosen(formset, field)

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


def _load_chosen(formset, field: str) -> None:
    """Hand each row's chooser widget its chosen object, fetched for all rows at once: a
    chooser given an id fetches the object itself (``get_instance``), one query per row."""
    forms = [form for form in formset.forms if form.initial.get(field) is not None]
    if not forms:
        return
    model = formset.model._meta.get_field(field).related_model
    objects = model._default_manager.all()
    if hasattr(objects, "prefetch_renditions"):
        objects = objects.prefetch_renditions(CHOOSER_PREVIEW)  # the chooser's thumbnail
    found = objects.in_bulk([form.initial[field] for form in forms])
    for form in forms:
        widget = form.fields[field].widget  # each form holds its own copy
        if hasattr(widget, "get_instance"):
            widget.get_instance = partial(_preloaded, found, widget.get_instance)


def _preloaded(found: dict, fetch, value):
    try:
        return found[int(value)]
    except (KeyError, TypeError, ValueError):
        return fetch(value)

"""Journey rules in the admin: ordered, editable, with the segment rule editor."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm
from wagtail.admin.panels import FieldPanel, ObjectList
from wagtail.admin.ui.tables import BooleanColumn, Column
from wagtail.admin.viewsets.model import ModelViewSet

from campaigns.models import JourneyRule
from campaigns.segments import clean_rules
from content.taxonomy import JourneyPhase

from .segments import RuleTreeField, RuleTreeWidget

NO_PHASE_YET = ("", _("No phase yet"))


class JourneyRuleForm(WagtailAdminModelForm):
    from_phases = forms.MultipleChoiceField(
        label=_("Only from phases"),
        choices=[NO_PHASE_YET, *JourneyPhase.choices],
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave all unticked to apply the rule whatever the contact's phase."),
    )

    class Meta:
        model = JourneyRule
        fields = ["name", "phase", "from_phases", "conditions", "sort_order", "is_active"]
        widgets = {"conditions": RuleTreeWidget}
        field_classes = {"conditions": RuleTreeField}

    def save(self, commit=True):
        # The conditions were validated afresh: what the last evaluation saw no longer holds.
        self.instance.last_error, self.instance.last_error_at = "", None
        return super().save(commit=commit)

    def clean_conditions(self):
        try:
            return clean_rules(self.cleaned_data.get("conditions"))
        except ValidationError as error:
            raise ValidationError(error.messages) from None


def _from_phases(rule: JourneyRule) -> str:
    labels = dict([NO_PHASE_YET, *JourneyPhase.choices])
    return ", ".join(str(labels.get(phase, phase)) for phase in rule.from_phases) or str(_("any"))


class JourneyRuleViewSet(ModelViewSet):
    model = JourneyRule
    icon = "resubmit"
    menu_label = _("Journey rules")
    copy_view_enabled = True
    inspect_view_enabled = False
    sort_order_field = "sort_order"
    list_display = [
        Column("sort_order", label=_("Order")),
        "name",
        Column("phase", label=_("Moves to"), accessor="get_phase_display"),
        Column("from_phases", label=_("Only from"), accessor=_from_phases),
        BooleanColumn("is_active", label=_("Active")),
        Column("last_error", label=_("Problem")),
    ]
    list_filter = ["phase", "is_active"]
    edit_handler = ObjectList(
        [
            FieldPanel("name"),
            FieldPanel("phase"),
            FieldPanel("from_phases"),
            FieldPanel("conditions"),
            FieldPanel("sort_order"),
            FieldPanel("is_active"),
            FieldPanel("last_error", read_only=True),
        ],
        base_form_class=JourneyRuleForm,
    )

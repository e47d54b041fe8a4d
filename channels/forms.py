"""Admin forms for channel integration."""

from django import forms
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .models import Scope
from .registry import get_channels


class ApiClientForm(WagtailAdminModelForm):
    channel = forms.ChoiceField(label=_("Channel"), choices=())
    scopes = forms.MultipleChoiceField(
        label=_("Scopes"),
        choices=Scope.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("What this system may do. Grant only what it needs."),
    )

    class Meta:
        fields = ["name", "channel", "scopes", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (key, channel.name) for key, channel in get_channels().items()
        ]

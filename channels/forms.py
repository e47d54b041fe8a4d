"""Admin forms for channel integration."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm

from .exceptions import UnsafeDestination
from .models import Scope, WebhookEvent
from .registry import get_channels
from .webhooks import check_destination


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


class WebhookEndpointForm(WagtailAdminModelForm):
    url = forms.URLField(
        label=_("URL"),
        max_length=500,
        assume_scheme="https",
        help_text=_("Where the hub POSTs events: a public http:// or https:// address."),
    )
    events = forms.MultipleChoiceField(
        label=_("Events"),
        choices=WebhookEvent.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("The hub POSTs these events to the URL, signed with the endpoint's secret."),
    )

    class Meta:
        fields = ["name", "url", "events", "is_active"]

    def clean_url(self):
        url = self.cleaned_data["url"]
        # The same check as every request makes: say so now instead of failing every attempt.
        try:
            check_destination(url)
        except (ValueError, UnsafeDestination) as exc:
            raise ValidationError(str(exc), code="unsafe_destination") from exc
        return url

    def save(self, commit=True):
        endpoint = self.instance
        if endpoint.is_active and endpoint.disabled_at:
            # Ticking "active" on a disabled endpoint re-enables it with a clean slate.
            endpoint.disabled_at = None
            endpoint.disabled_reason = ""
            endpoint.consecutive_failures = 0
        return super().save(commit=commit)

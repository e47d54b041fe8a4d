"""Admin forms for channel integration."""

from urllib.parse import urlsplit

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
        fields = ["name", "channel", "scopes", "allowed_origins", "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["channel"].choices = [
            (key, channel.name) for key, channel in get_channels().items()
        ]

    def clean_allowed_origins(self) -> str:
        """One origin per line, normalised; the first bad line is named in the error.

        Browsers send ``Origin`` as scheme, host and port only, so anything else (a path,
        a query, a user) could never match and is refused instead of silently ignored.
        """
        origins = []
        lines = (self.cleaned_data.get("allowed_origins") or "").splitlines()
        for number, line in enumerate(lines, start=1):
            text = line.strip()
            if not text:
                continue
            origin = origin_or_none(text)
            if origin is None:
                raise ValidationError(
                    _(
                        "Line %(number)s, “%(line)s”, is not an origin: write the scheme "
                        "(https:// or http://), the host and, if needed, the port, without a "
                        "path, e.g. https://shop.example.com or http://localhost:8000."
                    )
                    % {"number": number, "line": text},
                    code="bad_origin",
                )
            if origin not in origins:
                origins.append(origin)
        return "\n".join(origins)


def origin_or_none(text: str) -> str | None:
    """``scheme://host[:port]`` in lower case, or None when ``text`` is not just an origin."""
    try:
        parts = urlsplit(text)
        port = parts.port
    except ValueError:
        return None
    if parts.scheme.lower() not in ("https", "http") or not parts.hostname:
        return None
    if parts.path not in ("", "/") or parts.query or parts.fragment or "@" in parts.netloc:
        return None
    if text.endswith("#") or text.endswith("?"):
        return None
    host = parts.hostname.lower()
    if ":" in host:  # an IPv6 address keeps its brackets in an origin
        host = f"[{host}]"
    return f"{parts.scheme.lower()}://{host}{f':{port}' if port is not None else ''}"


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

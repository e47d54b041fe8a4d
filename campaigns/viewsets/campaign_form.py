"""The campaign's edit form: channel and topic choices, the sender from the brand
settings, and the checks across its inline rows (A/B arms, placement channels)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from wagtail.admin.forms import WagtailAdminModelForm

from campaigns.branding import brand_settings
from campaigns.topics import topic_choices
from channels.registry import get_channels


def _campaign_channels() -> list[tuple[str, str]]:
    """Channels a campaign can use: those that send, and those that serve placements."""
    return [
        (key, channel.name)
        for key, channel in get_channels().items()
        if channel.sends or channel.serves
    ]


class CampaignForm(WagtailAdminModelForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "channels" in self.fields:
            self.fields["channels"] = forms.MultipleChoiceField(
                label=_("Channels"),
                choices=_campaign_channels(),
                widget=forms.CheckboxSelectMultiple,
                required=False,
                initial=self.instance.channels or ["newsletter"],
            )
        if "topic" in self.fields:
            self.fields["topic"] = forms.ChoiceField(
                label=_("Newsletter topic"),
                choices=[("", _("General (everyone)")), *topic_choices()],
                widget=forms.Select(attrs={"style": "max-width: 40rem;"}),
                required=False,
                help_text=self.fields["topic"].help_text,
            )
        if self.instance.pk is None:
            self._sender_from_brand()

    def _sender_from_brand(self) -> None:
        """A new campaign starts with the sender and reply-to of the brand settings."""
        brand = brand_settings()
        if brand is None:
            return
        for name in ("sender_name", "sender_email", "reply_to"):
            if name in self.fields and not getattr(self.instance, name):
                self.initial.setdefault(name, getattr(brand, name))

    def clean(self):
        cleaned = super().clean()
        arms = self.formsets.get("arms")
        if arms is not None and arms.is_valid():
            labels = [
                form.cleaned_data["label"]
                for form in arms.forms
                if form.cleaned_data and not form.cleaned_data.get("DELETE")
            ]
            if len(labels) != len(set(labels)):
                self.add_error(None, _("Each A/B arm letter may be used once."))
            if len(labels) == 1:
                self.add_error(None, _("An A/B test needs at least two arms (or none)."))
            for name in ("contents", "placements"):
                rows = self.formsets.get(name)
                if rows is not None and rows.is_valid():
                    for form in rows.forms:
                        arm = (form.cleaned_data or {}).get("arm")
                        if arm and arm not in labels and not form.cleaned_data.get("DELETE"):
                            form.add_error("arm", _("There is no arm %(arm)s.") % {"arm": arm})
        self._check_placement_channels(cleaned.get("channels") or [])
        return cleaned

    def _check_placement_channels(self, channels: list[str]) -> None:
        # Content for a slot of a shop the campaign does not run in would never be shown.
        placements = self.formsets.get("placements")
        if placements is None or not placements.is_valid():
            return
        for form in placements.forms:
            data = form.cleaned_data or {}
            placement = data.get("placement")
            if placement is None or data.get("DELETE") or placement.channel in channels:
                continue
            form.add_error(
                "placement",
                _("Choose the channel “%(channel)s” too: this slot is on its pages.")
                % {"channel": placement.channel},
            )

"""Forms of the audience admin: the contact form and the forms of the contact and
suppression actions (opt-in, opt-out, phase, suppress, erase)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from wagtail.admin.forms import WagtailAdminModelForm

from campaigns.models import Contact, SuppressionReason, normalise_email
from content.taxonomy import JourneyPhase


class ContactForm(WagtailAdminModelForm):
    def clean_email(self):
        # Stored normalised: compare in that form, so "A@x.de" is refused next to "a@x.de".
        email = normalise_email(self.cleaned_data["email"])
        others = Contact.objects.filter(email=email).exclude(pk=self.instance.pk)
        if others.exists():
            raise forms.ValidationError(_("A contact with this e-mail address already exists."))
        return email


def _source_field(help_text: str = "") -> forms.CharField:
    """Where a consent or suppression came from, as its evidence records it."""
    return forms.CharField(
        label=gettext_lazy("Source"), max_length=50, initial="admin", help_text=help_text
    )


class OptInForm(forms.Form):
    text_version = forms.CharField(
        label=gettext_lazy("Consent text version"),
        max_length=100,
        help_text=gettext_lazy(
            "The version of the consent text the contact agreed to, e.g. 'newsletter-2026-01'."
        ),
    )
    source = _source_field(
        gettext_lazy("Where the opt-in was given: trade fair, phone, admin, ...")
    )


class OptOutForm(forms.Form):
    source = _source_field()


class PhaseForm(forms.Form):
    phase = forms.ChoiceField(label=gettext_lazy("New journey phase"), choices=JourneyPhase.choices)
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=255)


class SuppressForm(forms.Form):
    source = _source_field(gettext_lazy("Why, in a word: admin, request by phone, legal, ..."))


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Reason"),
        max_length=500,
        help_text=gettext_lazy(
            "The request this erasure answers, e.g. its ticket number. No personal data."
        ),
    )
    confirm = forms.BooleanField(
        label=gettext_lazy("I understand that the contact's personal data is erased for good."),
    )


class SuppressionForm(forms.Form):
    email = forms.EmailField(label=gettext_lazy("E-mail address"))
    reason = forms.ChoiceField(
        label=gettext_lazy("Reason"),
        choices=SuppressionReason.choices,
        initial=SuppressionReason.MANUAL,
    )
    source = _source_field(gettext_lazy("Where the request came from: phone, letter, legal, ..."))

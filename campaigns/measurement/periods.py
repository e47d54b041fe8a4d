"""The period a report covers: a form of two dates, read from the query string, with defaults.

A report view mixes in ``PeriodMixin`` and names its form; the page shows it with
``{% include "campaigns/measurement/period_form.html" with fallback=... %}``. An invalid
period is explained above the charts, and the default period is shown instead.
"""

from __future__ import annotations

from django import forms
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from core.validators import validate_date_window


class PeriodForm(forms.Form):
    start = forms.DateField(
        label=_("From"),
        validators=[validate_date_window],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    end = forms.DateField(
        label=_("To"),
        validators=[validate_date_window],
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    @staticmethod
    def defaults() -> dict:
        raise NotImplementedError

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end and end < start:
            raise forms.ValidationError(_("The period must end after it starts."))
        if start and end:
            self.clean_period(data)
        return data

    def clean_period(self, data: dict) -> None:
        """Further checks of a period that ends after it starts; raise ValidationError."""


class PeriodMixin:
    """For a report view: ``period_form`` from the query string, ``period`` to compute with."""

    period_form_class: type[PeriodForm]

    @cached_property
    def period_form(self) -> PeriodForm:
        form_class = self.period_form_class
        if set(form_class.base_fields) & set(self.request.GET):
            return form_class(self.request.GET)
        return form_class(initial=form_class.defaults())

    @cached_property
    def period(self) -> dict:
        form = self.period_form
        if form.is_bound and form.is_valid():
            return form.cleaned_data
        return self.period_form_class.defaults()

"""Surveys: one NPS, CSAT or CES question, asked in a newsletter block or by a personal link.

The answers are ``survey_answer`` events (``value``: the score), so campaign figures and
segments read them like any other behaviour.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SurveyKind(models.TextChoices):
    NPS = "nps", _("Net Promoter Score (0-10)")
    CSAT = "csat", _("Customer satisfaction (1-5)")
    CES = "ces", _("Customer effort (1-7)")


# The scores a kind's answer may take, lowest first.
SCORES: dict[str, range] = {
    SurveyKind.NPS: range(0, 11),
    SurveyKind.CSAT: range(1, 6),
    SurveyKind.CES: range(1, 8),
}

# The languages a survey's texts come in; any other language gets the English ones.
SURVEY_LANGUAGES = ("de", "en")


class Survey(models.Model):
    """A question, its scale's end labels, the follow-up question and the thank-you text.

    Texts come in German and English, as contacts' languages do (``SURVEY_LANGUAGES``): a
    recipient reads them in the language of their newsletter version or their contact.
    """

    name = models.CharField(_("name"), max_length=200, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=SurveyKind.choices)
    question_de = models.CharField(_("question (German)"), max_length=300)
    question_en = models.CharField(_("question (English)"), max_length=300)
    low_label_de = models.CharField(_("lowest score label (German)"), max_length=60, blank=True)
    low_label_en = models.CharField(_("lowest score label (English)"), max_length=60, blank=True)
    high_label_de = models.CharField(_("highest score label (German)"), max_length=60, blank=True)
    high_label_en = models.CharField(_("highest score label (English)"), max_length=60, blank=True)
    follow_up_de = models.CharField(
        _("follow-up question (German)"),
        max_length=300,
        blank=True,
        help_text=_("Asked after the score, e.g. 'What is the main reason for your score?'"),
    )
    follow_up_en = models.CharField(_("follow-up question (English)"), max_length=300, blank=True)
    thanks_de = models.CharField(_("thank-you text (German)"), max_length=300)
    thanks_en = models.CharField(_("thank-you text (English)"), max_length=300)
    active = models.BooleanField(
        _("active"),
        default=True,
        help_text=_("Inactive surveys take no answers, and newsletters cannot use them."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("survey")
        verbose_name_plural = _("surveys")
        permissions = [("view_survey_results", _("Can view survey results"))]

    def __str__(self) -> str:
        return self.name

    @property
    def scores(self) -> range:
        return SCORES[self.kind]

    def text(self, name: str, language: str) -> str:
        """The text ``name`` (question, low_label, ...) in ``language``, German or English."""
        suffix = "de" if language.lower()[:2] == "de" else "en"
        return getattr(self, f"{name}_{suffix}")

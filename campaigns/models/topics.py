"""Newsletter topics: what a campaign is about, and what a contact may decline.

Campaign managers edit them in the admin (Audience > Newsletter topics). The ``key`` is what
campaigns (``Campaign.topic``) and contacts (``Contact.declined_topics``) store, so it is
fixed once saved; the label has one field per language of ``settings.LANGUAGES``
(``label_de``, ``label_en``, ...) and is shown in the reader's language: the admin user's,
or the recipient's on the preference page.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import translation
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


def label_field_name(language: str) -> str:
    return f"label_{language.replace('-', '_').lower()}"


class NewsletterTopic(models.Model):
    key = models.SlugField(
        _("key"),
        max_length=50,
        unique=True,
        help_text=_(
            "Stored with campaigns and with the topics a contact declined: it cannot be "
            "changed once saved."
        ),
    )
    sort_order = models.PositiveSmallIntegerField(
        pgettext_lazy("position in a list", "order"),
        default=0,
        help_text=_("Topics are listed by this number, smallest first."),
    )

    class Meta:
        ordering = ("sort_order", "key")
        verbose_name = _("newsletter topic")
        verbose_name_plural = _("newsletter topics")

    def __str__(self) -> str:
        return self.label()

    def label(self, language: str | None = None) -> str:
        """The label in ``language`` (default: the active one), else in LANGUAGE_CODE."""
        language = language or translation.get_language() or settings.LANGUAGE_CODE
        for code in (language, language.split("-")[0], settings.LANGUAGE_CODE):
            text = getattr(self, label_field_name(code), "")
            if text:
                return text
        return self.key


for _code, _name in settings.LANGUAGES:
    NewsletterTopic.add_to_class(
        label_field_name(_code),
        models.CharField(format_lazy("{} ({})", _("label"), _name), max_length=100),
    )
del _code, _name

"""The sender's brand and legal details, one set per site, edited under Settings.

Commercial mail in Germany must name the sender's identity and postal address (TMG § 5,
UWG § 7), so every newsletter, the double opt-in mail and the public pages a recipient
reaches from them read these. The footer text has one field per content language
(``settings.WAGTAIL_CONTENT_LANGUAGES``): ``footer_text_de``, ``footer_text_en``, ...
"""

from __future__ import annotations

from email.utils import formataddr

from django.conf import settings
from django.db import models
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, MultiFieldPanel
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting


def footer_field_name(language: str) -> str:
    return f"footer_text_{language.replace('-', '_').lower()}"


@register_setting(icon="site")
class BrandSettings(BaseSiteSetting):
    company_name = models.CharField(_("company name"), max_length=200, blank=True)
    logo = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("logo"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    postal_address = models.TextField(
        _("postal address"),
        blank=True,
        help_text=_("Street, postcode and town: commercial e-mail must show it."),
    )
    imprint_url = models.URLField(_("imprint URL"), blank=True)
    privacy_url = models.URLField(_("privacy policy URL"), blank=True)
    sender_name = models.CharField(
        _("sender name"),
        max_length=100,
        blank=True,
        help_text=_("The default sender of new campaigns and of the double opt-in mail."),
    )
    sender_email = models.EmailField(_("sender address"), blank=True)
    reply_to = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        verbose_name = _("brand and legal details")

    @property
    def sender(self) -> str:
        """The From header, e.g. "ACME Marketing <news@acme.example>"; "" without an address."""
        if not self.sender_email:
            return ""
        return formataddr((self.sender_name, self.sender_email))

    def footer_text(self, language: str) -> str:
        return getattr(self, footer_field_name(language), "") or ""


for _code, _name in settings.WAGTAIL_CONTENT_LANGUAGES:
    BrandSettings.add_to_class(
        footer_field_name(_code),
        models.TextField(
            format_lazy("{} ({})", _("footer text"), _name),
            blank=True,
            help_text=_("Shown at the foot of every newsletter in this language."),
        ),
    )
del _code, _name

LANGUAGES = settings.WAGTAIL_CONTENT_LANGUAGES

BrandSettings.panels = [
    MultiFieldPanel(
        [
            FieldPanel("company_name"),
            FieldPanel("logo"),
            FieldPanel("postal_address"),
            FieldPanel("imprint_url"),
            FieldPanel("privacy_url"),
        ],
        heading=_("Company and legal details"),
    ),
    MultiFieldPanel(
        [FieldPanel("sender_name"), FieldPanel("sender_email"), FieldPanel("reply_to")],
        heading=_("Sender"),
    ),
    MultiFieldPanel(
        [FieldPanel(footer_field_name(code)) for code, _label in LANGUAGES],
        heading=_("Footer"),
    ),
]

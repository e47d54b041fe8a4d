"""Which text of a copy made by "Translate" is still the source language's."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from wagtail.models import Locale

from . import AudienceMessage, Product


class TranslationProgress(models.Model):
    """One translated copy: its source's text at copy time, and the fields still to translate.

    A field counts as translated once its text differs from the source's, or once an editor
    confirmed that it reads the same in both languages (a product name, a brand). Text is
    compared without markup and runs of whitespace, so saving rich text unchanged through the
    editor does not count as translating it.
    """

    product = models.OneToOneField(
        Product,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="translation_progress",
    )
    message = models.OneToOneField(
        AudienceMessage,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="translation_progress",
    )
    source_locale = models.ForeignKey(
        Locale, on_delete=models.PROTECT, related_name="+", verbose_name=_("source language")
    )
    # Field name -> the source's text (markup removed) when the copy was made.
    source_text = models.JSONField(_("source text"), default=dict)
    # Field names whose text is still the source's, in the model's field order.
    pending = models.JSONField(_("still to translate"), default=list)
    # Field names an editor confirmed to read the same in both languages.
    confirmed = models.JSONField(_("confirmed as the same"), default=list)
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("translation progress")
        verbose_name_plural = _("translation progress")
        constraints = [
            models.CheckConstraint(
                condition=(
                    Q(product__isnull=False, message__isnull=True)
                    | Q(product__isnull=True, message__isnull=False)
                ),
                name="content_translationprogress_one_object",
            )
        ]

    def __str__(self) -> str:
        return f"{self.content_object}: {', '.join(self.pending) or '-'}"

    @property
    def content_object(self):
        return self.product if self.product_id else self.message

"""Building approved newsletter campaigns for tests: content, audience, approval."""

from __future__ import annotations

from wagtail.rich_text import RichText

from campaigns.models import Campaign, CampaignArm, CampaignContent
from content.services import content_approve, content_submit
from tests.factories import AudienceMessageFactory, CampaignFactory, SegmentFactory, locale

EVERYONE = {"op": "and", "rules": []}


def live_message(language: str = "de", *, role: str = "", phase: str = "", **fields):
    """A live audience message (its own approval is content's business, tested there)."""
    fields.setdefault("headline", f"Botschaft {language} {role or 'alle'} {phase or 'alle'}")
    fields.setdefault("live", True)
    return AudienceMessageFactory(locale=locale(language), role=role, phase=phase, **fields)


def newsletter_campaign(
    *,
    languages=("de",),
    rules=None,
    arms=(),
    message_required: bool = True,
    extra_blocks=(),
    **fields,
) -> Campaign:
    """A draft campaign for everyone reachable (or ``rules``), one version per language."""
    segment = SegmentFactory(rules=rules or EVERYONE)
    campaign = CampaignFactory(segment=segment, channels=["newsletter"], **fields)
    for language in languages:
        CampaignContent.objects.create(
            campaign=campaign,
            locale=locale(language),
            subject=f"Neuheiten für Sie ({language})",
            body=[
                ("text", RichText("<p>Unsere Neuheiten im Überblick.</p>")),
                ("message", {"product": None, "required": message_required}),
                *extra_blocks,
            ],
        )
    for label, share in arms:
        CampaignArm.objects.create(campaign=campaign, label=label, share=share)
    return Campaign.objects.get(pk=campaign.pk)


def approve(campaign: Campaign, *, manager, approvers) -> Campaign:
    """Submit as the campaign manager; each approver approves their step in order."""
    content_submit(obj=campaign, user=manager)
    for approver in approvers:
        content_approve(obj=Campaign.objects.get(pk=campaign.pk), user=approver)
    return Campaign.objects.get(pk=campaign.pk)

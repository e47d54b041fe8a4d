"""Planning a campaign: what keeps it from being scheduled, scheduling, pausing, cancelling.

Approval itself is Wagtail's workflow ("Campaign approval"): approving its last step
publishes the revision, and Wagtail's ``published`` signal (received in
``campaigns/apps.py``) calls ``campaign_mark_approved``. These
services take it from there; sending is ``campaigns.services.sending``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from types import SimpleNamespace

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from channels.base import BaseChannel, DeliveryResult
from channels.registry import get_channels

from ..models import (
    Campaign,
    CampaignStatus,
    Delivery,
    DeliveryState,
    ScheduleMode,
)
from ..models.campaign import PLANNING_STATES
from ..personalisation import (
    Missing,
    VariantResolver,
    audience_combos,
    audience_variants,
    campaign_missing_content,
    parse_variant_key,
    variant_skus,
)
from ..placements.cache import content_version_bump
from ..placements.resolve import campaign_missing_placements
from ..selectors import recipients_for, segment_contacts
from ..tracking import (
    WebVersionOfTestSend,
    token_of_test_send,
    web_version_token_of_test_send,
)

logger = logging.getLogger(__name__)


class CampaignError(Exception):
    """A campaign action that cannot be done now; the message says why, for the admin."""


class CampaignNotReady(CampaignError):
    def __init__(self, problems: list[str]):
        super().__init__(" ".join(problems))
        self.problems = problems


def _arm_problems(campaign: Campaign) -> list[str]:
    arms = list(campaign.arms.all())
    if not arms:
        if campaign.winner_after_hours or campaign.winner_metric:
            return [_("A winner rule needs A/B arms.")]
        return []
    problems = []
    if not 2 <= len(arms) <= 4:
        problems.append(_("An A/B test has 2 to 4 arms."))
    used = sum(arm.share for arm in arms) + campaign.holdout_percent
    if campaign.winner_after_hours:
        if not campaign.winner_metric:
            problems.append(_("Choose how the winner is measured (click rate or revenue)."))
        if used >= 100:
            problems.append(
                _(
                    "With a winner rule the arms and the holdout must leave part of the audience "
                    "for the winner (they take %(used)s %%)."
                )
                % {"used": used}
            )
    elif used != 100:
        problems.append(
            _("The arms and the holdout must add up to 100 %% (they add up to %(used)s %%).")
            % {"used": used}
        )
    return problems


def campaign_problems(campaign: Campaign, *, now: dt.datetime | None = None) -> list[str]:
    """Why the campaign's approved version cannot be scheduled now; empty when it can.

    Checked against live content: a variant of the audience without an approved message for
    a required slot, or without a version in its language, is listed by name.
    """
    problems: list[str] = []
    if not campaign.is_approved:
        problems.append(_("The campaign is not approved: submit it for approval first."))
    if campaign.segment_id is None:
        problems.append(_("Choose a segment."))
    elif campaign.segment.include_all:
        problems.append(
            _("Segment “%(name)s” includes contacts without consent (analysis only).")
            % {"name": campaign.segment.name}
        )
    channels = get_channels()
    if not campaign.channels:
        problems.append(_("Choose at least one channel."))
    sending, serving = [], []
    for key in campaign.channels:
        channel = channels.get(key)
        if channel is not None and channel.sends:
            sending.append(key)
        elif channel is not None and channel.serves:
            serving.append(key)
        else:
            problems.append(_("Channel “%(key)s” cannot send campaigns.") % {"key": key})
    # A campaign only shown in placements sends nothing: it needs no sender.
    if sending and not campaign.sender_email:
        problems.append(_("Set a sender address."))
    problems.extend(_arm_problems(campaign))
    if campaign.segment_id is not None and not campaign.segment.include_all:
        combos = audience_combos(campaign.segment, now=now)
        if not combos:
            problems.append(_("The segment has no reachable contacts."))
        if sending or not serving:
            problems.extend(str(missing) for missing in campaign_missing_content(campaign, combos))
        problems.extend(
            str(missing) for missing in campaign_missing_placements(campaign, serving, combos)
        )
    elif serving:
        problems.extend(
            str(missing) for missing in campaign_missing_placements(campaign, serving, set())
        )
    return problems


def _locked(campaign: Campaign) -> Campaign:
    return Campaign.objects.select_for_update().get(pk=campaign.pk)


def _save_state(campaign: Campaign, *fields: str) -> None:
    # Only operational columns: the row's content is the approved (live) version.
    campaign.save(update_fields=[*fields, "updated_at"])


@transaction.atomic
def campaign_schedule(
    *,
    campaign: Campaign,
    mode: str,
    user,
    send_at: dt.datetime | None = None,
    local_time: dt.time | None = None,
    now: dt.datetime | None = None,
) -> Campaign:
    """Schedule the approved campaign: now, at ``send_at``, or at ``local_time`` per recipient.

    In local mode ``send_at`` gives the day, and each contact gets the mail at ``local_time``
    in their own time zone. Raises ``CampaignNotReady`` with every problem at once.
    """
    now = now or timezone.now()
    campaign = _locked(campaign)
    if campaign.status != CampaignStatus.APPROVED:
        raise CampaignError(
            _("Only an approved campaign can be scheduled; this one is %(status)s.")
            % {"status": campaign.get_status_display().lower()}
        )
    problems = campaign_problems(campaign, now=now)
    mode = ScheduleMode(mode)
    if mode == ScheduleMode.AT and (send_at is None or send_at < now - dt.timedelta(minutes=1)):
        problems.append(_("Give a time in the future to send at."))
    if mode == ScheduleMode.LOCAL and (send_at is None or local_time is None):
        problems.append(_("Give the day and the local time to send at."))
    if problems:
        raise CampaignNotReady(problems)
    campaign.schedule_mode = mode
    campaign.send_at = now if mode == ScheduleMode.NOW else send_at
    campaign.local_send_time = local_time if mode == ScheduleMode.LOCAL else None
    campaign.status = CampaignStatus.SCHEDULED
    campaign.scheduled_by = user
    _save_state(campaign, "schedule_mode", "send_at", "local_send_time", "status", "scheduled_by")
    log(instance=campaign, action="campaigns.campaign.schedule", user=user)
    _placement_segments_changed(campaign)
    content_version_bump()  # its placements start serving
    logger.info(
        "campaign.scheduled campaign=%s mode=%s send_at=%s", campaign.pk, mode, campaign.send_at
    )
    return campaign


def _switch(*, campaign: Campaign, user, source: str, target: str, action: str, refusal: str):
    campaign = _locked(campaign)
    if campaign.status != source:
        raise CampaignError(refusal)
    campaign.status = target
    _save_state(campaign, "status")
    content_version_bump()  # a paused campaign's placements stop at once, resumed start
    log(instance=campaign, action=f"campaigns.campaign.{action}", user=user)
    return campaign


@transaction.atomic
def campaign_pause(*, campaign: Campaign, user) -> Campaign:
    """Stop handing out batches; the batches already sending finish."""
    return _switch(
        campaign=campaign,
        user=user,
        source=CampaignStatus.RUNNING,
        target=CampaignStatus.PAUSED,
        action="pause",
        refusal=_("Only a running campaign can be paused."),
    )


@transaction.atomic
def campaign_resume(*, campaign: Campaign, user) -> Campaign:
    """Hand out batches again, from where the campaign was paused."""
    campaign = _switch(
        campaign=campaign,
        user=user,
        source=CampaignStatus.PAUSED,
        target=CampaignStatus.RUNNING,
        action="resume",
        refusal=_("Only a paused campaign can be resumed."),
    )
    _placement_segments_changed(campaign)
    return campaign


def _placement_segments_changed(campaign: Campaign) -> None:
    """A campaign with placements now serves: every contact's placement segments again.

    Pausing or cancelling needs nothing: serving skips such campaigns whatever is stored.
    """
    if campaign.placements.exists():
        from campaigns.tasks import placement_audience_rebuild_task

        transaction.on_commit(placement_audience_rebuild_task.delay)


@transaction.atomic
def campaign_cancel(*, campaign: Campaign, user) -> Campaign:
    """Cancel before done: nothing more is sent once the batches already sending finish."""
    campaign = _locked(campaign)
    if campaign.status in (CampaignStatus.DONE, CampaignStatus.CANCELLED):
        raise CampaignError(_("A finished or cancelled campaign cannot be cancelled."))
    campaign.status = CampaignStatus.CANCELLED
    campaign.finished_at = timezone.now()
    _save_state(campaign, "status", "finished_at")
    Delivery.objects.filter(
        campaign=campaign, state__in=[DeliveryState.QUEUED, DeliveryState.WAITING]
    ).update(state=DeliveryState.CANCELLED, updated_at=timezone.now())
    log(instance=campaign, action="campaigns.campaign.cancel", user=user)
    content_version_bump()  # its placements stop at once
    logger.info("campaign.cancelled campaign=%s", campaign.pk)
    return campaign


def campaign_mark_approved(*, campaign: Campaign) -> None:
    """Called when the approval workflow publishes the campaign."""
    Campaign.objects.filter(pk=campaign.pk, status__in=PLANNING_STATES).update(
        status=CampaignStatus.APPROVED, updated_at=timezone.now()
    )


# --- preview and test sends (of the latest version, approved or not) ---------------------------

TEST_SEND_LIMIT = 10


def campaign_variant_keys(campaign: Campaign) -> list[str]:
    """The variants worth previewing: those of the segment's audience, else one per language."""
    combos = audience_combos(campaign.segment, limit=200) if campaign.segment_id else set()
    if not combos:
        combos = {(content.locale.language_code, "", "") for content in campaign.contents.all()}
    return audience_variants(campaign, combos)


def _sample_recipient(campaign: Campaign, key: str, variant, email: str | None = None):
    """A contact of the variant from the segment (or a made-up one) as the channel sees it."""
    locale, role, phase, _arm = parse_variant_key(key)
    contact = None
    if campaign.segment_id is not None:
        contact = (
            segment_contacts(campaign.segment)
            .filter(language=locale, role=role, phase=phase)
            .select_related("account")
            .order_by("pk")
            .first()
        )
    if contact is None:
        contact = SimpleNamespace(
            pk=0,
            email="erika.mustermann@example.com",
            salutation="ms",
            first_name="Erika",
            last_name="Mustermann",
            account_id=None,
            account=None,
        )
    delivery = SimpleNamespace(pk=0, contact_id=contact.pk, contact=contact)
    recipient = recipients_for([delivery], locale, skus=variant_skus(variant))[0]
    return dataclasses.replace(recipient, email=email) if email else recipient


def _draft(campaign: Campaign) -> Campaign:
    return campaign.get_latest_revision_as_object() if campaign.latest_revision_id else campaign


def _draft_variant(draft: Campaign, key: str):
    variant, missing = VariantResolver(draft).resolve(key)
    if variant is None:
        raise CampaignError("; ".join(str(item) for item in missing))
    return variant, missing


def _personal_channel(draft: Campaign) -> BaseChannel:
    """The first of the campaign's channels that sends to each recipient (the newsletter).

    Previews and test sends show what that channel makes of a variant for one recipient.
    """
    channels = get_channels()
    for key in draft.channels:
        channel = channels.get(key)
        if channel is not None and channel.sends and channel.per_recipient:
            return channel
    raise CampaignError(
        _("None of the campaign's channels sends to each recipient: there is nothing to preview.")
    )


def campaign_preview(*, campaign: Campaign, key: str) -> tuple[str, list[Missing]]:
    """The latest version of variant ``key`` as a sample contact of it would get it (HTML).

    Shown as the first of the campaign's channels that sends to each recipient renders it.
    """
    draft = _draft(campaign)
    channel = _personal_channel(draft)
    variant, missing = _draft_variant(draft, key)
    rendered = channel.render(variant)
    return channel.preview(rendered, _sample_recipient(campaign, key, variant)), missing


def campaign_test_send(
    *, campaign: Campaign, key: str, addresses: list[str], user
) -> list[DeliveryResult]:
    """Send the latest version of one variant to a few addresses, marked as a test.

    Test mails go through the first of the campaign's channels that sends to each
    recipient, one mail per address, and have no delivery row: their links carry a test
    token (``campaigns.tracking.token_of_test_send``), so clicks redirect and the
    unsubscribe and preference pages explain that this was a test, and nothing counts in
    the campaign's results.
    """
    if not 1 <= len(addresses) <= TEST_SEND_LIMIT:
        raise CampaignError(
            _("Give 1 to %(limit)s addresses for a test.") % {"limit": TEST_SEND_LIMIT}
        )
    draft = _draft(campaign)
    channel = _personal_channel(draft)
    variant, _missing = _draft_variant(draft, key)
    rendered = channel.render(_test_variant(variant))
    sample = _sample_recipient(campaign, key, variant)
    locale = parse_variant_key(key)[0]
    # The web version shows the very revision that was sent (a later edit changes nothing).
    revision_id = campaign.latest_revision_id
    recipients = [
        dataclasses.replace(
            sample,
            email=address,
            token=token_of_test_send(campaign.pk, locale, address),
            web_token=web_version_token_of_test_send(campaign.pk, revision_id, key, address),
        )
        for address in addresses
    ]
    results = channel.deliver(rendered, recipients)
    log(
        instance=campaign,
        action="campaigns.campaign.test_send",
        user=user,
        data={"variant": key, "addresses": len(addresses)},
    )
    return results


def _test_variant(variant):
    return dataclasses.replace(variant, subject=f"[TEST] {variant.subject}")


def campaign_test_web_version(*, test: WebVersionOfTestSend) -> str:
    """The web version of a test mail: the revision and variant it showed, as it showed them.

    Raises CampaignError when the campaign, its revision or the variant's content is gone.
    """
    campaign = Campaign.objects.filter(pk=test.campaign_id).first()
    if campaign is None:
        raise CampaignError(_("This campaign no longer exists."))
    if test.revision_id is None:
        draft = campaign
    else:
        revision = campaign.revisions.filter(pk=test.revision_id).first()
        if revision is None:
            raise CampaignError(_("This version of the campaign no longer exists."))
        draft = revision.as_object()
    channel = _personal_channel(draft)
    variant, _missing = _draft_variant(draft, test.variant_key)
    rendered = channel.render(_test_variant(variant))
    sample = _sample_recipient(campaign, test.variant_key, variant)
    recipient = dataclasses.replace(
        sample,
        email=test.email,
        token=test.token,
        web_token=web_version_token_of_test_send(
            test.campaign_id, test.revision_id, test.variant_key, test.email
        ),
    )
    return channel.preview(rendered, recipient)

"""Writes to a contact that need evidence: a journey phase set by hand."""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from wagtail.log_actions import log

from campaigns.models import Contact, PhaseChange
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.services.segment_state import segment_state_note_contacts
from content.taxonomy import JourneyPhase

logger = logging.getLogger(__name__)

PHASE_ACTION = "campaigns.contact.phase"


@transaction.atomic
def contact_phase_set(
    *, contact: Contact, phase: JourneyPhase | str, reason: str, user=None
) -> PhaseChange | None:
    """Move a contact to ``phase`` by hand, recording the change with its reason.

    PhaseChange has no user column: who did it is in the audit log entry
    ("campaigns.contact.phase"). Setting the phase it already has records nothing.
    """
    phase = JourneyPhase(phase)
    contact = Contact.objects.select_for_update().get(pk=contact.pk)
    if contact.phase == phase:
        return None
    change = PhaseChange.objects.create(
        contact=contact,
        from_phase=contact.phase,
        to_phase=phase,
        changed_at=timezone.now(),
        reason=reason[:255],
    )
    contact.phase = phase
    contact.phase_changed_at = change.changed_at
    contact.save(update_fields=["phase", "phase_changed_at", "updated_at"])
    segment_state_note_contacts([contact.pk])
    placement_audience_stale_on_commit([contact.pk])
    log(
        instance=contact,
        action=PHASE_ACTION,
        user=user,
        title=f"Contact #{contact.pk}",
        data={"from": change.from_phase, "to": change.to_phase, "reason": change.reason},
    )
    logger.info(
        "contact.phase_set contact=%s from=%s to=%s", contact.pk, change.from_phase or "-", phase
    )
    return change

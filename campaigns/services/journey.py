"""Moving contacts between journey phases by the ordered, editable journey rules.

Each rule's conditions are a segment rule tree (``campaigns.segments``), so a rule costs one
SQL query per batch of contacts, however many contacts it moves. Rules are tried in order
and the first that matches a contact decides its phase; a contact no rule matches keeps
its phase. Every move is recorded as a PhaseChange naming the rule. A rule that cannot be
evaluated (saved before a validation existed, or edited in the database) is skipped with a
warning and its ``last_error`` set, so the admin shows it; the other rules run.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from campaigns.models import Contact, JourneyRule, PhaseChange
from campaigns.placements.audience import placement_audience_stale_on_commit
from campaigns.segments import compile_rules
from campaigns.services.segment_state import segment_state_note_contacts

logger = logging.getLogger(__name__)

BATCH_SIZE = 5_000
# What a rule saved before today's validation (or edited in the database) can raise: such a
# rule is skipped, never the whole evaluation.
RULE_ERRORS = (ValidationError, OverflowError, ValueError)


@dataclass
class JourneyResult:
    evaluated: int = 0
    moved: Counter[str] = field(default_factory=Counter)  # phase -> contacts moved into it

    @property
    def moved_total(self) -> int:
        return sum(self.moved.values())


def journey_evaluate(
    *,
    contact_ids: Iterable[int] | None = None,
    now: dt.datetime | None = None,
    batch_size: int = BATCH_SIZE,
) -> JourneyResult:
    """Apply the active journey rules to the given contacts (all contacts when None).

    Safe to run twice and beside another run: a move is written only if the contact is
    still in the phase the rules saw, under a row lock.
    """
    now = now or timezone.now()
    rules = _compiled_rules(now)
    result = JourneyResult()
    contacts = Contact.objects.all()
    if contact_ids is not None:
        contacts = contacts.filter(pk__in=list(contact_ids))
    last_pk = 0
    while True:
        phases = dict(
            contacts.filter(pk__gt=last_pk).order_by("pk").values_list("pk", "phase")[:batch_size]
        )
        if not phases:
            break
        last_pk = max(phases)
        result.evaluated += len(phases)
        decided = _decide(phases, rules, now=now)
        _apply(phases, decided, now=now, result=result)
    _clear_errors([rule for rule, _condition in rules if rule.last_error])
    logger.info(
        "journey.evaluated contacts=%s moved=%s rules=%s",
        result.evaluated,
        result.moved_total,
        len(rules),
    )
    return result


def _compiled_rules(now: dt.datetime) -> list[tuple[JourneyRule, Q]]:
    """The active rules with their filters; a rule that does not compile is skipped."""
    compiled = []
    for rule in JourneyRule.objects.filter(is_active=True).order_by("sort_order", "pk"):
        try:
            compiled.append((rule, compile_rules(rule.conditions, now=now)))
        except RULE_ERRORS as error:
            _mark_broken(rule, error, now=now)
    return compiled


def _mark_broken(rule: JourneyRule, error: Exception, *, now: dt.datetime) -> None:
    """Record on the rule why it was skipped, for the admin to show."""
    messages = error.messages if isinstance(error, ValidationError) else [str(error)]
    detail = " ".join(messages) or type(error).__name__
    logger.warning(
        "journey.rule_skipped rule=%s error=%s detail=%r", rule.pk, type(error).__name__, detail
    )
    JourneyRule.objects.filter(pk=rule.pk).update(last_error=detail[:1000], last_error_at=now)


def _clear_errors(rules: list[JourneyRule]) -> None:
    if rules:
        JourneyRule.objects.filter(pk__in=[rule.pk for rule in rules]).update(
            last_error="", last_error_at=None
        )


def _decide(
    phases: dict[int, str], rules: list[tuple[JourneyRule, Q]], *, now: dt.datetime
) -> dict[int, JourneyRule]:
    """The first matching rule of each contact that one matches.

    A rule whose query cannot be built is marked broken and dropped from ``rules``.
    """
    decided: dict[int, JourneyRule] = {}
    for rule, condition in list(rules):
        candidates = [
            pk
            for pk, phase in phases.items()
            if pk not in decided and (not rule.from_phases or phase in rule.from_phases)
        ]
        if not candidates:
            continue
        matching = Contact.objects.filter(pk__in=candidates).filter(condition)
        try:
            # Raised while Django prepares the parameters (a date beyond UTC's range), before
            # any SQL is sent: the transaction stays usable, no savepoint needed.
            matched = list(matching.values_list("pk", flat=True))
        except RULE_ERRORS as error:
            _mark_broken(rule, error, now=now)
            rules.remove((rule, condition))
            continue
        for pk in matched:
            decided[pk] = rule
    return decided


def _apply(
    phases: dict[int, str],
    decided: dict[int, JourneyRule],
    *,
    now: dt.datetime,
    result: JourneyResult,
) -> None:
    moving = {pk: rule for pk, rule in decided.items() if rule.phase != phases[pk]}
    if not moving:
        return
    with transaction.atomic():
        locked = Contact.objects.select_for_update().filter(pk__in=list(moving)).only("phase")
        changed, history = [], []
        for contact in locked:
            if contact.phase != phases[contact.pk]:
                continue  # moved by someone else meanwhile: their move stands
            rule = moving[contact.pk]
            history.append(
                PhaseChange(
                    contact=contact,
                    from_phase=contact.phase,
                    to_phase=rule.phase,
                    changed_at=now,
                    rule=rule,
                    reason=f"Journey rule: {rule.name}"[:255],
                )
            )
            contact.phase, contact.phase_changed_at = rule.phase, now
            changed.append(contact)
            result.moved[rule.phase] += 1
        Contact.objects.bulk_update(changed, ["phase", "phase_changed_at"])
        segment_state_note_contacts(contact.pk for contact in changed)
        PhaseChange.objects.bulk_create(history)
        placement_audience_stale_on_commit(contact.pk for contact in changed)

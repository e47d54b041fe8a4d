"""Survey answers: one ``survey_answer`` event per contact, survey and campaign.

Called by the public survey views once a signed token has named the contact (and the
campaign, for a newsletter's survey), so nothing here checks tokens or knows about HTTP.

A contact has one answer per survey and campaign, under the idempotency key
``<survey>:<campaign or 0>:<contact>`` (source ``survey``). The first answer is stored
through ``events_record``; a later, different score is the contact changing their mind and
replaces the stored one in place (as a changed order updates its ``order`` event), so the
figures count each person once, with the opinion they hold now. The event keeps the first
score and how often it changed in its data, so a changed answer stays visible. A comment
from the follow-up page goes into the same event's data.
"""

from __future__ import annotations

import logging
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from campaigns.models import Contact, Event, EventKind, Survey
from campaigns.services.events import ContactRef, EventInput, events_record
from campaigns.services.segment_state import segment_state_note_events

logger = logging.getLogger(__name__)

SOURCE = "survey"
COMMENT_MAX_LENGTH = 2000


class SurveyClosed(Exception):
    """The survey is inactive: it takes no answers."""


def answer_key(*, survey_id: int, campaign_id: int | None, contact_id: int) -> str:
    return f"{survey_id}:{campaign_id or 0}:{contact_id}"


def _enqueue_journey(contact_id: int) -> None:
    from campaigns.tasks import journey_evaluate_contacts

    transaction.on_commit(lambda: journey_evaluate_contacts.delay([contact_id]))


def survey_answer_record(
    *,
    survey: Survey,
    contact: Contact,
    score: int,
    campaign_id: int | None = None,
    channel: str = "newsletter",
    comment: str | None = None,
) -> Event:
    """Store ``contact``'s answer ``score`` to ``survey`` (in ``campaign_id``), once.

    The same score again changes nothing. Another score replaces the stored one (and its
    time: the answer is the contact's opinion as of now) and counts a change. ``comment``,
    when given, replaces the stored comment. Raises ``SurveyClosed`` for an inactive survey
    and ``ValueError`` for a score outside the survey's scale or an overlong comment.
    """
    if not survey.active:
        raise SurveyClosed(survey.pk)
    if score not in survey.scores:
        raise ValueError(f"Score {score} is not on the {survey.kind} scale.")
    if comment is not None and len(comment) > COMMENT_MAX_LENGTH:
        raise ValueError(f"A comment has at most {COMMENT_MAX_LENGTH} characters.")
    key = answer_key(survey_id=survey.pk, campaign_id=campaign_id, contact_id=contact.pk)
    now = timezone.now()
    with transaction.atomic():
        event = _locked_answer(key)
        if event is None:
            data = {
                "survey": survey.pk,
                "kind": survey.kind,
                "score": score,
                "first_score": score,
                "changes": 0,
                "channel": channel,
                # As they were when answering: results per role and phase read these.
                "role": contact.role,
                "phase": contact.phase,
                "comment": comment or "",
            }
            result = events_record(
                source=SOURCE,
                items=[
                    EventInput(
                        key=key,
                        kind=EventKind.SURVEY_ANSWER,
                        occurred_at=now,
                        contact=ContactRef(email=contact.email),
                        campaign_id=campaign_id,
                        value=Decimal(score),
                        data=data,
                    )
                ],
            )
            if result.errors:
                raise ValueError(result.errors[0].detail)
            event = _locked_answer(key)
            if result.accepted:
                logger.info(
                    "survey.answered survey=%s campaign=%s contact=%s score=%s",
                    survey.pk,
                    campaign_id,
                    contact.pk,
                    score,
                )
                return event
            # A concurrent first answer won the key: this one is a change of that one.
        return _revise(event, score=score, comment=comment, now=now)


def _locked_answer(key: str) -> Event | None:
    return Event.objects.select_for_update().filter(source=SOURCE, idempotency_key=key).first()


def _revise(event: Event, *, score: int, comment: str | None, now) -> Event:
    data = dict(event.data)
    before = (event.occurred_at, event.contact_id)  # the answer moves to today's events
    fields = []
    if data.get("score") != score:
        data["score"] = score
        data["changes"] = int(data.get("changes", 0)) + 1
        event.value = Decimal(score)
        event.occurred_at = now
        fields += ["value", "occurred_at"]
    if comment is not None and comment != data.get("comment", ""):
        data["comment"] = comment
    if data != event.data:
        event.data = data
        event.save(update_fields=[*fields, "data"])
        if "occurred_at" in fields:
            segment_state_note_events([before, (event.occurred_at, event.contact_id)])
        logger.info("survey.revised event=%s score=%s changes=%s", event.pk, score, data["changes"])
        if "value" in fields and event.contact_id is not None:
            _enqueue_journey(event.contact_id)
    return event

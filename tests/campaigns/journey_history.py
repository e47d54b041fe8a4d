"""A known phase history over September to November 2026 (Europe/Berlin), for the journey map.

Period ends: 2026-10-01, 2026-11-01 and 2026-12-01, midnight in Berlin. Each contact's
phase at those three instants (None: not counted), by the rules of campaigns.measurement.journey:

    anna    awareness      awareness      awareness       no history, in awareness since August
    bernd   None           consideration  consideration   no history, phase set 15 October
    clara   consideration  awareness      consideration   forward, back a phase, forward again
    dieter  transaction    transaction    transaction     last change in July, the next in December
    eva     awareness      awareness      awareness       only change in December, from awareness
    frank   None           awareness      awareness       first change at exactly 1 October 00:00
    gina    None           None           awareness       created 10 November, no history
    hanna   never counted                                 no phase, no history
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from campaigns.models import Contact, PhaseChange
from tests.factories import ContactFactory

BERLIN = ZoneInfo("Europe/Berlin")


def at(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> dt.datetime:
    return dt.datetime(year, month, day, hour, minute, tzinfo=BERLIN)


def contact(
    name: str, *, phase: str, created: dt.datetime, phase_since=None, copy: int = 0
) -> Contact:
    email = f"{name}{copy or ''}@example.com"
    person = ContactFactory(email=email, first_name=name.title(), phase=phase)
    Contact.objects.filter(pk=person.pk).update(created_at=created, phase_changed_at=phase_since)
    person.refresh_from_db()
    return person


def move(person: Contact, from_phase: str, to_phase: str, when: dt.datetime) -> None:
    PhaseChange.objects.create(
        contact=person, from_phase=from_phase, to_phase=to_phase, changed_at=when
    )


def known_history(copy: int = 0) -> dict[str, Contact]:
    """The contacts above with their histories; ``copy`` n > 0 makes another set of them."""
    people = {
        "anna": contact("anna", phase="awareness", created=at(2026, 8, 1), copy=copy),
        "bernd": contact(
            "bernd",
            phase="consideration",
            created=at(2026, 8, 1),
            phase_since=at(2026, 10, 15),
            copy=copy,
        ),
        "clara": contact("clara", phase="consideration", created=at(2026, 8, 1), copy=copy),
        "dieter": contact("dieter", phase="experience", created=at(2026, 6, 1), copy=copy),
        "eva": contact("eva", phase="consideration", created=at(2026, 8, 1), copy=copy),
        "frank": contact("frank", phase="awareness", created=at(2026, 9, 15), copy=copy),
        "gina": contact("gina", phase="awareness", created=at(2026, 11, 10), copy=copy),
        "hanna": contact("hanna", phase="", created=at(2026, 8, 1), copy=copy),
    }
    move(people["clara"], "", "awareness", at(2026, 8, 10))
    move(people["clara"], "awareness", "consideration", at(2026, 9, 20))
    move(people["clara"], "consideration", "awareness", at(2026, 10, 5))
    move(people["clara"], "awareness", "consideration", at(2026, 11, 30, 23, 30))
    move(people["dieter"], "", "transaction", at(2026, 7, 1))
    move(people["dieter"], "transaction", "experience", at(2026, 12, 3))
    move(people["eva"], "awareness", "consideration", at(2026, 12, 2))
    move(people["frank"], "", "awareness", at(2026, 10, 1, 0, 0))
    return people

"""Survey results: the answers' counts per score and their score (NPS, CSAT or CES), by group.

Answers are ``survey_answer`` events of source ``survey`` (one per contact, survey and
campaign: ``campaigns.services.surveys``). They are few next to opens and clicks, so the
results are read straight from the events, in one grouped query that the ``(kind,
occurred_at)`` index narrows to survey answers in the window; the survey itself is a key
of the event's data. Role and phase are the contact's when they answered (kept in the
data), the segment is the campaign's target segment.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Literal

from django.db.models import Count, DateField, IntegerField, OuterRef, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Cast, TruncWeek
from django.utils.translation import gettext_lazy as _

from content.taxonomy import BuyingRole, JourneyPhase

from ..models import Campaign, Delivery, Event, EventKind, Survey, SurveyKind
from ..services.surveys import SOURCE
from . import stats

if TYPE_CHECKING:
    from .stats import Score

GroupBy = Literal["campaign", "segment", "role", "phase"]
GROUPINGS: dict[str, str] = {
    "campaign": "campaign_id",
    "segment": "campaign__segment_id",
    "role": "role",
    "phase": "phase",
}
_LABELS: dict[str, str] = {"campaign": "campaign__name", "segment": "campaign__segment__name"}


def _statistic(name: str) -> Callable[[Mapping[int, int]], Score]:
    """The survey statistic ``name`` of ``stats``, imported when first computed."""

    def compute(counts: Mapping[int, int]) -> Score:
        return getattr(stats, name)(counts)

    return compute


STATISTICS: dict[str, Callable[[Mapping[int, int]], Score]] = {
    SurveyKind.NPS: _statistic("nps"),
    SurveyKind.CSAT: _statistic("csat"),
    SurveyKind.CES: _statistic("ces"),
}


@dataclass(frozen=True)
class SurveyGroup:
    """The answers of one group: ``key`` is a campaign or segment id, a role, a phase."""

    key: int | str | None
    label: str
    counts: dict[int, int]  # every score of the scale, 0 where nobody chose it
    score: Score

    @property
    def answers(self) -> int:
        return sum(self.counts.values())


@dataclass(frozen=True)
class SurveyResults:
    survey: Survey
    overall: SurveyGroup
    groups: tuple[SurveyGroup, ...] = ()


def survey_results(
    survey: Survey,
    *,
    campaign: Campaign | None = None,
    group_by: GroupBy | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> SurveyResults:
    """The survey's answers (of ``campaign``, answered in ``[since, until)``), by group.

    ``overall`` sums every group. Groups come in order of their key; answers without one
    (given by link: no campaign; a contact without a role) form the group with key None.
    """
    if group_by is not None and group_by not in GROUPINGS:
        raise ValueError(f"Cannot group by {group_by!r}; use one of {sorted(GROUPINGS)}.")
    answers = Event.objects.filter(
        kind=EventKind.SURVEY_ANSWER, source=SOURCE, data__survey=survey.pk
    )
    if campaign is not None:
        answers = answers.filter(campaign=campaign)
    if since is not None:
        answers = answers.filter(occurred_at__gte=since)
    if until is not None:
        answers = answers.filter(occurred_at__lt=until)
    columns = ["value"]
    if group_by in ("role", "phase"):
        answers = answers.annotate(**{group_by: KeyTextTransform(group_by, "data")})
    if group_by is not None:
        columns = [GROUPINGS[group_by], _LABELS.get(group_by, GROUPINGS[group_by]), "value"]
    rows = answers.order_by().values(*dict.fromkeys(columns)).annotate(answers=Count("pk"))

    by_group: dict[int | str | None, dict[int, int]] = {}
    labels: dict[int | str | None, str] = {}
    for row in rows:
        key = row[GROUPINGS[group_by]] if group_by is not None else None
        if key == "":
            key = None
        counts = by_group.setdefault(key, dict.fromkeys(survey.scores, 0))
        counts[int(row["value"])] = counts.get(int(row["value"]), 0) + row["answers"]
        if group_by is not None:
            labels[key] = _label(group_by, row[_LABELS.get(group_by, GROUPINGS[group_by])])
    statistic = STATISTICS[survey.kind]
    groups = (
        ()
        if group_by is None
        else tuple(
            SurveyGroup(key, labels.get(key, ""), counts, statistic(counts))
            for key, counts in sorted(by_group.items(), key=lambda item: _order(item[0]))
        )
    )
    total = dict.fromkeys(survey.scores, 0)
    for counts in by_group.values():
        for score, count in counts.items():
            total[score] = total.get(score, 0) + count
    overall = SurveyGroup(None, str(_("All answers")), total, statistic(total))
    return SurveyResults(survey, overall, groups)


def _order(key: int | str | None) -> tuple[int, str]:
    return (1, "") if key is None else (0, f"{key:>12}" if isinstance(key, int) else key)


def _label(group_by: str, value: object) -> str:
    if value in (None, ""):
        return str(
            {
                "campaign": _("Without campaign (by link)"),
                "segment": _("Without segment"),
                "role": _("No role"),
                "phase": _("No phase"),
            }[group_by]
        )
    if group_by in ("role", "phase"):
        choices = dict((BuyingRole if group_by == "role" else JourneyPhase).choices)
        return str(choices.get(value, value))
    return str(value)


def survey_weeks(since: datetime, until: datetime) -> dict[int, dict[date, dict[int, int]]]:
    """The counts per score of every survey's answers given in ``[since, until)``, per week.

    ``{survey id: {Monday (in the current time zone): {score: answers}}}``, with only the
    weeks and scores that have answers; one query grouped by survey, week and score.
    """
    rows = (
        Event.objects.filter(
            kind=EventKind.SURVEY_ANSWER,
            source=SOURCE,
            occurred_at__gte=since,
            occurred_at__lt=until,
        )
        .annotate(
            survey_id=Cast(KeyTextTransform("survey", "data"), IntegerField()),
            week=TruncWeek("occurred_at", output_field=DateField()),
        )
        .order_by()
        .values("survey_id", "week", "value")
        .annotate(answers=Count("pk"))
    )
    weeks: dict[int, dict[date, dict[int, int]]] = {}
    for row in rows:
        counts = weeks.setdefault(row["survey_id"], {}).setdefault(row["week"], {})
        counts[int(row["value"])] = counts.get(int(row["value"]), 0) + row["answers"]
    return weeks


def campaign_survey_results(campaign: Campaign, *, by_arm: bool = False) -> list[SurveyResults]:
    """The results of every survey answered in ``campaign``, by survey name; with
    ``by_arm``, grouped by the A/B arm of the contact's delivery (answers of erased contacts
    form the group with key None). One query grouped by survey (, arm) and score.
    """
    answers = Event.objects.filter(
        kind=EventKind.SURVEY_ANSWER, source=SOURCE, campaign=campaign
    ).annotate(survey_id=Cast(KeyTextTransform("survey", "data"), IntegerField()))
    columns = ["survey_id", "value"]
    if by_arm:
        # The arm is the delivery's: one per contact and campaign, whatever the channel.
        arm = (
            Delivery.objects.filter(
                campaign_id=OuterRef("campaign_id"), contact_id=OuterRef("contact_id")
            )
            .order_by("pk")
            .values("arm")[:1]
        )
        answers = answers.annotate(arm=Subquery(arm))
        columns = ["survey_id", "arm", "value"]
    rows = answers.order_by().values(*columns).annotate(answers=Count("pk"))
    counts: dict[int, dict[str | None, dict[int, int]]] = {}
    for row in rows:
        key = (row["arm"] or None) if by_arm else None
        by_key = counts.setdefault(row["survey_id"], {})
        cell = by_key.setdefault(key, {})
        cell[int(row["value"])] = cell.get(int(row["value"]), 0) + row["answers"]
    surveys = Survey.objects.filter(pk__in=[key for key in counts if key is not None])
    results = []
    for survey in surveys:
        statistic = STATISTICS[survey.kind]
        groups = []
        total = dict.fromkeys(survey.scores, 0)
        for key, cell in sorted(counts[survey.pk].items(), key=lambda item: _order(item[0])):
            group = {**dict.fromkeys(survey.scores, 0), **cell}
            for score, count in cell.items():
                total[score] = total.get(score, 0) + count
            label = str(_("Arm %(arm)s") % {"arm": key}) if key else str(_("No arm"))
            groups.append(SurveyGroup(key, label, group, statistic(group)))
        overall = SurveyGroup(None, str(_("All answers")), total, statistic(total))
        results.append(SurveyResults(survey, overall, tuple(groups) if by_arm else ()))
    return results

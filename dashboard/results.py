"""A campaign's survey results per question (docs/architecture.md §6.11): what the completed
surveys answered, filtered by date, language, attempt and contact attributes, optionally broken
down by one attribute.

A fixed handful of queries whatever the size of the campaign: the questionnaire; the responses
in the set (with, for a breakdown, the most frequent groups); one GROUP BY over the answers of
the set by (position, status, value) — free text by (position, status) only — with the group
as a further key for a breakdown; and a page of each free-text question's answers. Means,
medians and NPS are computed in Python from the grouped counts (a few hundred rows at most),
never from the answers themselves.

Answers are joined to their response, and to the contact only when an attribute filters or
groups them. A question a skip rule jumped over has no Answer row: `skipped` is the responses
of the set without one.
"""

from __future__ import annotations

import datetime as dt
import math
import zoneinfo
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, CharField, Count, F, Q, QuerySet, Sum, Value, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Concat
from django.db.models.lookups import Exact, In, IsNull
from django.utils import timezone

from calls.models import (
    Answer,
    AnswerStatus,
    ResultsAttributeBucket,
    ResultsBucket,
    SurveyResponse,
)
from campaigns.models import Campaign, QuestionType
from campaigns.questionnaire import QuestionSpec
from campaigns.selectors import campaign_questionnaire

TEXT_PAGE_SIZE = 20
# A breakdown keeps the most frequent attribute values; the rest share one "other" group.
BREAKDOWN_GROUPS = 20
# A distribution is zero-filled over its whole range only when the range is this small (a
# scale, 0–100 at most, always is; a number with wide bounds gets the values seen instead).
MAX_FILLED_RANGE = 101
# NPS: 9–10 promote, 7–8 are passive, 0–6 detract.
PROMOTER_MIN, PASSIVE_MIN = 9, 7

GROUP_VALUE, GROUP_OTHER, GROUP_NONE = "value", "other", "none"


@dataclass(frozen=True)
class ResultsFilters:
    """Which completed surveys count (all given conditions at once), and which page of the
    free-text answers to list. Dates are local days in the campaign's time zone (or `zone`'s:
    a viewer's own, on the pages), inclusive, on the survey's completion time."""

    date_from: dt.date | None = None
    date_to: dt.date | None = None
    language: str | None = None
    attempt: int | None = None  # the completing call's attempt number
    attributes: Mapping[str, str] = field(default_factory=dict)  # contact attribute = value
    text_page: int = 1
    text_search: str = ""  # free-text answers containing this, case-insensitive
    zone: str = ""  # the dates' zone, when not the campaign's

    def as_data(self) -> dict:
        """The filters as the answer echoes them (and the cache key reads them)."""
        return {
            "from": self.date_from.isoformat() if self.date_from else None,
            "to": self.date_to.isoformat() if self.date_to else None,
            "language": self.language,
            "attempt": self.attempt,
            "attributes": dict(sorted(self.attributes.items())),
            "text_page": self.text_page,
            "text_search": self.text_search,
        }


def campaign_results(
    *,
    campaign: Campaign,
    filters: ResultsFilters,
    by: str | None,
    now: dt.datetime | None = None,
    rollup: bool = True,
) -> dict:
    """Per question, in position order: asked / answered / unanswered / skipped and the
    figures of its type (docs/architecture.md §6.11), over the completed surveys that
    `filters` select; with `by` (a contact attribute), the same figures per value of it.
    Counted from the results rollup where the filters allow (`rollup`, the default), else from
    the answers; both give the same figures."""
    questions = campaign_questionnaire(campaign)
    free_text = [p for p, q in enumerate(questions, start=1) if q.type == QuestionType.FREE_TEXT]
    source = _bucket_source(campaign, filters, by) if rollup else None
    if source == "hours":
        total, groups, counts = _counts_from_hours(campaign, filters)
    elif source == "attributes":
        total, groups, counts = _counts_from_attributes(campaign, filters, by)
    else:
        total, groups, counts = _counts_from_answers(campaign, filters, by, free_text)

    results = []
    for position, question in enumerate(questions, start=1):
        figures = {
            "position": position,
            "key": question.key,
            "type": question.type,
            "text": dict(question.texts),
            **_figures(question, total, counts[None][position]),
        }
        if question.type == QuestionType.FREE_TEXT:
            figures["texts"] = _texts(campaign, filters, position, answered=figures["answered"])
        if by is not None:
            figures["breakdown"] = [
                {
                    "group": group["group"],
                    "value": group["value"],
                    "responses": group["responses"],
                    **_figures(question, group["responses"], counts[group["key"]][position]),
                }
                for group in groups
            ]
        results.append(figures)

    return {
        "campaign_id": str(campaign.pk),
        "filters": filters.as_data(),
        "by": by,
        "responses": total,
        "questions": results,
        "generated_at": now or timezone.now(),
    }


# counts[group][position][status][value] = answers; group None: the whole set.
Counts = dict[Any, dict[int, dict[str, dict[str, int]]]]


def _counts() -> Counts:
    return defaultdict(lambda: defaultdict(lambda: defaultdict(lambda: defaultdict(int))))


def _counts_from_answers(
    campaign: Campaign, filters: ResultsFilters, by: str | None, free_text: list[int]
) -> tuple[int, list[dict], Counts]:
    """The set's surveys, the breakdown's groups and the answers' counts, from the answers."""
    responses = _responses(campaign=campaign, filters=filters)
    groups: list[dict] = []
    if by is None:
        total = responses.count()
        rows = list(
            Answer.objects.filter(_answer_conditions(campaign, filters))
            .order_by()
            .annotate(grouped_value=_value_expression(free_text))
            .values("position", "status", "grouped_value")
            .annotate(n=Count("*"))
        )
    else:
        total, groups = _groups(responses, by)
        rows = list(
            Answer.objects.filter(_answer_conditions(campaign, filters))
            .order_by()
            .annotate(
                group=_group_expression(by, groups, "response__"),
                grouped_value=_value_expression(free_text),
            )
            .values("position", "status", "grouped_value", "group")
            .annotate(n=Count("*"))
        )
    counts = _counts()
    for row in rows:
        for group in (None, row["group"]) if by is not None else (None,):
            counts[group][row["position"]][row["status"]][row["grouped_value"]] += row["n"]
    return total, groups, counts


# --- from the results rollup (calls/results_buckets.py) -----------------------------------------


def _bucket_source(campaign: Campaign, filters: ResultsFilters, by: str | None) -> str | None:
    """Which rollup holds the counts of this query: "hours" (no attribute in it, and its dates
    begin on whole UTC hours), "attributes" (one attribute alone: a breakdown by it, or one
    attribute filter), else None (the answers are read)."""
    others = (
        filters.date_from is not None
        or filters.date_to is not None
        or bool(filters.language)
        or filters.attempt is not None
    )
    if by is None and not filters.attributes:
        zone = zoneinfo.ZoneInfo(filters.zone or campaign.timezone)
        bounds = [_day_start(day, zone) for day in _date_bounds(filters)]
        return "hours" if all(b.minute == b.second == b.microsecond == 0 for b in bounds) else None
    if not others and ((by is not None) + len(filters.attributes)) == 1:
        return "attributes"
    return None


def _date_bounds(filters: ResultsFilters) -> list[dt.date]:
    """The local days that begin and end (exclusive) the date range."""
    bounds = []
    if filters.date_from is not None:
        bounds.append(filters.date_from)
    if filters.date_to is not None:
        bounds.append(filters.date_to + dt.timedelta(days=1))
    return bounds


def _bucket_counts(buckets: QuerySet, counts: Counts, group: Any = None) -> int:
    """Sum buckets per (position, status, value) into counts[group]; returns the surveys (the
    position 0 rows)."""
    surveys = 0
    rows = (
        buckets.order_by()
        .values("position", "status", "value")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
    )
    for row in rows:
        if row["position"] == 0:
            surveys += row["n"]
        else:
            counts[group][row["position"]][row["status"]][row["value"]] += row["n"]
    return surveys


def _counts_from_hours(campaign: Campaign, filters: ResultsFilters) -> tuple[int, list, Counts]:
    zone = zoneinfo.ZoneInfo(filters.zone or campaign.timezone)
    buckets = ResultsBucket.objects.filter(campaign=campaign)
    if filters.date_from is not None:
        buckets = buckets.filter(hour__gte=_day_start(filters.date_from, zone))
    if filters.date_to is not None:
        buckets = buckets.filter(hour__lt=_day_start(filters.date_to + dt.timedelta(days=1), zone))
    if filters.language:
        buckets = buckets.filter(language=filters.language)
    if filters.attempt is not None:
        buckets = buckets.filter(attempt_number=filters.attempt)
    counts = _counts()
    return _bucket_counts(buckets, counts), [], counts


def _counts_from_attributes(
    campaign: Campaign, filters: ResultsFilters, by: str | None
) -> tuple[int, list[dict], Counts]:
    counts = _counts()
    buckets = ResultsAttributeBucket.objects.filter(campaign=campaign)
    if by is None:
        ((name, value),) = filters.attributes.items()
        total = _bucket_counts(buckets.filter(name=name, attribute_value=value), counts)
        return total, [], counts

    # A breakdown: the whole set, each attribute value's counts, and what those leave over.
    total = _bucket_counts(ResultsBucket.objects.filter(campaign=campaign), counts)
    buckets = buckets.filter(name=by)
    top = list(
        buckets.filter(position=0)
        .order_by()
        .values("attribute_value")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
        .order_by("-n", "attribute_value")[:BREAKDOWN_GROUPS]
    )
    top_values = {row["attribute_value"] for row in top}
    with_attribute = _counts()
    surveys: dict[Any, int] = defaultdict(int)
    rows = (
        buckets.order_by()
        .values("attribute_value", "position", "status", "value")
        .annotate(n=Sum("count"))
        .filter(n__gt=0)
    )
    for row in rows:
        value = row["attribute_value"]
        group = f"={value}" if value in top_values else GROUP_OTHER
        if row["position"] == 0:
            surveys[group] += row["n"]
            continue
        counts[group][row["position"]][row["status"]][row["value"]] += row["n"]
        with_attribute[None][row["position"]][row["status"]][row["value"]] += row["n"]
    for position, statuses in counts[None].items():
        for status, values in statuses.items():
            for value, n in values.items():
                left = n - with_attribute[None][position][status][value]
                if left:
                    counts[GROUP_NONE][position][status][value] = left
    groups = [
        {
            "key": f"={row['attribute_value']}",
            "group": GROUP_VALUE,
            "value": row["attribute_value"],
            "responses": row["n"],
        }
        for row in top
    ]
    if surveys[GROUP_OTHER]:
        groups.append(
            {
                "key": GROUP_OTHER,
                "group": GROUP_OTHER,
                "value": None,
                "responses": surveys[GROUP_OTHER],
            }
        )
    none = total - sum(surveys.values())
    if none:
        groups.append({"key": GROUP_NONE, "group": GROUP_NONE, "value": None, "responses": none})
    return total, groups, counts


# --- the set of responses -----------------------------------------------------------------------


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant of a local day (midnight, or later where DST skips midnight)."""
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def _conditions(campaign: Campaign, filters: ResultsFilters, prefix: str) -> Q:
    """The filters as conditions on SurveyResponse (prefix "") or on Answer ("response__")."""
    zone = zoneinfo.ZoneInfo(filters.zone or campaign.timezone)
    q = Q(**{f"{prefix}campaign": campaign})
    if filters.date_from is not None:
        q &= Q(**{f"{prefix}completed_at__gte": _day_start(filters.date_from, zone)})
    if filters.date_to is not None:
        next_day = filters.date_to + dt.timedelta(days=1)
        q &= Q(**{f"{prefix}completed_at__lt": _day_start(next_day, zone)})
    if filters.language:
        q &= Q(**{f"{prefix}language": filters.language})
    if filters.attempt is not None:
        q &= Q(**{f"{prefix}call_attempt__attempt_number": filters.attempt})
    for name, value in sorted(filters.attributes.items()):
        q &= Q(Exact(_attribute(name, prefix), value))
    return q


def _attribute(name: str, prefix: str) -> KeyTextTransform:
    """A contact attribute's value as text (null when the contact has none). KeyTextTransform,
    not `contact__attributes__<name>`: a name is data, and one with "__" in it must stay one key
    rather than become a path or a lookup."""
    return KeyTextTransform(name, f"{prefix}contact__attributes")


def _responses(*, campaign: Campaign, filters: ResultsFilters) -> QuerySet[SurveyResponse]:
    return SurveyResponse.objects.filter(_conditions(campaign, filters, "")).order_by()


def _answer_conditions(campaign: Campaign, filters: ResultsFilters) -> Q:
    return _conditions(campaign, filters, "response__")


def _groups(responses: QuerySet[SurveyResponse], by: str) -> tuple[int, list[dict]]:
    """The responses in the set, and the breakdown's groups: the BREAKDOWN_GROUPS most frequent
    values of the attribute (most frequent first), then "other" (every other value), then
    "none" (contacts without the attribute), each with its responses; empty groups left out."""
    attribute = _attribute(by, "")
    totals = responses.aggregate(
        total=Count("*"), none=Count(Value(1), filter=Q(IsNull(attribute, True)))
    )
    top = list(
        responses.annotate(group_value=attribute)
        .filter(group_value__isnull=False)
        .values("group_value")
        .annotate(n=Count("*"))
        .order_by("-n", "group_value")[:BREAKDOWN_GROUPS]
    )
    groups = [
        {
            "key": f"={row['group_value']}",
            "group": GROUP_VALUE,
            "value": row["group_value"],
            "responses": row["n"],
        }
        for row in top
    ]
    other = totals["total"] - totals["none"] - sum(row["n"] for row in top)
    if other:
        groups.append({"key": GROUP_OTHER, "group": GROUP_OTHER, "value": None, "responses": other})
    if totals["none"]:
        groups.append(
            {"key": GROUP_NONE, "group": GROUP_NONE, "value": None, "responses": totals["none"]}
        )
    return totals["total"], groups


def _group_expression(by: str, groups: list[dict], prefix: str) -> Case | Value:
    """An answer's breakdown group, as one grouping column: "=" and a top value, else
    GROUP_OTHER or GROUP_NONE (the prefix keeps a value spelled "other" apart from the group)."""
    attribute = _attribute(by, prefix)
    top = [group["value"] for group in groups if group["group"] == GROUP_VALUE]
    return Case(
        *([When(Q(In(attribute, top)), then=Concat(Value("="), attribute))] if top else []),
        When(Q(IsNull(attribute, True)), then=Value(GROUP_NONE)),
        default=Value(GROUP_OTHER),
        output_field=CharField(),
    )


def _value_expression(free_text: list[int]) -> Case | F:
    """The answer's value as a grouping key; free text, all different, is not grouped by it."""
    if not free_text:
        return F("value")
    return Case(
        When(position__in=free_text, then=Value("")),
        default=F("value"),
        output_field=CharField(),
    )


# --- figures per question -----------------------------------------------------------------------


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _figures(question: QuestionSpec, total: int, counts: Mapping[str, Mapping[str, int]]) -> dict:
    """asked / answered / unanswered / skipped, and the figures of the question's type, from
    counts[status][value] = answers."""
    values = counts.get(AnswerStatus.ANSWERED, {})
    answered = sum(values.values())
    unanswered = sum(counts.get(AnswerStatus.UNANSWERED, {}).values())
    figures: dict[str, Any] = {
        "asked": answered + unanswered,
        "answered": answered,
        "unanswered": unanswered,
        "skipped": total - answered - unanswered,
    }
    if question.type == QuestionType.YES_NO:
        for choice in ("yes", "no"):
            count = values.get(choice, 0)
            figures[choice] = {"count": count, "share": _percent(count, answered)}
    elif question.type in (QuestionType.SCALE, QuestionType.NUMBER):
        figures |= _numeric(question, values)
    elif question.type == QuestionType.SINGLE_CHOICE:
        figures["options"] = [
            {
                "value": option.value,
                "label": dict(option.labels),
                "count": values.get(option.value, 0),
                "share": _percent(values.get(option.value, 0), answered),
            }
            for option in question.options
        ]
    return figures


def _number(value: str) -> int | float | None:
    try:
        number = float(value)
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _numeric(question: QuestionSpec, values: Mapping[str, int]) -> dict:
    """The distribution (every value of a small enough range, zero-filled; else the values
    seen), mean and median, and for an NPS scale its promoters, passives, detractors and score."""
    seen: dict[int | float, int] = defaultdict(int)
    for value, count in values.items():
        number = _number(value)
        if number is not None:
            seen[number] += count
    low, high = question.min_value, question.max_value
    distribution: dict[int | float, int] = {}
    if low is not None and high is not None and 0 <= high - low < MAX_FILLED_RANGE:
        distribution = dict.fromkeys(range(low, high + 1), 0)
    for number, count in seen.items():
        distribution[number] = distribution.get(number, 0) + count
    ordered = sorted(distribution.items())
    n = sum(seen.values())
    figures: dict[str, Any] = {
        "distribution": [{"value": value, "count": count} for value, count in ordered],
        "mean": round(sum(v * c for v, c in ordered) / n, 2) if n else None,
        "median": _median(ordered, n),
    }
    if question.nps:
        promoters = sum(c for v, c in ordered if v >= PROMOTER_MIN)
        detractors = sum(c for v, c in ordered if v < PASSIVE_MIN)
        figures["nps"] = {
            "promoters": promoters,
            "passives": n - promoters - detractors,
            "detractors": detractors,
            # %promoters − %detractors, one decimal: -100.0 … 100.0; null without answers.
            "score": round(100.0 * (promoters - detractors) / n, 1) if n else None,
        }
    return figures


def _median(ordered: list[tuple[int | float, int]], n: int) -> float | None:
    """The median of n values given as sorted (value, count) pairs: the middle one, or the
    mean of the two middle ones."""
    if not n:
        return None
    middle: list[int | float] = []
    wanted = [(n - 1) // 2, n // 2]  # 0-based ranks of the middle value(s)
    seen = 0
    for value, count in ordered:
        while wanted and wanted[0] < seen + count:
            middle.append(value)
            wanted.pop(0)
        seen += count
    return round(sum(middle) / 2, 2)


def _texts(campaign: Campaign, filters: ResultsFilters, position: int, *, answered: int) -> dict:
    """A page of a free-text question's answers, newest survey first, with what links each to
    its call and contact (never the phone number)."""
    answers = Answer.objects.filter(
        _answer_conditions(campaign, filters), position=position, status=AnswerStatus.ANSWERED
    )
    count = answered
    if filters.text_search:
        answers = answers.filter(value__icontains=filters.text_search)
        count = answers.count()
    start = (filters.text_page - 1) * TEXT_PAGE_SIZE
    page = answers.order_by("-response__completed_at", "-pk").values(
        text=F("value"),
        call_id=F("response__call_attempt__call_id"),
        external_contact_id=F("response__contact__external_contact_id"),
        language=F("response__language"),
        completed_at=F("response__completed_at"),
    )[start : start + TEXT_PAGE_SIZE]
    items = [
        {**item, "call_id": str(item["call_id"]) if item["call_id"] else None}
        for item in (page if start < count else [])
    ]
    return {
        "count": count,
        "page": filters.text_page,
        "page_size": TEXT_PAGE_SIZE,
        "pages": math.ceil(count / TEXT_PAGE_SIZE),
        "search": filters.text_search,
        "items": items,
    }

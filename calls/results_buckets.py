"""The survey results rollup (docs/architecture.md §9): completed surveys' answers counted per
campaign, UTC hour, language, attempt and question (`ResultsBucket`), and per contact attribute
(`ResultsAttributeBucket`), which the results read instead of every answer (dashboard/results.py).

Kept exactly, in the transaction that writes the answers: a survey saved adds its counts
(`results_buckets_add`); one saved again, or erased, takes its old counts away first
(`results_buckets_remove`). Each change is one upsert adding signed counts, its rows in key
order so that two transactions never wait for each other's rows the other way round.
`results_buckets_rebuild` recomputes a campaign's buckets from its answers: for data written in
bulk (the demo, a restore) and by `manage.py rebuild_call_stats`.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from itertools import batched
from typing import Any

from django.db import connection, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    DateTimeField,
    F,
    Model,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce, Left, TruncHour
from django.db.models.lookups import IsNull

from calls.models import (
    RESULTS_ATTRIBUTE_BUCKET_KEY,
    RESULTS_BUCKET_KEY,
    RESULTS_BUCKET_VALUE_LENGTH,
    Answer,
    ResultsAttributeBucket,
    ResultsBucket,
    SurveyResponse,
)
from campaigns.models import Campaign, QuestionType
from contacts.selectors import contact_attribute_names

# A survey without a completion time (none is written so, but the column allows it) counts in
# this hour: outside every date range, as its null time is for the answers' own filter.
NO_COMPLETION_HOUR = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)
_UPSERT_BATCH = 500

_Key = tuple[Any, ...]


def results_hour(moment: dt.datetime | None) -> dt.datetime:
    """The UTC hour a survey completed at `moment` counts in."""
    if moment is None:
        return NO_COMPLETION_HOUR
    return moment.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)


def results_grouped_value(value: str, question_type: str) -> str:
    """An answer's value as the buckets group it: free text is counted, not grouped by its
    words."""
    return "" if question_type == QuestionType.FREE_TEXT else value[:RESULTS_BUCKET_VALUE_LENGTH]


def _deltas(
    *,
    response: SurveyResponse,
    answers: Iterable[Answer],
    attempt_number: int | None,
    attributes: Mapping[str, str],
    sign: int,
) -> tuple[Counter[_Key], Counter[_Key]]:
    """One survey's rows of both rollups, each with `sign` as its count."""
    lines = [(0, "", "")] + [
        (a.position, a.status, results_grouped_value(a.value, a.question_type)) for a in answers
    ]
    head = (
        response.campaign_id,
        results_hour(response.completed_at),
        response.language,
        attempt_number or 0,
    )
    hours: Counter[_Key] = Counter()
    by_attribute: Counter[_Key] = Counter()
    for line in lines:
        hours[(*head, *line)] += sign
        for name, attribute_value in attributes.items():
            if isinstance(attribute_value, str):
                by_attribute[(response.campaign_id, name, attribute_value, *line)] += sign
    return hours, by_attribute


def _upsert(model: type[Model], key: tuple[str, ...], deltas: Counter[_Key]) -> None:
    """Add signed counts to the rows of `key` (an upsert, PostgreSQL and SQLite ≥ 3.24), in
    key order."""
    rows = sorted((k, n) for k, n in deltas.items() if n)
    if not rows:
        return
    quote = connection.ops.quote_name
    meta = model._meta
    field_of = {f.name: f for f in meta.concrete_fields}
    fields = [field_of[name] for name in key]
    table = quote(meta.db_table)
    columns = ", ".join(quote(f.column) for f in (*fields, field_of["count"]))
    target = ", ".join(quote(f.column) for f in fields)
    count = quote("count")
    add = f"{count} = {table}.{count} + excluded.{count}"
    placeholders = "(" + ", ".join(["%s"] * (len(fields) + 1)) + ")"
    for batch in batched(rows, _UPSERT_BATCH):
        params: list[Any] = []
        for values, n in batch:
            params.extend(
                f.get_db_prep_save(v, connection) for f, v in zip(fields, values, strict=True)
            )
            params.append(n)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {table} ({columns}) VALUES "
                f"{', '.join([placeholders] * len(batch))} "
                f"ON CONFLICT ({target}) DO UPDATE SET {add}",
                params,
            )


def _apply(hours: Counter[_Key], by_attribute: Counter[_Key]) -> None:
    _upsert(ResultsBucket, RESULTS_BUCKET_KEY, hours)
    _upsert(ResultsAttributeBucket, RESULTS_ATTRIBUTE_BUCKET_KEY, by_attribute)


def results_buckets_add(
    *,
    response: SurveyResponse,
    answers: Iterable[Answer],
    attempt_number: int | None,
    attributes: Mapping[str, str],
) -> None:
    """Count a survey just saved with these answers, by its respondent's attributes. Once per
    save: the caller removes the survey's earlier counts first (`results_buckets_remove`)."""
    _apply(
        *_deltas(
            response=response,
            answers=answers,
            attempt_number=attempt_number,
            attributes=attributes,
            sign=1,
        )
    )


def results_buckets_remove(*, responses: QuerySet[SurveyResponse]) -> int:
    """Take these surveys' counts away, as their rows are now (before they are saved again or
    deleted). Returns how many surveys."""
    hours: Counter[_Key] = Counter()
    by_attribute: Counter[_Key] = Counter()
    found = 0
    for response in responses.select_related("contact", "call_attempt").prefetch_related("answers"):
        found += 1
        more_hours, more_attributes = _deltas(
            response=response,
            answers=response.answers.all(),
            attempt_number=response.call_attempt.attempt_number if response.call_attempt else 0,
            attributes=response.contact.attributes or {},
            sign=-1,
        )
        hours.update(more_hours)
        by_attribute.update(more_attributes)
    _apply(hours, by_attribute)
    return found


def _grouped_value_expression() -> Case:
    return Case(
        When(question_type=QuestionType.FREE_TEXT, then=Value("")),
        default=Left("value", RESULTS_BUCKET_VALUE_LENGTH),
        output_field=CharField(),
    )


def results_buckets_rebuild(*, campaign: Campaign | None = None) -> int:
    """Recompute the results buckets of a campaign (or of every campaign, each counting query
    once for all of them) from the surveys and answers: after writing them in bulk (seed_demo,
    a restore) or to repair. Returns the bucket rows written.

    Saves of surveys wait for it (one transaction, the buckets locked against the saves'
    upserts, not against readers): each survey is then counted exactly once — here if its save
    committed first, else by its save's own upsert."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # SQLite has one writer at a time anyway.
                cursor.execute(
                    "LOCK TABLE "
                    + ", ".join(
                        connection.ops.quote_name(m._meta.db_table)
                        for m in (ResultsBucket, ResultsAttributeBucket)
                    )
                    + " IN SHARE ROW EXCLUSIVE MODE"
                )
        for model in (ResultsBucket, ResultsAttributeBucket):
            buckets = model.objects.all()
            (buckets if campaign is None else buckets.filter(campaign=campaign)).delete()
        return sum(
            _insert_counted(model, key, aliases, counted)
            for model, key, aliases, counted in _counted(campaign)
        )


def _insert_counted(
    model: type[Model], key: tuple[str, ...], aliases: tuple[str, ...], counted: QuerySet
) -> int:
    """INSERT … SELECT: the rows counted by a `values(*aliases).annotate(n=…)` query (the
    aliases naming the key's columns, in order), in the server, their keys unique by its
    GROUP BY. Returns the rows written."""
    quote = connection.ops.quote_name
    meta = model._meta
    column_of = {f.name: f.column for f in meta.concrete_fields}
    columns = ", ".join(quote(column_of[name]) for name in (*key, "count"))
    selected = ", ".join(quote(alias) for alias in (*aliases, "n"))
    sql, params = counted.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {quote(meta.db_table)} ({columns}) "
            f"SELECT {selected} FROM ({sql}) AS counted",
            params,
        )
        return cursor.rowcount


# The keys' columns as the counting queries below name them: position and status are the
# Answer's own; the others, annotations, must not shadow a field's name.
_HOUR_ALIASES = ("k_campaign", "k_hour", "k_language", "k_attempt", "position", "status", "k_value")
_ATTRIBUTE_ALIASES = ("k_campaign", "k_name", "k_attribute", "position", "status", "k_value")
_Counting = tuple[type[Model], tuple[str, ...], tuple[str, ...], QuerySet]


def _counted(campaign: Campaign | None) -> list[_Counting]:
    """The queries that count the rows of both rollups from the surveys and answers of a
    campaign (of all campaigns: the campaign is part of every key), each with the rollup, the
    key and the aliases that name its columns."""
    responses = SurveyResponse.objects.order_by()
    answers = Answer.objects.order_by()
    if campaign is not None:
        responses = responses.filter(campaign=campaign)
        answers = answers.filter(response__campaign=campaign)
    survey_line = {"position": Value(0), "status": Value(""), "k_value": Value("")}

    def hour(prefix: str) -> Coalesce:
        return Coalesce(
            TruncHour(f"{prefix}completed_at", tzinfo=dt.UTC),
            Value(NO_COMPLETION_HOUR),
            output_field=DateTimeField(),
        )

    queries: list[_Counting] = [
        (
            ResultsBucket,
            RESULTS_BUCKET_KEY,
            _HOUR_ALIASES,
            responses.annotate(
                k_campaign=F("campaign_id"),
                k_hour=hour(""),
                k_language=F("language"),
                k_attempt=Coalesce(F("call_attempt__attempt_number"), 0),
                **survey_line,
            )
            .values(*_HOUR_ALIASES)
            .annotate(n=Count("*")),
        ),
        (
            ResultsBucket,
            RESULTS_BUCKET_KEY,
            _HOUR_ALIASES,
            answers.annotate(
                k_campaign=F("response__campaign_id"),
                k_hour=hour("response__"),
                k_language=F("response__language"),
                k_attempt=Coalesce(F("response__call_attempt__attempt_number"), 0),
                k_value=_grouped_value_expression(),
            )
            .values(*_HOUR_ALIASES)
            .annotate(n=Count("*")),
        ),
    ]
    for name in contact_attribute_names(campaign):
        queries += [
            (
                ResultsAttributeBucket,
                RESULTS_ATTRIBUTE_BUCKET_KEY,
                _ATTRIBUTE_ALIASES,
                responses.annotate(
                    k_campaign=F("campaign_id"),
                    k_name=Value(name),
                    k_attribute=KeyTextTransform(name, "contact__attributes"),
                    **survey_line,
                )
                .filter(IsNull(F("k_attribute"), False))
                .values(*_ATTRIBUTE_ALIASES)
                .annotate(n=Count("*")),
            ),
            (
                ResultsAttributeBucket,
                RESULTS_ATTRIBUTE_BUCKET_KEY,
                _ATTRIBUTE_ALIASES,
                answers.annotate(
                    k_campaign=F("response__campaign_id"),
                    k_name=Value(name),
                    k_attribute=KeyTextTransform(name, "response__contact__attributes"),
                    k_value=_grouped_value_expression(),
                )
                .filter(IsNull(F("k_attribute"), False))
                .values(*_ATTRIBUTE_ALIASES)
                .annotate(n=Count("*")),
            ),
        ]
    return queries

"""The stats rollup: closed attempts summed per campaign, provider, quarter hour and outcome
(`CallStatsBucket`), which the dashboards read instead of every attempt (docs/architecture.md
§9). `call_attempt_close` adds each closed attempt here in its own transaction
(`call_stats_add`); `call_stats_rebuild` recomputes buckets from the attempts.
"""

from __future__ import annotations

import functools
import uuid

from django.db import NotSupportedError, connection, transaction
from django.db.models import (
    BigIntegerField,
    Count,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Cast, Ceil, Coalesce, Greatest, Least

from calls.models import CALL_STATS_KEY, CallAttempt, CallStatsBucket
from campaigns.models import Campaign

# Each figure keeps the rule it had when it was computed from the attempts; the expressions
# below are those rules.

# Attempts given back unused are closed with one of these error codes (calls/outcomes.py:
# the provider was down, the tick that claimed them died before dialling, or the calling hours
# ended first). They used no attempt and are none: no bucket counts them, nor any figure.
GIVEN_BACK_ERROR_CODES = frozenset({"provider_unavailable", "never_dialled", "calling_hours_ended"})


class DurationSeconds(Func):
    """A duration expression (e.g. `F("ended_at") - F("answered_at")`) as seconds, a float.
    Django subtracts datetimes into an interval on PostgreSQL and into integer microseconds on
    SQLite; this reads either as seconds."""

    output_field = FloatField()
    template = "(%(expressions)s) / 1000000.0"

    def __init__(self, expression, **extra):
        super().__init__(ExpressionWrapper(expression, output_field=DurationField()), **extra)

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="EXTRACT(EPOCH FROM %(expressions)s)::double precision",
            **extra_context,
        )


# A call's talk time: answered → ended. Calls never answered have none (the comparison with a
# null is not true), and neither do calls whose provider clock ran backwards. 0 stays 0.
_TALK = ExpressionWrapper(F("ended_at") - F("answered_at"), output_field=DurationField())
_HAS_TALK = Q(ended_at__gte=F("answered_at"))
# An attempt's run time, start → end (the dial queue's processing time), when it has an end.
_RUN = ExpressionWrapper(F("ended_at") - F("started_at"), output_field=DurationField())
_HAS_END = Q(ended_at__isnull=False)


class _Microseconds(Func):
    """A duration as whole microseconds, an integer (what SQLite stores durations as)."""

    output_field = BigIntegerField()
    template = "%(expressions)s"

    def as_postgresql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
            **extra_context,
        )


class _QuarterHourStart(Func):
    """The start of the UTC quarter hour that holds a moment."""

    output_field = DateTimeField()

    def as_sql(self, compiler, connection, *args, **extra_context):
        raise NotSupportedError("The stats rollup is written for PostgreSQL and SQLite.")

    def as_postgresql(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        return f"date_bin('15 minutes', {sql}, TIMESTAMPTZ '2000-01-01 00:00:00+00')", params

    def as_sqlite(self, compiler, connection, **extra_context):
        # On the text Django stores ("YYYY-MM-DD HH:MM:SS[.ffffff]", UTC): SQLite's date
        # functions round to the millisecond, which would put 12:14:59.9999 in 12:15.
        sql, params = compiler.compile(self.source_expressions[0])
        minute = f"CAST(substr({sql}, 15, 2) AS INTEGER) / 15 * 15"
        return (
            f"substr({sql}, 1, 14) || substr('0' || ({minute}), -2) || ':00'",
            (*params, *params),
        )


def _bucket_sums(attempts: QuerySet[CallAttempt]) -> QuerySet:
    """The closed ones of these attempts, given-back ones aside, summed per bucket: one row per
    bucket, its columns named as CallStatsBucket's."""
    return (
        attempts.filter(outcome__isnull=False)
        .exclude(error_code__in=GIVEN_BACK_ERROR_CODES)
        .order_by()
        .annotate(bucket_start=_QuarterHourStart("started_at"))
        .values("campaign_id", "provider", "bucket_start", "outcome")
        .annotate(
            attempts=Count("pk"),
            talk_count=Count("pk", filter=_HAS_TALK),
            talk_total_us=Coalesce(_Microseconds(Sum(_TALK, filter=_HAS_TALK)), 0),
            talk_min_us=_Microseconds(Min(_TALK, filter=_HAS_TALK)),
            talk_max_us=_Microseconds(Max(_TALK, filter=_HAS_TALK)),
            run_count=Count("pk", filter=_HAS_END),
            run_total_us=Coalesce(_Microseconds(Sum(_RUN, filter=_HAS_END)), 0),
            # Billed per started minute: 0 s → 0, 60 s → 1, 61 s → 2.
            billed_minutes=Cast(
                Coalesce(Sum(Ceil(DurationSeconds(_TALK) / 60.0), filter=_HAS_TALK), 0.0),
                BigIntegerField(),
            ),
        )
    )


def _buckets_upsert(attempts: QuerySet[CallAttempt]) -> tuple[str, list]:
    """The statement that adds the closed ones of these attempts to their buckets, and its
    parameters: an upsert, for PostgreSQL and SQLite (≥ 3.24)."""
    quote = connection.ops.quote_name
    meta = CallStatsBucket._meta
    table = quote(meta.db_table)
    columns = [quote(f.column) for f in meta.concrete_fields if not f.primary_key]
    column_of = {f.name: f.column for f in meta.concrete_fields}
    key = [quote(column_of[name]) for name in CALL_STATS_KEY]
    summed = ("attempts", "talk_count", "talk_total_us", "run_count", "run_total_us")
    updates = [f"{c} = {table}.{c} + excluded.{c}" for c in map(quote, (*summed, "billed_minutes"))]
    least, greatest = ("LEAST", "GREATEST") if connection.vendor == "postgresql" else ("MIN", "MAX")
    for column, pick in (("talk_min_us", least), ("talk_max_us", greatest)):
        # Null means "no talk time yet". LEAST skips nulls; SQLite's min() returns null.
        c = quote(column)
        updates.append(
            f"{c} = COALESCE({pick}({table}.{c}, excluded.{c}), {table}.{c}, excluded.{c})"
        )
    sums, params = _bucket_sums(attempts).query.sql_with_params()
    names = ", ".join(columns)
    statement = (
        f"INSERT INTO {table} ({names}) SELECT {names} FROM ({sums}) AS closed "
        # SQLite needs a WHERE before the ON CONFLICT of an INSERT … SELECT (else it reads
        # ON as a join's), PostgreSQL does not mind it.
        f"WHERE true ON CONFLICT ({', '.join(key)}) DO UPDATE SET {', '.join(updates)}"
    )
    return statement, list(params)


# Any attempt id: stands for the closing attempt's in the statement compiled once below.
_SOME_ATTEMPT = uuid.UUID(int=0)


@functools.cache
def _one_attempt_upsert(vendor: str) -> tuple[str, list, int]:
    """`_buckets_upsert` of one attempt, compiled once per database vendor, with the position
    of the attempt's id among the parameters. Django takes ~2 ms of CPU to compile this query,
    several times what the database takes to run it, on every close."""
    statement, params = _buckets_upsert(CallAttempt.objects.filter(pk=_SOME_ATTEMPT))
    marker = CallAttempt._meta.pk.get_db_prep_value(_SOME_ATTEMPT, connection)
    (slot,) = [i for i, value in enumerate(params) if value == marker]
    return statement, params, slot


def call_stats_add(*, attempt: CallAttempt) -> None:
    """Add a closed attempt to its stats bucket, from its row as the close left it (the
    in-memory attempt may not know a time written meanwhile). Once per attempt: the close
    calls it; anything else that did would count the attempt twice."""
    statement, params, slot = _one_attempt_upsert(connection.vendor)
    params = [*params]
    params[slot] = CallAttempt._meta.pk.get_db_prep_value(attempt.pk, connection)
    with connection.cursor() as cursor:
        cursor.execute(statement, params)


def call_stats_talk_add(*, attempt: CallAttempt) -> None:
    """Add the talk time of a closed attempt whose answer time became known after its close (a
    late "answered" event): its bucket counts the attempt already, without talk. From its row
    as it is now; once per attempt, as the answer time is filled in once. Talk time is only
    ever added, so the bucket's minimum and maximum stay exact."""
    sums = next(iter(_bucket_sums(CallAttempt.objects.filter(pk=attempt.pk))), None)
    if sums is None or not sums["talk_count"]:
        return  # given back (not counted), or no talk after all (answered after its end)
    talk = Value(sums["talk_min_us"], output_field=BigIntegerField())
    CallStatsBucket.objects.filter(
        campaign_id=sums["campaign_id"],
        provider=sums["provider"],
        bucket_start=sums["bucket_start"],
        outcome=sums["outcome"],
    ).update(
        talk_count=F("talk_count") + sums["talk_count"],
        talk_total_us=F("talk_total_us") + sums["talk_total_us"],
        # LEAST and GREATEST skip a null on PostgreSQL; SQLite's min() and max() return it.
        talk_min_us=Coalesce(Least("talk_min_us", talk), talk),
        talk_max_us=Coalesce(Greatest("talk_max_us", talk), talk),
        billed_minutes=F("billed_minutes") + sums["billed_minutes"],
    )


def call_stats_rebuild(*, campaign: Campaign | None = None) -> int:
    """Recompute the stats buckets of a campaign (or of all) from its attempts, in one
    transaction: after writing attempts without closing them (seed_demo's bulk load), after
    deleting attempts (a contact's erasure must rebuild its campaign, or its buckets overcount),
    or to repair. Returns the bucket rows written.

    Closes wait for it (a few seconds for millions of attempts): each closed attempt is then
    counted exactly once — here if its close committed first, else by its close's own upsert."""
    attempts = CallAttempt.objects.all()
    buckets = CallStatsBucket.objects.all()
    if campaign is not None:
        attempts, buckets = attempts.filter(campaign=campaign), buckets.filter(campaign=campaign)
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Conflicts with the closes' upserts (ROW EXCLUSIVE), not with readers. SQLite
                # has one writer at a time anyway.
                cursor.execute(
                    "LOCK TABLE "
                    + connection.ops.quote_name(CallStatsBucket._meta.db_table)
                    + " IN SHARE ROW EXCLUSIVE MODE"
                )
        buckets.delete()
        statement, params = _buckets_upsert(attempts)
        with connection.cursor() as cursor:
            cursor.execute(statement, params)
            return cursor.rowcount

"""Statistics for the dashboards (docs/architecture.md §8): one campaign's figures, and the
system's.

Every figure is an aggregate computed by the database, in a fixed number of queries whatever
the size of the data: never a Python loop over rows the database could count. Closed attempts
are read from their rollup, `CallStatsBucket` (per campaign, provider, UTC quarter hour of the
start, and outcome; kept by the attempt's close), so the cost grows with the campaign-days of
activity, not with the attempts; attempts in flight, few and recent, are counted live.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import (
    Case,
    Count,
    DateTimeField,
    ExpressionWrapper,
    F,
    Field,
    Func,
    Max,
    Min,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncHour
from django.utils import timezone
from django_q.conf import Conf as TaskQueueConf
from django_q.status import Stat

from calls.models import (
    CallAttempt,
    CallOutcome,
    CallStatsBucket,
    EmailNotification,
    EmailStatus,
    Provider,
    ProviderConfig,
    SchedulerRun,
    SurveyResponse,
)
from campaigns.contact_states import dialable_q
from campaigns.hours import zone_is_open
from campaigns.models import Campaign, CampaignStatus
from contacts.models import Contact, ContactState

logger = logging.getLogger(__name__)

# Bounds of the stats API's query parameters (docs/architecture.md §8).
TIME_SERIES_HOURS_RANGE = (1, 168)
TIME_SERIES_DAYS_RANGE = (1, 90)
DEFAULT_TIME_SERIES_HOURS = 24
DEFAULT_TIME_SERIES_DAYS = 30

_HOUR = dt.timedelta(hours=1)
_UTC = dt.UTC

# Attempts whose call did not reach the person: the "not_reached" of a time-series bucket.
NOT_REACHED_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED)
ANSWERED_OUTCOMES = (CallOutcome.COMPLETED, CallOutcome.REFUSED)


class _HourStart(Func):
    """The start of the hour that holds a moment, for hours that begin `shift` past each UTC
    hour: the moment's local hour in a zone whose offset is `shift` modulo one hour. Null stays
    null. PostgreSQL bins with `date_bin` (integer arithmetic, no time-zone lookup: a third
    faster than `date_trunc(... AT TIME ZONE ...)` over 300k rows); elsewhere TruncHour in UTC
    of the moment moved by `shift`, moved back."""

    output_field = DateTimeField()

    def __init__(self, expression, *, shift: dt.timedelta):
        super().__init__(expression)
        self.shift = shift

    def as_sql(self, compiler, connection, *args, **extra_context):
        moment = self.source_expressions[0]
        if self.shift:
            moment = ExpressionWrapper(moment + self.shift, output_field=DateTimeField())
        hour: Func | ExpressionWrapper = TruncHour(moment, tzinfo=_UTC)
        if self.shift:
            hour = ExpressionWrapper(hour - self.shift, output_field=DateTimeField())
        return compiler.compile(hour.resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra_context):
        moment_sql, params = compiler.compile(self.source_expressions[0])
        origin = dt.datetime(2000, 1, 1, tzinfo=_UTC) + self.shift
        return f"date_bin('1 hour', {moment_sql}, %s)", (*params, origin)


def _rows(filter: Q | None = None) -> Count:
    """COUNT(*), or COUNT(1) FILTER (WHERE …): counting rows rather than a column lets
    PostgreSQL answer from an index alone (Count("pk") needs the primary key, which the
    (campaign, state) and (campaign, outcome) indexes do not hold). Django refuses "*" with a
    filter, hence the constant."""
    return Count("*") if filter is None else Count(Value(1), filter=filter)


def _percent(part: int, whole: int) -> float:
    return round(100.0 * part / whole, 2) if whole else 0.0


def _seconds(value: float | dt.timedelta | None) -> float | None:
    if value is None:
        return None
    if isinstance(value, dt.timedelta):
        value = value.total_seconds()
    return round(float(value), 2)


# --- one campaign -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Buckets:
    """The buckets of a campaign's time series, in its time zone.

    Hourly buckets are real hours that start on a local hour boundary, so a day with a DST
    change has 23 or 25 of them. The database groups attempts by `_HourStart(started_at,
    shift)`, where `shift` is the zone's offset modulo one hour (30 min for India, 45 for Nepal,
    0 for most zones): one cheap binning that lands exactly on local hour boundaries. Daily
    buckets are local calendar days, assembled from those hours in Python (each such hour lies
    within one local day). Zones whose sub-hour offset itself changes with DST (Lord Howe
    Island) would see their hours labelled half an hour off after the change: accepted.

    Closed attempts are binned by the start of their UTC quarter hour (`CallStatsBucket`)
    instead of their start: the same hours, since `shift` and every series edge (`start`) are
    whole quarter hours, as every UTC offset in use is.
    """

    zone: zoneinfo.ZoneInfo
    shift: dt.timedelta
    hours: list[dt.datetime]  # start of each hourly bucket, aware in the campaign's zone
    days: list[dt.date]
    start: dt.datetime  # the earliest instant either series covers

    @classmethod
    def build(cls, *, zone: zoneinfo.ZoneInfo, now: dt.datetime, hours: int, days: int):
        offset = now.astimezone(zone).utcoffset()
        assert offset is not None  # a datetime in a ZoneInfo zone is aware
        shift = offset % _HOUR
        # The current local hour: truncate in the shifted frame, then shift back. (Arithmetic
        # in UTC: on zoned datetimes it is wall-clock arithmetic, which loses a repeated hour.)
        current = (now.astimezone(_UTC) + shift).replace(minute=0, second=0, microsecond=0)
        current -= shift
        hour_starts = [(current - i * _HOUR).astimezone(zone) for i in range(hours - 1, -1, -1)]
        today = now.astimezone(zone).date()
        day_list = [today - dt.timedelta(days=i) for i in range(days - 1, -1, -1)]
        return cls(
            zone=zone,
            shift=shift,
            hours=hour_starts,
            days=day_list,
            start=min(hour_starts[0], _day_start(day_list[0], zone)),
        )

    def local_date(self, hour_start: dt.datetime) -> dt.date:
        return hour_start.astimezone(self.zone).date()


def _day_start(day: dt.date, zone: zoneinfo.ZoneInfo) -> dt.datetime:
    """The first instant of a local day (midnight, or later where midnight is skipped by DST)."""
    midnight = dt.datetime.combine(day, dt.time(0), tzinfo=zone)
    return midnight.astimezone(_UTC).astimezone(zone)


# Per hour (or for all time): closed attempts per outcome, and their talk time (microseconds).
# One row per hour rather than per hour and outcome: five times fewer rows to read (reading a
# row costs more than summing it; Django parses every timestamp in Python).
_BUCKET_AGGREGATES = {
    **{o: Coalesce(Sum("attempts", filter=Q(outcome=o)), 0) for o in CallOutcome.values},
    "talk_count": Coalesce(Sum("talk_count"), 0),
    "talk_total": Sum("talk_total_us"),
    "talk_min": Min("talk_min_us"),
    "talk_max": Max("talk_max_us"),
}


def _in_series(moment: str, start: dt.datetime) -> Case:
    """The moment when it falls in a series, else null: what precedes both series shares one
    null hour, and only counts in the totals."""
    return Case(
        When(**{f"{moment}__gte": start}, then=F(moment)),
        default=None,
        output_field=DateTimeField(),
    )


def campaign_stats(
    *,
    campaign: Campaign,
    include_time_series: bool = True,
    time_series_hours: int = DEFAULT_TIME_SERIES_HOURS,
    time_series_days: int = DEFAULT_TIME_SERIES_DAYS,
    now: dt.datetime | None = None,
    zone: str | None = None,
) -> dict:
    """The figures of docs/architecture.md §8 "Campaign stats", in three queries: contacts per
    state; closed attempts per outcome with talk time, from their buckets; attempts in flight — both
    grouped by hour when a time series is asked for.

    Rates are percentages with two decimals: completion, refusal and not-reached over the
    contacts that could be called (all but the excluded: an excluded number is never dialled,
    so it can neither complete nor fail); answer rate = answered (completed + refused) attempts
    over finished attempts. `rate_bases` gives both denominators.
    Durations run from answer to end, in seconds (a 0-second call counts as 0; no call, null).
    A time-series bucket counts the attempts *started* in it and how they ended; `not_reached`
    there is the attempts that did not reach the person (no answer, busy, failed).
    The time series are in the campaign's local hours and days, or in `zone`'s."""
    now = now or timezone.now()

    contacts = dict.fromkeys(ContactState.values, 0)
    callbacks_waiting = 0
    for row in (
        Contact.objects.filter(campaign=campaign)
        .order_by()
        .values("state")
        .annotate(n=_rows(), callbacks=Count("pk", filter=Q(callback_at__isnull=False)))
    ):
        contacts[row["state"]] = row["n"]
        if row["state"] == ContactState.PENDING:
            callbacks_waiting = row["callbacks"]
    contacts_total = sum(contacts.values())

    # Grouped by hour for a time series (a few thousand rows at most), else one row each.
    # Attempts in flight have no outcome and no talk time yet.
    closed: QuerySet = CallStatsBucket.objects.filter(campaign=campaign).order_by()
    in_flight: QuerySet = CallAttempt.objects.filter(
        campaign=campaign, outcome__isnull=True
    ).order_by()
    buckets = None
    if include_time_series:
        buckets = _Buckets.build(
            zone=zoneinfo.ZoneInfo(zone or campaign.timezone),
            now=now,
            hours=time_series_hours,
            days=time_series_days,
        )
        closed = closed.annotate(
            hour=_HourStart(_in_series("bucket_start", buckets.start), shift=buckets.shift)
        ).values("hour")
        in_flight = in_flight.annotate(
            hour=_HourStart(_in_series("started_at", buckets.start), shift=buckets.shift)
        ).values("hour")
    else:
        closed, in_flight = closed.values("campaign"), in_flight.values("campaign")
    closed_rows = list(closed.annotate(**_BUCKET_AGGREGATES))
    in_flight_rows = list(in_flight.annotate(attempts=_rows()))

    per_outcome = dict.fromkeys(CallOutcome.values, 0)
    talk_count = talk_total_us = 0
    talk_min_us: int | None = None
    talk_max_us: int | None = None
    for row in closed_rows:
        for outcome in per_outcome:
            per_outcome[outcome] += row[outcome]
        if row["talk_count"]:
            talk_count += row["talk_count"]
            talk_total_us += row["talk_total"]
            talk_min_us = (
                row["talk_min"] if talk_min_us is None else min(talk_min_us, row["talk_min"])
            )
            talk_max_us = (
                row["talk_max"] if talk_max_us is None else max(talk_max_us, row["talk_max"])
            )
    talk_total = dt.timedelta(microseconds=talk_total_us)
    talk_min, talk_max = (
        None if us is None else dt.timedelta(microseconds=us) for us in (talk_min_us, talk_max_us)
    )
    finished = sum(per_outcome.values())
    answered = per_outcome[CallOutcome.COMPLETED] + per_outcome[CallOutcome.REFUSED]
    callable_contacts = contacts_total - contacts[ContactState.EXCLUDED]

    stats = {
        "campaign_id": str(campaign.pk),
        "campaign_name": campaign.name,
        "campaign_status": campaign.status,
        "contacts": {"total": contacts_total, **contacts},
        "call_outcomes": {
            "total_attempts": finished + sum(row["attempts"] for row in in_flight_rows),
            **per_outcome,
        },
        # Pending contacts waiting for the time they asked to be called back at (issue 13).
        "callbacks_waiting": callbacks_waiting,
        "rates": {
            "completion_rate": _percent(contacts[ContactState.COMPLETED], callable_contacts),
            "refusal_rate": _percent(contacts[ContactState.REFUSED], callable_contacts),
            "not_reached_rate": _percent(contacts[ContactState.NOT_REACHED], callable_contacts),
            "answer_rate": _percent(answered, finished),
        },
        # What the rates divide by: the first three the contacts that could be called, the
        # answer rate the finished attempts.
        "rate_bases": {"contacts_callable": callable_contacts, "finished_attempts": finished},
        "duration_stats": {
            "average_duration_seconds": (
                _seconds(talk_total.total_seconds() / talk_count) if talk_count else None
            ),
            "min_duration_seconds": _seconds(talk_min),
            "max_duration_seconds": _seconds(talk_max),
            "total_duration_seconds": _seconds(talk_total) if talk_count else None,
        },
        "time_series_hourly": [],
        "time_series_daily": [],
        "generated_at": now,
    }
    if buckets is not None:
        stats["time_series_hourly"], stats["time_series_daily"] = _series(
            buckets, closed_rows, in_flight_rows
        )
    return stats


def _empty_point(timestamp: dt.datetime) -> dict:
    return {"timestamp": timestamp, "attempts": 0, "completed": 0, "refused": 0, "not_reached": 0}


def _series(
    buckets: _Buckets, closed_rows: list[dict], in_flight_rows: list[dict]
) -> tuple[list[dict], list[dict]]:
    # Keyed by UTC instants: zoned datetimes of one zone compare by wall time, so the two
    # 02:00s of an autumn night would be one key.
    hourly = {start.astimezone(_UTC): _empty_point(start) for start in buckets.hours}
    daily = {day: _empty_point(_day_start(day, buckets.zone)) for day in buckets.days}

    def points(row: dict) -> list[dict]:
        if row["hour"] is None:
            return []  # before both series
        hour = row["hour"].astimezone(_UTC)
        found = (hourly.get(hour), daily.get(buckets.local_date(hour)))
        return [point for point in found if point is not None]

    for row in closed_rows:
        not_reached = sum(row[outcome] for outcome in NOT_REACHED_OUTCOMES)
        attempts = row[CallOutcome.COMPLETED] + row[CallOutcome.REFUSED] + not_reached
        for point in points(row):
            point["attempts"] += attempts
            point["completed"] += row[CallOutcome.COMPLETED]
            point["refused"] += row[CallOutcome.REFUSED]
            point["not_reached"] += not_reached
    for row in in_flight_rows:
        for point in points(row):
            point["attempts"] += row["attempts"]
    return list(hourly.values()), list(daily.values())


# --- the system ---------------------------------------------------------------------------------


def _one_row(querysets: dict[str, QuerySet]) -> dict[str, Any]:
    """Run several one-row aggregate querysets as a single statement, a cross join of one-row
    subqueries: one round trip, each part still written with the ORM. `querysets` maps a
    prefix to `Model.objects.filter(...).values(<aggregates>)`-style querysets built by
    `_aggregate`; columns come back as "<prefix>__<name>", numbers only."""
    parts: list[str] = []
    params: list[Any] = []
    for index, qs in enumerate(querysets.values()):
        sql, part_params = qs.query.sql_with_params()
        parts.append(f"({sql}) AS part_{index}")
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM " + " CROSS JOIN ".join(parts), params)
        values = cursor.fetchone()
    names = [
        f"{prefix}__{name}"
        for prefix, qs in querysets.items()
        for name in qs.query.annotation_select
    ]
    return dict(zip(names, values, strict=True))


def _aggregate(queryset: QuerySet, **aggregates) -> QuerySet:
    """`queryset.aggregate(**aggregates)`, but lazy: grouping by a constant, which Django drops,
    leaves a plain one-row aggregate query to run later (see `_one_row`)."""
    return (
        queryset.order_by()
        .annotate(_all=Value(1))
        .values("_all")
        .annotate(**aggregates)
        .values(*aggregates)
    )


def _provider_config_value(field: str) -> QuerySet:
    return _aggregate(ProviderConfig.objects.filter(pk=ProviderConfig.SINGLETON_ID), v=Max(field))


def _provider_config_default(field: str):
    model_field = ProviderConfig._meta.get_field(field)
    if not isinstance(model_field, Field):
        raise TypeError(f"ProviderConfig.{field} is not a column with a default.")
    return model_field.get_default()


def _closed(**aggregates) -> QuerySet:
    """One-row aggregates over every closed attempt, from the buckets."""
    return _aggregate(CallStatsBucket.objects.all(), **aggregates)


def _closed_attempts(filter: Q | None = None) -> Coalesce:
    return Coalesce(Sum("attempts", filter=filter), 0)


def _in_flight(**aggregates) -> QuerySet:
    return _aggregate(CallAttempt.objects.filter(outcome__isnull=True), **aggregates)


# Campaigns whose pending contacts wait to be called: scheduled, running, paused.
LIVE_CAMPAIGN_STATUSES = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)


def calls_window_start(*, hours: int, now: dt.datetime) -> dt.datetime:
    """The start of the last `hours` whole UTC hours up to now (the current one included): the
    window of the system's "calls in 24 hours" and of its chart, the same hours as a campaign's
    hourly series (in any zone of a whole-hour offset)."""
    return now.astimezone(_UTC).replace(minute=0, second=0, microsecond=0) - (hours - 1) * _HOUR


def system_overview() -> dict:
    """Totals across all campaigns, in one query. Each is the sum of the campaigns' own
    figures (`campaign_stats`): contacts, attempts (closed and in flight), failed attempts;
    pending contacts only of live campaigns (LIVE_CAMPAIGN_STATUSES)."""
    row = _one_row(
        {
            "campaigns": _aggregate(
                Campaign.objects.all(),
                total=_rows(),
                scheduled=_rows(filter=Q(status=CampaignStatus.SCHEDULED)),
            ),
            "contacts": _aggregate(
                Contact.objects.all(),
                total=_rows(),
                # Waiting to be called: a draft's, a finished or cancelled campaign's never are.
                pending=_rows(
                    filter=Q(
                        state=ContactState.PENDING, campaign__status__in=LIVE_CAMPAIGN_STATUSES
                    )
                ),
            ),
            "closed": _closed(
                total=_closed_attempts(), failed=_closed_attempts(Q(outcome=CallOutcome.FAILED))
            ),
            "in_flight": _in_flight(total=_rows()),
            "responses": _aggregate(SurveyResponse.objects.all(), total=_rows()),
            "emails": _aggregate(
                EmailNotification.objects.all(),
                sent=_rows(filter=Q(status=EmailStatus.SENT)),
                failed=_rows(filter=Q(status=EmailStatus.FAILED)),
            ),
        }
    )
    return {
        "total_campaigns": row["campaigns__total"],
        "total_contacts": row["contacts__total"],
        "total_call_attempts": row["closed__total"] + row["in_flight__total"],
        "total_responses": row["responses__total"],
        "pending_contacts": row["contacts__pending"],
        "in_progress_calls": row["in_flight__total"],
        "failed_calls": row["closed__failed"],
        "emails_sent": row["emails__sent"],
        "emails_failed": row["emails__failed"],
        "scheduled_campaigns": row["campaigns__scheduled"],
    }


def dial_queue_due(*, now: dt.datetime) -> tuple[int, dt.datetime | None]:
    """The contacts the scheduler would dial now — in a running campaign, in a dialable state
    with attempts left, due, not flagged do-not-call, and in calling time where they are —
    and since when the longest-waiting of them waits (its retry time, or its import).

    One query, grouped by running campaign and contact time zone (a few dozen rows); whether
    each zone is open is decided in Python as the scheduler decides it. Grouped from the
    campaign side, so that PostgreSQL groups by the campaign's primary key and the contact's
    zone alone (the campaign's other columns depend on its key), not by its calling hours."""
    groups = (
        Campaign.objects.filter(
            Q(contacts__next_attempt_at__isnull=True) | Q(contacts__next_attempt_at__lte=now),
            # The dialable rule, whose first two terms are the partial contact_dialable_idx's
            # own predicate, so that PostgreSQL reads that index alone (it uses a partial index
            # only for a condition it can prove implies the index's).
            dialable_q(prefix="contacts__"),
            status=CampaignStatus.RUNNING,
        )
        .order_by()
        .values(
            "pk",
            "timezone",
            "call_window_start",
            "call_window_end",
            "call_days",
            "contacts__timezone",
        )
        .annotate(
            due=_rows(),
            since=Min(Coalesce("contacts__next_attempt_at", "contacts__created_at")),
        )
    )
    due, since = 0, None
    for group in groups:
        try:
            is_open = zone_is_open(
                group["contacts__timezone"] or group["timezone"],
                at=now,
                window_start=group["call_window_start"],
                window_end=group["call_window_end"],
                call_days=group["call_days"],
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue  # a zone the scheduler cannot place in time: it never dials it either
        if is_open:
            due += group["due"]
            since = group["since"] if since is None else min(since, group["since"])
    return due, since


def system_queue(*, now: dt.datetime | None = None) -> dict:
    """The dial queue, in two queries: the contacts the scheduler would dial now
    (`dial_queue_due`); calls in flight and finished attempts."""
    now = now or timezone.now()
    due, since = dial_queue_due(now=now)
    row = _one_row(
        {
            "in_flight": _in_flight(total=_rows()),
            # Processing time: start → end of the closed attempts that have an end.
            "closed": _closed(
                completed=_closed_attempts(Q(outcome=CallOutcome.COMPLETED)),
                failed=_closed_attempts(Q(outcome=CallOutcome.FAILED)),
                run_total_us=Coalesce(Sum("run_total_us"), 0),
                run_count=Coalesce(Sum("run_count"), 0),
            ),
        }
    )
    run_count = row["closed__run_count"]
    # Microseconds to seconds: an exact integer (a sum of bigints is a numeric), divided once.
    processing = int(row["closed__run_total_us"]) / 10**6 / run_count if run_count else None
    return {
        "pending": due,
        "processing": row["in_flight__total"],
        "success": row["closed__completed"],
        "failed": row["closed__failed"],
        "avg_processing_time_ms": None if processing is None else round(processing * 1000, 2),
        "oldest_pending_age_seconds": (
            None if since is None else max(0, round((now - since).total_seconds()))
        ),
    }


def task_cluster_count() -> int | None:
    """The django-q clusters alive now, as they report themselves to the broker every few
    seconds (django-q2's `Stat`: Redis keys that expire after 3 s with the Redis broker, the
    Django cache with the ORM broker). None when the broker cannot be asked."""
    try:
        return sum(1 for stat in Stat.get_all() if stat.status != TaskQueueConf.STOPPED)
    except Exception as exc:  # a broker outage must not break the dashboard
        logger.warning("task broker unavailable for cluster stats: %s", type(exc).__name__)
        return None


def system_orchestrator(*, now: dt.datetime | None = None) -> dict:
    """The scheduler, in two queries: its last tick; then the calls placed in the last 24
    hours (attempts started since `calls_window_start`, closed ones from their buckets: the
    sum of the campaigns' hourly series) with the calls in flight against the concurrency
    limit; and the live task clusters."""
    now = now or timezone.now()
    since = calls_window_start(hours=24, now=now)
    last_run = (
        SchedulerRun.objects.order_by("-started_at").values("started_at", "calls_placed").first()
    )
    row = _one_row(
        {
            "closed": _aggregate(
                CallStatsBucket.objects.filter(bucket_start__gte=since), placed=_closed_attempts()
            ),
            "attempts": _aggregate(
                CallAttempt.objects.filter(outcome__isnull=True),
                in_flight=_rows(),
                recent=_rows(filter=Q(started_at__gte=since)),
            ),
            "config": _provider_config_value("max_concurrent_calls"),
        }
    )
    max_concurrent = row["config__v"] or _provider_config_default("max_concurrent_calls")
    return {
        "last_run_at": last_run["started_at"] if last_run else None,
        "actions_last_run": last_run["calls_placed"] if last_run else 0,
        "actions_last_24h": int(row["closed__placed"]) + row["attempts__recent"],
        "queue_saturation": round(min(1.0, row["attempts__in_flight"] / max_concurrent), 4),
        "active_workers": task_cluster_count(),
    }


def system_platforms() -> dict:
    """Per telephony provider, in one query; every provider present, zero when unused."""
    closed: dict[str, Coalesce] = {}
    in_flight: dict[str, Count] = {}
    for provider in Provider.values:
        mine = Q(provider=provider)
        closed |= {
            f"{provider}_finished": _closed_attempts(mine),  # every closed attempt is finished
            f"{provider}_completed": _closed_attempts(mine & Q(outcome=CallOutcome.COMPLETED)),
            f"{provider}_failed": _closed_attempts(mine & Q(outcome=CallOutcome.FAILED)),
            f"{provider}_answered": _closed_attempts(mine & Q(outcome__in=ANSWERED_OUTCOMES)),
            f"{provider}_talk_total_us": Coalesce(Sum("talk_total_us", filter=mine), 0),
            f"{provider}_talk_count": Coalesce(Sum("talk_count", filter=mine), 0),
        }
        in_flight[provider] = _rows(filter=mine)
    row = _one_row({"closed": _closed(**closed), "in_flight": _in_flight(**in_flight)})

    platforms = {}
    for provider in Provider.values:
        prefix = f"closed__{provider}_"
        sums = {k.removeprefix(prefix): v for k, v in row.items() if k.startswith(prefix)}
        platforms[provider] = {
            "calls_placed": sums["finished"] + row[f"in_flight__{provider}"],
            "calls_completed": sums["completed"],
            "calls_failed": sums["failed"],
            "answer_rate": _percent(sums["answered"], sums["finished"]),
            "avg_duration_seconds": (
                _seconds(int(sums["talk_total_us"]) / 10**6 / sums["talk_count"])
                if sums["talk_count"]
                else None
            ),
        }
    return platforms


def system_campaigns() -> dict:
    """Campaigns per status and the money spent, in one query. Calls are billed per started
    minute of talk time (answer → end) at the configured cost per minute."""
    row = _one_row(
        {
            "campaigns": _aggregate(
                Campaign.objects.all(),
                **{s: _rows(filter=Q(status=s)) for s in CampaignStatus.values},
            ),
            "closed": _closed(minutes=Coalesce(Sum("billed_minutes"), 0)),
            "config": _provider_config_value("cost_per_minute"),
        }
    )
    cost = row["config__v"]
    if cost is None:
        cost = _provider_config_default("cost_per_minute")
    minutes = int(row["closed__minutes"])
    return {
        "by_status": {s: row[f"campaigns__{s}"] for s in CampaignStatus.values},
        "total_campaigns": sum(row[f"campaigns__{s}"] for s in CampaignStatus.values),
        "billed_minutes": minutes,
        "total_budget_spent": round(float(cost) * minutes, 2),
        "currency": settings.CALL_COST_CURRENCY,
    }


def system_calls_per_hour(*, hours: int = 24, now: dt.datetime | None = None) -> list[dict]:
    """Calls placed in each of the last `hours` UTC hours (oldest first), all campaigns: the
    attempts started in each, closed ones from their buckets and those in flight, so that an
    hour is the sum of the campaigns' own hourly figures. Two queries."""
    now = now or timezone.now()
    since = calls_window_start(hours=hours, now=now)
    placed = {since + i * _HOUR: 0 for i in range(hours)}
    closed = (
        CallStatsBucket.objects.filter(bucket_start__gte=since)
        .order_by()
        .annotate(hour=TruncHour("bucket_start", tzinfo=_UTC))
        .values("hour")
        .annotate(n=Sum("attempts"))
    )
    in_flight = (
        CallAttempt.objects.filter(outcome__isnull=True, started_at__gte=since)
        .order_by()
        .annotate(hour=TruncHour("started_at", tzinfo=_UTC))
        .values("hour")
        .annotate(n=_rows())
    )
    for row in [*closed, *in_flight]:
        if row["hour"] in placed:
            placed[row["hour"]] += row["n"]
    return [{"hour": hour, "calls_placed": count} for hour, count in placed.items()]

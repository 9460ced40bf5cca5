"""The outcome rules of DESIGN §5, in one place.

Two small pure functions say what happens:

- `call_end_outcome`: how a call the provider reports as over ends, when our dialogue did not
  end it first (busy, no answer, hung up mid-survey…);
- `contact_move`: where the contact goes after an outcome —

    completed                         → completed, event survey.completed
    refused                           → refused,   event survey.refused
    no_answer | busy | failed:
        number excluded / do_not_call → excluded (never dialled again; no event)
        attempts left                 → pending, next_attempt_at = end + retry interval
        no attempts left              → not_reached, event survey.not_reached

and `call_attempt_close` applies them in one transaction: close the attempt (exactly once),
move the contact, write the SurveyResponse of a completed survey and the SurveyEvent (outbox),
and add the attempt to its stats bucket (`CallStatsBucket`, the closed attempts summed per
quarter hour, which the dashboards read; `call_stats_rebuild` recomputes buckets).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING

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
)
from django.db.models.functions import Cast, Ceil, Coalesce
from django.utils import timezone

from calls.dialogue import Answer
from calls.models import (
    CALL_STATS_KEY,
    RETRYABLE_OUTCOMES,
    CallAttempt,
    CallOutcome,
    CallStatsBucket,
    SurveyEvent,
    SurveyEventType,
    SurveyResponse,
)
from calls.telephony.base import CallStatus
from contacts.models import Contact, ContactState, ExclusionEntry

if TYPE_CHECKING:
    from campaigns.models import Campaign

# Error codes we set ourselves (providers add their own).
HUNG_UP = "hung_up"
TIMEOUT = "timeout"
PROVIDER_UNAVAILABLE = "provider_unavailable"


@dataclasses.dataclass(frozen=True)
class ContactMove:
    state: str
    event_type: str | None  # the SurveyEvent to write, if any
    retry: bool  # set next_attempt_at = end of call + retry interval


def call_end_outcome(status: str, *, answered: bool, error_code: str = "") -> tuple[str, str]:
    """(outcome, error code) of a call that ended without our dialogue closing it."""
    if status == CallStatus.BUSY:
        return CallOutcome.BUSY, error_code
    if status == CallStatus.NO_ANSWER:
        return CallOutcome.NO_ANSWER, error_code
    if status == CallStatus.COMPLETED:
        # Answered, then over before the survey ended: the callee hung up (or the line
        # dropped). Never answered yet "completed": nobody picked up.
        if answered:
            return CallOutcome.FAILED, error_code or HUNG_UP
        return CallOutcome.NO_ANSWER, error_code
    if status == CallStatus.CANCELED:
        return CallOutcome.FAILED, error_code or "canceled"
    if status == CallStatus.FAILED:
        return CallOutcome.FAILED, error_code or "provider_failed"
    raise ValueError(f"{status!r} is not a final call status.")


def contact_move(
    outcome: str, *, attempts_count: int, max_attempts: int, excluded: bool
) -> ContactMove:
    """Where a contact goes after an attempt with this outcome (`attempts_count` includes it)."""
    if outcome == CallOutcome.COMPLETED:
        return ContactMove(ContactState.COMPLETED, SurveyEventType.COMPLETED, retry=False)
    if outcome == CallOutcome.REFUSED:
        return ContactMove(ContactState.REFUSED, SurveyEventType.REFUSED, retry=False)
    if outcome not in RETRYABLE_OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}.")
    if excluded:
        return ContactMove(ContactState.EXCLUDED, None, retry=False)
    if attempts_count < max_attempts:
        return ContactMove(ContactState.PENDING, None, retry=True)
    return ContactMove(ContactState.NOT_REACHED, SurveyEventType.NOT_REACHED, retry=False)


def _answers_payload(answers: Sequence[Answer]) -> dict:
    return {f"q{i}": answer.value for i, answer in enumerate(answers, start=1)}


def call_attempt_close(
    *,
    attempt: CallAttempt,
    outcome: str,
    error_code: str = "",
    raw_status: str = "",
    ended_at: dt.datetime | None = None,
    answers: Sequence[Answer] = (),
    consent_at: dt.datetime | None = None,
    counts_as_attempt: bool = True,
) -> bool:
    """Give an attempt in flight its final outcome and apply the rules above. Returns False,
    changing nothing, when the attempt was already closed (a replay, a late event, a race).

    `counts_as_attempt=False` (provider outage) gives the contact its attempt back and returns
    it to pending without writing any event."""
    # Part of the caller's transaction when there is one (no savepoint: nothing here is
    # meant to fail on its own), else a transaction of its own.
    with transaction.atomic(savepoint=False):
        closed = _close(
            attempt=attempt,
            outcome=outcome,
            error_code=error_code,
            raw_status=raw_status,
            ended_at=ended_at,
            answers=answers,
            consent_at=consent_at,
            counts_as_attempt=counts_as_attempt,
        )
        if closed:
            # Last: concurrent closes of calls started in the same quarter hour share the
            # bucket row, so it stays locked only until the commit that follows.
            call_stats_add(attempt=attempt)
        return closed


def _close(
    *,
    attempt: CallAttempt,
    outcome: str,
    error_code: str,
    raw_status: str,
    ended_at: dt.datetime | None,
    answers: Sequence[Answer],
    consent_at: dt.datetime | None,
    counts_as_attempt: bool,
) -> bool:
    now = timezone.now()
    ended_at = ended_at or now
    closing = {"outcome": outcome, "ended_at": ended_at, "error_code": error_code[:64]}
    if raw_status:
        closing["provider_raw_status"] = raw_status[:32]
    # One conditional UPDATE closes the attempt exactly once, whoever races us.
    if not CallAttempt.objects.filter(pk=attempt.pk, outcome__isnull=True).update(**closing):
        return False
    for name, value in closing.items():
        setattr(attempt, name, value)

    contact = Contact.objects.select_for_update().get(pk=attempt.contact_id)
    if contact.state != ContactState.IN_PROGRESS:
        return True  # moved by someone else meanwhile (e.g. deleted and re-imported): leave it
    if not counts_as_attempt:
        Contact.objects.filter(pk=contact.pk).update(
            state=ContactState.PENDING,
            attempts_count=max(0, contact.attempts_count - 1),
            updated_at=now,
        )
        return True

    campaign = attempt.campaign
    # The number may have been excluded while the call was in flight (DESIGN §5).
    excluded = outcome in RETRYABLE_OUTCOMES and (
        contact.do_not_call
        or ExclusionEntry.objects.filter(phone_number=contact.phone_number).exists()
    )
    move = contact_move(
        outcome,
        attempts_count=contact.attempts_count,
        max_attempts=campaign.max_attempts,
        excluded=excluded,
    )
    Contact.objects.filter(pk=contact.pk).update(
        state=move.state,
        last_outcome=outcome,
        next_attempt_at=(
            ended_at + dt.timedelta(minutes=campaign.retry_interval_minutes) if move.retry else None
        ),
        updated_at=now,
    )

    if outcome == CallOutcome.COMPLETED:
        response = SurveyResponse.objects.filter(contact=contact).first() or SurveyResponse(
            contact=contact, campaign=campaign
        )
        response.call_attempt = attempt
        for i, answer in enumerate(answers[:3], start=1):
            setattr(response, f"q{i}_answer", answer.value)
            setattr(response, f"q{i}_confidence", answer.confidence)
        response.consent_at = consent_at
        response.completed_at = ended_at
        # Fields validated here; the foreign keys are rows we hold and the confidence range is
        # the table's check constraint: validating those would cost queries on every survey.
        response.full_clean(
            exclude=["contact", "campaign", "call_attempt"],
            validate_unique=False,
            validate_constraints=False,
        )
        response.save()

    if move.event_type is None:
        return True
    if (
        move.event_type == SurveyEventType.NOT_REACHED
        and SurveyEvent.objects.filter(contact=contact, type=move.event_type).exists()
    ):
        return True  # not reached again after max_attempts was raised: reported once
    payload = {"call_id": str(attempt.pk), "outcome": outcome, "attempts": contact.attempts_count}
    if answers:
        payload["answers"] = _answers_payload(answers)
    event = SurveyEvent(
        type=move.event_type,
        campaign=campaign,
        contact=contact,
        call_attempt=attempt,
        payload=payload,
        created_at=now,
    )
    event.full_clean(
        exclude=["campaign", "contact", "call_attempt"],
        validate_unique=False,  # a fresh uuid4 key
        validate_constraints=False,
    )
    event.save(force_insert=True)
    return True


def contacts_out_of_attempts_close(*, campaign: Campaign, batch_size: int = 5000) -> int:
    """After a running or paused campaign's max_attempts was lowered: the pending contacts
    whose attempts already reach it have none left, so they are not reached (the rule above),
    each with its survey.not_reached event — once, as when a last call ends. Contacts in a
    call meet the new limit when it ends. In batches, in the caller's transaction. Returns
    how many moved."""
    now = timezone.now()
    moved = 0
    with transaction.atomic(savepoint=False):
        while True:
            batch = list(
                Contact.objects.select_for_update()
                .filter(
                    campaign=campaign,
                    state=ContactState.PENDING,
                    attempts_count__gte=campaign.max_attempts,
                )
                .values_list("pk", "attempts_count", "last_outcome")[:batch_size]
            )
            if not batch:
                return moved
            ids = [pk for pk, _attempts, _outcome in batch]
            Contact.objects.filter(pk__in=ids).update(
                state=ContactState.NOT_REACHED, next_attempt_at=None, updated_at=now
            )
            reported = set(
                SurveyEvent.objects.filter(
                    contact_id__in=ids, type=SurveyEventType.NOT_REACHED
                ).values_list("contact_id", flat=True)
            )
            SurveyEvent.objects.bulk_create(
                SurveyEvent(
                    type=SurveyEventType.NOT_REACHED,
                    campaign=campaign,
                    contact_id=pk,
                    payload={"outcome": outcome, "attempts": attempts},
                    created_at=now,
                )
                for pk, attempts, outcome in batch
                if pk not in reported
            )
            moved += len(batch)


# --- The stats rollup -------------------------------------------------------------------------
#
# The dashboards' figures of closed attempts are sums over `CallStatsBucket` rows, not over
# every attempt (DESIGN §9). Each figure keeps the rule it had when it was computed from the
# attempts; the expressions below are those rules.


class DurationSeconds(Func):
    """A duration expression (e.g. `F("ended_at") - F("answered_at")`) as seconds, a float.
    Django subtracts datetimes into an interval on PostgreSQL and into integer microseconds on
    SQLite; this reads either as seconds."""

    output_field = FloatField()

    def __init__(self, expression, **extra):
        super().__init__(ExpressionWrapper(expression, output_field=DurationField()), **extra)

    def as_sql(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template="(%(expressions)s) / 1000000.0", **extra_context
        )

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

    def as_sql(self, compiler, connection, **extra_context):
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
    """The closed ones of these attempts, summed per bucket: one row per bucket, its columns
    named as CallStatsBucket's."""
    return (
        attempts.filter(outcome__isnull=False)
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
    key = [quote(meta.get_field(name).column) for name in CALL_STATS_KEY]
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

"""The scheduler (docs/architecture.md §6.2): each tick picks the contacts to dial now
(calls/candidates.py), claims them and dials them.

One tick:
1. Scheduled campaigns whose start has come turn running (`campaign_start_due`); running
   campaigns that have spent their budget are paused (`campaigns_over_budget_pause`).
2. In one short transaction, holding the ProviderConfig row lock (so concurrent ticks take
   turns for the concurrency budget): budget = min(max_concurrent_calls − calls in flight,
   calls_per_second × tick length); shared fairly across running campaigns; in each, only
   contacts whose local time (zone from the number, else the campaign's) is inside the call
   window on an allowed day, not excluded, not do_not_call, with attempts left and
   `next_attempt_at` due — retries that are due first (oldest first), then never-called ones.
   Rows are taken with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL): two schedulers never take
   the same contact; the same statement checks the exclusion list again. Then the contacts are
   set in progress and the attempts created; commit. About ten statements in all, whatever the
   number of campaigns and zones.
3. Dial, after the commit: the attempt exists before the provider can call back. Each dial
   of a live tick takes a slot of the pace shared by every scheduler (calls/pacing.py: no
   second holds more than calls_per_second dials, however many ticks overlap), checks the
   contact's calling hours again at that instant (closed since the claim: given back, not
   dialled), and marks its attempt dialled (`dialled_at`) before the provider sees it.
   A number the provider rejects fails its attempt; a provider outage gives every undialled
   attempt back (no attempt used) and pauses dialling for PROVIDER_OUTAGE_BACKOFF_SECONDS.
   A provider may hold the calls it accepts and place them together (the simulator queues its
   callees in one round trip); what it cannot place is given back as after an outage.
4. Running campaigns with nothing left turn completed. One SchedulerRun row records the tick:
   running, with a heartbeat while it dials, then finished or failed. The attempts of a tick
   that died mid-dial and never reached the provider are given back (calls/scheduler_runs.py),
   by the next tick or reconciliation, whichever comes first.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import math
import time
import uuid
from collections.abc import Sequence

from django.conf import settings
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from calls import outcomes
from calls.candidates import (
    as_uuid,
    contact_in_calling_hours,
    db_uuid,
    dialable_zones_by_campaign,
    fair_share,
    interleave,
    open_zones,
)
from calls.models import (
    CallAttempt,
    CallOutcome,
    ProviderConfig,
    SchedulerRun,
    SchedulerRunStatus,
)
from calls.pacing import dial_pace_ready, dial_slot_take
from calls.scheduler_runs import (
    HEARTBEAT_SECONDS,
    scheduler_run_beat,
    scheduler_run_start,
    scheduler_runs_reconcile,
)
from calls.selectors import provider_config_get
from calls.services import call_language
from calls.spend import campaigns_over_budget_pause
from calls.telephony.base import (
    CallRejected,
    OutgoingCall,
    ProviderNotConfigured,
    ProviderUnavailable,
    TelephonyProvider,
)
from calls.telephony.providers import provider_get
from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_complete_if_finished, campaign_start_due
from contacts.models import Contact, ContactState
from voicesurvey import metrics
from voicesurvey.tracing import current_trace_id, traced

logger = logging.getLogger(__name__)


# Sets the claimed contacts in progress and, in the same round trip, reads the highest attempt
# number each already has. The statement runs after the locks were taken, so it sees every
# attempt committed before them (as the separate query it replaces did); its correlated MAX is
# one backward probe of the (contact, attempt_number) index per contact.
_SET_IN_PROGRESS_SQL = """
UPDATE contacts_contact SET state = %s, attempts_count = attempts_count + 1,
    last_attempt_at = %s, next_attempt_at = NULL, updated_at = %s
WHERE id IN ({ids})
RETURNING id, (
    SELECT MAX(attempt_number) FROM calls_callattempt WHERE contact_id = contacts_contact.id
)
"""


def _contacts_set_in_progress(contacts: Sequence[Contact], *, at: dt.datetime) -> dict:
    """Set the (locked) contacts in progress, one attempt more; returns each one's highest
    attempt number so far (None when it has none). UPDATE … RETURNING: PostgreSQL, and SQLite
    from 3.35."""
    at_value = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(
            _SET_IN_PROGRESS_SQL.format(ids=", ".join(["%s"] * len(contacts))),
            [ContactState.IN_PROGRESS, at_value, at_value, *(db_uuid(c.pk) for c in contacts)],
        )
        return {as_uuid(contact_id): last for contact_id, last in cursor.fetchall()}


def _claim(
    *,
    run: SchedulerRun,
    at: dt.datetime,
    provider_name: str,
    campaign_ids: list | None,
    details: dict,
) -> tuple[list[tuple[CallAttempt, Contact]], list[Campaign], float]:
    """Step 2 of the tick, in one transaction. Returns the attempts to dial (created and
    committed), the running campaigns seen, and the dial rate (calls per second)."""
    with transaction.atomic():
        config = ProviderConfig.objects.select_for_update().get(pk=ProviderConfig.SINGLETON_ID)
        running = Campaign.objects.filter(status=CampaignStatus.RUNNING)
        if campaign_ids is not None:
            running = running.filter(pk__in=campaign_ids)
        campaigns = list(running.order_by("created_at", "pk"))
        rate = float(config.calls_per_second)
        if config.dialling_paused_until and at < config.dialling_paused_until:
            details["paused_until"] = config.dialling_paused_until.isoformat()
            return [], campaigns, rate
        if not campaigns:
            return [], campaigns, rate
        in_flight = CallAttempt.objects.filter(outcome__isnull=True, provider=provider_name).count()
        budget = min(
            config.max_concurrent_calls - in_flight,
            math.floor(rate * settings.SCHEDULER_TICK_SECONDS),
        )
        details.update(in_flight=in_flight, budget=max(0, budget))
        if budget <= 0:
            return [], campaigns, rate

        # Start the fair share at a different campaign each tick (taken from the run's id, not
        # from process memory), so rounding never favours the same one.
        start = run.pk % len(campaigns)
        rotated = campaigns[start:] + campaigns[:start]
        found = dialable_zones_by_campaign([c.pk for c in rotated])
        zones = {c.pk: open_zones(c, found[c.pk], at, details) for c in rotated}
        contacts = interleave(fair_share(rotated, zones, budget, at))
        if not contacts:
            return [], campaigns, rate

        # The exclusion list, checked again at dial time (an entry may be seconds old): `_lock`
        # read it with the lock. Those listed took their share of the budget, as they always
        # did; they are excluded instead of dialled.
        excluded = [c for c in contacts if c.excluded]
        if excluded:
            Contact.objects.filter(pk__in=[c.pk for c in excluded]).update(
                state=ContactState.EXCLUDED, next_attempt_at=None, updated_at=at
            )
            contacts = [c for c in contacts if not c.excluded]
            details["excluded_at_dial_time"] = len({c.phone_number for c in excluded})
        if not contacts:
            return [], campaigns, rate

        numbers = _contacts_set_in_progress(contacts, at=at)
        by_id = {c.pk: c for c in campaigns}
        dials: list[tuple[CallAttempt, Contact]] = []
        for contact in contacts:
            attempt = CallAttempt(
                call_id=uuid.uuid4(),
                contact=contact,
                campaign=by_id[contact.campaign_id],
                # The next number follows both the count and the highest number so far: an
                # attempt given back after an outage keeps its row (and its number).
                attempt_number=max(numbers[contact.pk] or 0, contact.attempts_count) + 1,
                provider=provider_name,
                started_at=at,
                scheduler_run=run,
                # The tick's trace: the call's webhooks will run and log under it.
                trace_id=current_trace_id(),
            )
            dials.append((attempt, contact))
        # Built here from rows we hold; the constraints (unique number per contact) guard them.
        _attempts_insert([attempt for attempt, _ in dials])
    return dials, campaigns, rate


# --- Dialling ------------------------------------------------------------------------------------


def _give_back(attempt: CallAttempt, at: dt.datetime) -> None:
    outcomes.call_attempt_close(
        attempt=attempt,
        outcome=CallOutcome.FAILED,
        error_code=outcomes.PROVIDER_UNAVAILABLE,
        ended_at=at,
        counts_as_attempt=False,
    )


# The columns in which a tick's new attempts differ; they agree on every other one.
_ATTEMPT_ROW_COLUMNS = frozenset({"call_id", "contact_id", "campaign_id", "attempt_number"})


def _attempts_insert(attempts: list[CallAttempt]) -> None:
    """Insert the tick's new attempts. On PostgreSQL with one INSERT … SELECT FROM unnest() of
    the columns in which they differ, each other column one parameter, its value prepared by
    the model's field as `bulk_create` would: `bulk_create` prepares, adapts and sends all ~15
    values of every row, ~10 ms of CPU for 100 attempts, where this takes ~2. (Should a column
    come to differ between them — a new per-row default — `bulk_create` does it.)"""
    fields = CallAttempt._meta.concrete_fields
    first = attempts[0]
    same = [f for f in fields if f.attname not in _ATTEMPT_ROW_COLUMNS]
    if connection.vendor != "postgresql" or any(
        getattr(a, f.attname) != getattr(first, f.attname) for a in attempts for f in same
    ):
        CallAttempt.objects.bulk_create(attempts)
        return
    columns, values, constants, arrays, names, rows = [], [], [], [], [], []
    for field in fields:
        db_type = field.db_type(connection)
        columns.append(connection.ops.quote_name(field.column))
        if field.attname in _ATTEMPT_ROW_COLUMNS:
            values.append(f"attempt.{field.column}")
            arrays.append(f"%s::{db_type}[]")
            names.append(field.column)
            prepare = field.get_db_prep_save
            rows.append([prepare(getattr(a, field.attname), connection) for a in attempts])
        else:
            values.append(f"%s::{db_type}")
            constants.append(field.get_db_prep_save(field.pre_save(first, add=True), connection))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {connection.ops.quote_name(CallAttempt._meta.db_table)} "
            f"({', '.join(columns)}) SELECT {', '.join(values)} "
            f"FROM unnest({', '.join(arrays)}) AS attempt({', '.join(names)})",
            [*constants, *rows],
        )


def _provider_call_ids_save(attempts: list[CallAttempt]) -> None:
    """Record the providers' call ids in one UPDATE. On PostgreSQL by two arrays (two
    parameters): `bulk_update`'s CASE with a branch and two parameters per row costs more CPU
    to build and to send than the rest of the dispatch."""
    if connection.vendor != "postgresql":
        CallAttempt.objects.bulk_update(attempts, ["provider_call_id"])
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE calls_callattempt SET provider_call_id = dialled.provider_call_id "
            "FROM unnest(%s::uuid[], %s::text[]) AS dialled(call_id, provider_call_id) "
            "WHERE calls_callattempt.call_id = dialled.call_id",
            [[a.pk for a in attempts], [a.provider_call_id for a in attempts]],
        )


def _as_outage(provider: TelephonyProvider, exc: Exception) -> ProviderUnavailable:
    """A failure to place calls that is no number's fault: an outage (ProviderUnavailable), or
    a fault we cannot place, logged by its type only (a provider's message may quote the number
    it was dialling)."""
    if isinstance(exc, ProviderUnavailable):
        metrics.provider_errors_total.labels(provider=provider.name, kind="unavailable").inc()
        return exc
    metrics.provider_errors_total.labels(provider=provider.name, kind="error").inc()
    logger.error("provider %s failed to start a call: %s", provider.name, type(exc).__name__)
    return ProviderUnavailable(f"{type(exc).__name__}: {exc}")


def _release(
    provider: TelephonyProvider, held: list[CallAttempt], *, at: dt.datetime
) -> tuple[list[CallAttempt], ProviderUnavailable | None]:
    """Have the provider place the calls it holds. Returns the attempts now in flight (all of
    `held`, or none) and the outage, if there was one: then none of those calls was placed,
    and their attempts are given back (no attempt used)."""
    try:
        provider.release_calls()
    except Exception as exc:
        for attempt in held:
            _give_back(attempt, at)
        return [], _as_outage(provider, exc)
    return held, None


def _close_rejected(rejected: list[tuple[CallAttempt, str]], *, at: dt.datetime) -> None:
    """Fail the attempts of the numbers the provider rejected (they count), by the outcome
    rules as ever, in one transaction (the caller's, if any: no savepoint, a failure fails the
    tick)."""
    if not rejected:
        return
    with transaction.atomic(savepoint=False):
        for attempt, code in rejected:
            outcomes.call_attempt_close(
                attempt=attempt, outcome=CallOutcome.FAILED, error_code=code, ended_at=at
            )


def _outgoing_call(
    attempt: CallAttempt, contact: Contact, provider: TelephonyProvider
) -> OutgoingCall:
    call_id = str(attempt.pk)
    return OutgoingCall(
        call_id=call_id,
        to=contact.phone_number,
        from_=provider.config.outbound_number,
        language=call_language(contact=contact, campaign=attempt.campaign),
        started_at=attempt.started_at,
        status_url=provider.status_url(call_id, trace_id=attempt.trace_id),
        dialogue_url=provider.dialogue_url(call_id, turn=0, trace_id=attempt.trace_id),
        contact_id=str(contact.pk),
        attempt_number=attempt.attempt_number,
        trace_id=attempt.trace_id,
    )


def _dialled_mark(attempts: list[CallAttempt], *, at: dt.datetime) -> int:
    """Record that these attempts are being handed to the provider, before it sees them; only
    those still in flight (reconciliation may have given one back). Returns how many."""
    return CallAttempt.objects.filter(pk__in=[a.pk for a in attempts], outcome__isnull=True).update(
        dialled_at=at
    )


class _Dialling:
    """Step 3 of one tick: dial the claimed attempts in order. `dial()` returns (the attempts
    now in flight, errors).

    The provider may hold the calls it accepts and place them together (`hold_calls`): the
    simulator then queues a tick's callees with one round trip to the broker instead of one
    each. The attempts of numbers it rejects are closed together too, in one transaction (one
    commit, not one each). Both happen before every wait for a dial slot, so pacing delays
    neither, and at the end.

    A live tick (`pace`) waits for each dial's slot of the shared pace (calls/pacing.py),
    beating its run's heartbeat meanwhile, checks the contact's calling hours at that instant
    and marks the attempt dialled (at the slot's time) before the provider sees it. A tick as
    of a given time (tests, `simulate`) dials at once, its attempts marked together first."""

    def __init__(
        self,
        provider: TelephonyProvider,
        *,
        run: SchedulerRun,
        at: dt.datetime,
        rate: float,
        pace: bool,
        details: dict,
    ):
        self.provider, self.run, self.at, self.pace, self.details = provider, run, at, pace, details
        # Rounded up to the microsecond the slots are kept in: three slots of 333,333 µs
        # would let a fourth dial into the same second.
        self.interval = dt.timedelta(microseconds=math.ceil(1_000_000 / rate))
        self.beaten = time.monotonic()
        self.errors = 0
        self.outage: ProviderUnavailable | None = None
        self.dialled: list[CallAttempt] = []
        self.held: list[CallAttempt] = []  # accepted by the provider, placed at its next release
        self.held_since = 0.0
        self.rejected: list[tuple[CallAttempt, str]] = []  # numbers it rejected, and why

    def dial(self, dials: list[tuple[CallAttempt, Contact]]) -> tuple[list[CallAttempt], int]:
        if dials:
            if self.pace:
                dial_pace_ready()
            else:
                _dialled_mark([attempt for attempt, _ in dials], at=self.at)
        self.provider.hold_calls()
        try:
            for attempt, contact in dials:
                if self.outage is not None:
                    _give_back(attempt, self.at)
                elif not self.pace or self._turn_come(attempt, contact):
                    self._start_call(attempt, contact)
        except BaseException:
            # The tick fails (the database went away…): the calls the provider accepted are
            # placed all the same, as they would have been one by one; their attempts exist.
            with contextlib.suppress(Exception):
                self.provider.release_calls()
            raise
        # Placed whatever happened after them: the provider accepted them.
        placed, failure = _release(self.provider, self.held, at=self.at)
        self.dialled += placed
        if failure is not None and self.outage is None:
            self.outage = failure
            self.errors += 1
        _dial_results_save(self.rejected, self.dialled, at=self.at)
        if self.outage is not None:
            _dialling_pause(self.provider, self.outage, at=self.at, details=self.details)
        return self.dialled, self.errors

    def _turn_come(self, attempt: CallAttempt, contact: Contact) -> bool:
        """Wait for this dial's slot. False when the attempt is not to be dialled after all
        (given back here or by reconciliation meanwhile, or an outage came up)."""
        campaign = attempt.campaign
        now = timezone.now()
        # Checked before the slot is taken too, so that a zone that closed wastes no slots.
        if not contact_in_calling_hours(contact, campaign, at=now):
            self._calling_hours_ended(attempt, at=now)
            return False
        # A tick fast enough never to wait still places what it holds every second: what a
        # kill can lose is then a second's dials of a holding provider, not a tick's.
        if self.held and time.monotonic() - self.held_since >= 1:
            self._flush()
            if self.outage is not None:
                _give_back(attempt, self.at)
                return False
        while True:
            slot, wait = dial_slot_take(interval=self.interval)
            self._beat()
            if slot is not None:
                break
            self._flush()
            if self.outage is not None:
                _give_back(attempt, self.at)
                return False
            time.sleep(min(wait, HEARTBEAT_SECONDS))
        if not contact_in_calling_hours(contact, campaign, at=slot):
            self._calling_hours_ended(attempt, at=slot)
            return False
        if not _dialled_mark([attempt], at=slot):
            self._count("given_back_before_dial")
            return False
        return True

    def _start_call(self, attempt: CallAttempt, contact: Contact) -> None:
        call = _outgoing_call(attempt, contact, self.provider)
        try:
            attempt.provider_call_id = self.provider.start_call(call)[:64]
        except CallRejected as exc:
            self.errors += 1
            metrics.provider_errors_total.labels(provider=self.provider.name, kind="rejected").inc()
            self.rejected.append((attempt, exc.code))
        except Exception as exc:
            # An outage, or a fault we cannot place: either way this number is not to blame,
            # so no attempt is used; dialling pauses.
            self.outage = _as_outage(self.provider, exc)
            self.errors += 1
            _give_back(attempt, self.at)
        else:
            if not self.held:
                self.held_since = time.monotonic()
            self.held.append(attempt)

    def _flush(self) -> None:
        """Before a wait: the provider places what it holds, the rejected numbers' attempts
        are closed."""
        if not (self.held or self.rejected):
            return
        placed, outage = _release(self.provider, self.held, at=self.at)
        self.dialled += placed
        self.held = []
        _close_rejected(self.rejected, at=self.at)
        self.rejected = []
        if outage is not None:
            self.outage = outage
            self.errors += 1
        else:
            self.provider.hold_calls()

    def _beat(self) -> None:
        if time.monotonic() - self.beaten >= HEARTBEAT_SECONDS:
            scheduler_run_beat(run=self.run)
            self.beaten = time.monotonic()

    def _calling_hours_ended(self, attempt: CallAttempt, *, at: dt.datetime) -> None:
        # Given back like an outage's (no attempt used): the contact is pending again, dialled
        # when its window next opens.
        outcomes.call_attempt_close(
            attempt=attempt,
            outcome=CallOutcome.FAILED,
            error_code=outcomes.CALLING_HOURS_ENDED,
            ended_at=at,
            counts_as_attempt=False,
        )
        self._count("calling_hours_ended")

    def _count(self, key: str) -> None:
        self.details[key] = self.details.get(key, 0) + 1


def _dial_results_save(
    rejected: list[tuple[CallAttempt, str]], dialled: list[CallAttempt], *, at: dt.datetime
) -> None:
    """The end of step 3, in one commit for the lot: the attempts of the rejected numbers
    closed, the providers' call ids of the placed calls recorded."""
    if rejected or dialled:
        with transaction.atomic():
            _close_rejected(rejected, at=at)
            if dialled:
                _provider_call_ids_save(dialled)


def _dialling_pause(
    provider: TelephonyProvider, outage: ProviderUnavailable, *, at: dt.datetime, details: dict
) -> None:
    """After an outage, no dialling for PROVIDER_OUTAGE_BACKOFF_SECONDS; the run's details
    say why and until when."""
    paused_until = at + dt.timedelta(seconds=settings.PROVIDER_OUTAGE_BACKOFF_SECONDS)
    ProviderConfig.objects.filter(pk=ProviderConfig.SINGLETON_ID).update(
        dialling_paused_until=paused_until
    )
    details["outage"] = str(outage)[:500]
    details["paused_until"] = paused_until.isoformat()
    logger.warning("provider %s unavailable; dialling paused until %s", provider.name, paused_until)


# --- The tick ------------------------------------------------------------------------------------


_RUN_FIELDS = ["finished_at", "status", "campaigns_seen", "calls_placed", "errors", "details"]


def _run_save(run: SchedulerRun) -> None:
    """Record how the tick ended. When the database connection died under the tick (its
    session terminated, a restart), once more on a new connection: the run then says it
    failed, and its undialled attempts go back at once rather than when it is found dead."""
    try:
        run.save(update_fields=_RUN_FIELDS)
    except DatabaseError:
        if connection.in_atomic_block:
            raise
        connection.close()
        run.save(update_fields=_RUN_FIELDS)


@traced  # a tick run by a command's loop starts a trace of its own; a task's has one
def scheduler_tick(
    *,
    now: dt.datetime | None = None,
    provider: TelephonyProvider | None = None,
    campaign_ids: list | None = None,
) -> SchedulerRun:
    """Run one tick and return its SchedulerRun.

    Without `now` the tick is live: it reads the clock and spaces its dials in real time, on
    the pace all schedulers share. With `now` (tests, `manage.py simulate`) it runs as of that
    instant and does not wait. `provider`
    overrides the configured one; `campaign_ids` limits the tick to those campaigns."""
    live = now is None
    now = now or timezone.now()
    started = time.perf_counter()
    run = scheduler_run_start(started_at=now)
    details: dict = {}
    campaigns: list[Campaign] = []
    placed = errors = 0
    try:
        # What ticks that died left claimed and undialled comes back first: their contacts
        # and their concurrency slots.
        scheduler_runs_reconcile()
        if campaign_ids is None:
            # A tick limited to some campaigns (simulate, on its own clock) starts no others.
            campaign_start_due(now=now)
        # Before anything is claimed: a campaign that has spent its budget dials no more.
        over_budget = campaigns_over_budget_pause(campaign_ids=campaign_ids)
        if over_budget:
            details["paused_over_budget"] = [str(campaign.pk) for campaign in over_budget]
        config = provider_config_get()
        try:
            provider = provider or provider_get(config=config)
        except ProviderNotConfigured as exc:
            details["provider"] = str(exc)
            errors = 1
        else:
            claim_started = time.perf_counter()
            dials, campaigns, rate = _claim(
                run=run,
                at=now,
                provider_name=provider.name,
                campaign_ids=campaign_ids,
                details=details,
            )
            dial_started = time.perf_counter()
            dialled, errors = _Dialling(
                provider, run=run, at=now, rate=rate, pace=live, details=details
            ).dial(dials)
            placed = len(dialled)
            metrics.calls_placed_total.labels(provider=provider.name).inc(placed)
            details["claim_ms"] = round((dial_started - claim_started) * 1000, 1)
            details["dial_ms"] = round((time.perf_counter() - dial_started) * 1000, 1)
            # A campaign with a call placed has work in flight; one whose every dial this tick
            # was rejected may have just run out of contacts, so it is checked like the rest.
            dialled_campaigns = {attempt.campaign_id for attempt in dialled}
            for campaign in campaigns:
                if campaign.pk not in dialled_campaigns:
                    campaign_complete_if_finished(campaign=campaign)
    except Exception as exc:
        # Recorded on the run, then raised for the task's own record (django-q's failures).
        details["failed"] = type(exc).__name__
        errors += 1
        raise
    finally:
        run.finished_at = now + dt.timedelta(seconds=time.perf_counter() - started)
        run.status = (
            SchedulerRunStatus.FAILED if "failed" in details else SchedulerRunStatus.FINISHED
        )
        run.campaigns_seen = len(campaigns)
        run.calls_placed = placed
        run.errors = errors
        run.details = details
        _run_save(run)
        metrics.scheduler_ticks_total.labels(status=run.status).inc()
        metrics.scheduler_tick_duration_seconds.observe(time.perf_counter() - started)
        metrics.scheduler_calls_per_tick.observe(placed)
    if placed or errors:
        logger.info(
            "scheduler tick: %d campaigns, %d calls placed, %d errors",
            run.campaigns_seen,
            placed,
            errors,
        )
    return run

"""The scheduler (DESIGN §6.2): each tick picks the contacts to dial now, and dials them.

One tick:
1. Scheduled campaigns whose start has come turn running (`campaign_start_due`).
2. In one short transaction, holding the ProviderConfig row lock (so concurrent ticks take
   turns for the concurrency budget): budget = min(max_concurrent_calls − calls in flight,
   calls_per_second × tick length); shared fairly across running campaigns; in each, only
   contacts whose local time (zone from the number, else the campaign's) is inside the call
   window on an allowed day, not excluded, not do_not_call, with attempts left and
   `next_attempt_at` due — retries that are due first (oldest first), then never-called ones.
   Rows are taken with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL): two schedulers never take
   the same contact. The exclusion list is checked again; then the attempts are created and the
   contacts set in progress; commit.
3. Dial, spaced by 1/calls_per_second: the attempt exists before the provider can call back.
   A number the provider rejects fails its attempt; a provider outage gives every undialled
   attempt back (no attempt used) and pauses dialling for PROVIDER_OUTAGE_BACKOFF_SECONDS.
4. Running campaigns with nothing left turn completed. One SchedulerRun row records the tick.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import math
import time
import uuid
import zoneinfo
from collections.abc import Iterable

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min
from django.utils import timezone

from calls import outcomes
from calls.models import CallAttempt, CallOutcome, ProviderConfig, SchedulerRun
from calls.selectors import provider_config_get
from calls.services import call_language
from calls.telephony.base import (
    CallRejected,
    OutgoingCall,
    ProviderNotConfigured,
    ProviderUnavailable,
    TelephonyProvider,
    provider_get,
)
from campaigns.models import Campaign, CampaignStatus
from campaigns.services import campaign_complete_if_finished, campaign_start_due
from contacts.models import DIALABLE_STATES, Contact, ContactState, ExclusionEntry

logger = logging.getLogger(__name__)

_CONTACT_FIELDS = (
    "id",
    "campaign_id",
    "phone_number",
    "preferred_language",
    "attempts_count",
    "timezone",
    "next_attempt_at",
    "created_at",
)


# --- Calling hours -------------------------------------------------------------------------------


def zone_is_open(
    zone: str,
    *,
    at: dt.datetime,
    window_start: dt.time,
    window_end: dt.time,
    call_days: Iterable[int],
) -> bool:
    """Whether it is calling time in `zone` at the instant `at`: the local weekday is one of
    `call_days` (ISO, Monday = 1) and the local time is in [window_start, window_end)."""
    local = at.astimezone(zoneinfo.ZoneInfo(zone))
    return local.isoweekday() in call_days and window_start <= local.time() < window_end


def next_window_opening(
    zone: str,
    *,
    after: dt.datetime,
    window_start: dt.time,
    window_end: dt.time,
    call_days: Iterable[int],
) -> dt.datetime | None:
    """The first instant at or after `after` when calling time is open in `zone` (None when
    no call day is allowed)."""
    tz = zoneinfo.ZoneInfo(zone)
    local = after.astimezone(tz)
    days = set(call_days)
    for offset in range(8):
        day = local.date() + dt.timedelta(days=offset)
        if day.isoweekday() not in days:
            continue
        opens = dt.datetime.combine(day, window_start, tzinfo=tz)
        closes = dt.datetime.combine(day, window_end, tzinfo=tz)
        if closes > local:
            return max(opens, local).astimezone(dt.UTC)
    return None


def _contact_zone(zone: str, campaign: Campaign) -> str:
    return zone or campaign.timezone


def _window(campaign: Campaign) -> dict:
    return {
        "window_start": campaign.call_window_start,
        "window_end": campaign.call_window_end,
        "call_days": campaign.call_days,
    }


def _dialable(campaign: Campaign):
    """The campaign's contacts the scheduler may take (the partial index's rows, minus those
    out of attempts)."""
    return Contact.objects.filter(
        campaign=campaign,
        state__in=DIALABLE_STATES,
        do_not_call=False,
        attempts_count__lt=campaign.max_attempts,
    )


def _db_uuid(value: uuid.UUID):
    """A UUID as the database takes it in raw SQL (a uuid on PostgreSQL, hex on SQLite)."""
    return Contact._meta.pk.get_db_prep_value(value, connection)


_ZONES_SQL = """
WITH RECURSIVE zones(zone) AS (
    SELECT MIN(timezone) FROM contacts_contact
    WHERE campaign_id = %(campaign)s AND state IN ('pending', 'not_reached') AND NOT do_not_call
  UNION ALL
    SELECT (
        SELECT MIN(timezone) FROM contacts_contact
        WHERE campaign_id = %(campaign)s AND state IN ('pending', 'not_reached')
          AND NOT do_not_call AND timezone > zones.zone
    )
    FROM zones WHERE zones.zone IS NOT NULL
)
SELECT zone FROM zones WHERE zone IS NOT NULL
"""

# The SQL here spells out the rows of contact_dialable_idx (state pending or not_reached, and
# not do_not_call), as literals: the planner matches a partial index by its predicate.
assert set(DIALABLE_STATES) == {ContactState.PENDING, ContactState.NOT_REACHED}


def dialable_zones(campaign: Campaign) -> list[str]:
    """The distinct time zones of a campaign's dialable contacts, in one query that skips
    through the (campaign, timezone, next_attempt_at) partial index one zone at a time: a
    handful of index probes, where a DISTINCT would read every dialable contact."""
    with connection.cursor() as cursor:
        cursor.execute(
            _ZONES_SQL,
            {"campaign": _db_uuid(campaign.pk)},
        )
        return [zone for (zone,) in cursor.fetchall()]


def _open_zones(campaign: Campaign, zones: list[str], at: dt.datetime, problems: dict) -> list[str]:
    open_zones = []
    for zone in zones:
        try:
            is_open = zone_is_open(_contact_zone(zone, campaign), at=at, **_window(campaign))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.setdefault("unknown_time_zones", []).append(zone[:64])
            continue
        if is_open:
            open_zones.append(zone)
    return open_zones


# --- Choosing whom to call -----------------------------------------------------------------------


# One range of contact_dialable_idx: a campaign's dialable contacts in one zone, due retries
# (next_attempt_at <= now, oldest first) or never tried (next_attempt_at IS NULL). Written out
# rather than built by the ORM: a tick unions dozens of them, and compiling each costs more
# than running it.
_RANGE_SQL = """SELECT * FROM (
    SELECT id, campaign_id, next_attempt_at, created_at FROM contacts_contact
    WHERE campaign_id = %s AND timezone = %s AND state IN ('pending', 'not_reached')
      AND NOT do_not_call AND attempts_count < %s AND {when}{skip}
    ORDER BY next_attempt_at LIMIT %s
) AS part{n}"""


def _candidates(
    wants: dict[uuid.UUID, int],
    campaigns: dict[uuid.UUID, Campaign],
    zones: dict[uuid.UUID, list[str]],
    at: dt.datetime,
    skip: set[uuid.UUID],
    *,
    due: bool,
) -> dict[uuid.UUID, list[uuid.UUID]]:
    """For each campaign, the ids of up to `wants[campaign]` dialable contacts in its open
    zones, oldest first: retries that are due (`due`), or contacts never tried. One statement:
    a UNION ALL of LIMITed ranges of the dialable index, one per campaign and zone, read
    without locks (`_lock` takes them)."""
    at_value = connection.ops.adapt_datetimefield_value(at)
    skip_values = [_db_uuid(pk) for pk in skip]
    skip_sql = f" AND id NOT IN ({', '.join(['%s'] * len(skip_values))})" if skip_values else ""
    when, when_params = (
        ("next_attempt_at <= %s", [at_value]) if due else ("next_attempt_at IS NULL", [])
    )
    parts, params = [], []
    for campaign_id, want in wants.items():
        campaign = campaigns[campaign_id]
        campaign_value = _db_uuid(campaign_id)
        for zone in zones[campaign_id]:
            parts.append(_RANGE_SQL.format(when=when, skip=skip_sql, n=len(parts)))
            params += [
                campaign_value,
                zone,
                campaign.max_attempts,
                *when_params,
                *skip_values,
                want,
            ]
    found: dict[uuid.UUID, list[uuid.UUID]] = {pk: [] for pk in wants}
    if not parts:
        return found
    # Due retries by when they fell due, new contacts by age; the database sorts (the rows
    # are a few hundred at most), so only ids travel back.
    order = "next_attempt_at" if due else "created_at"
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, campaign_id FROM ({' UNION ALL '.join(parts)}) AS candidates "
            f"ORDER BY {order}",
            params,
        )
        rows = cursor.fetchall()
    # Raw rows: ids are UUIDs on PostgreSQL, hex strings on SQLite.
    for contact_id, campaign_id in rows:
        ids = found[uuid.UUID(str(campaign_id))]
        if len(ids) < wants[uuid.UUID(str(campaign_id))]:
            ids.append(uuid.UUID(str(contact_id)))
    return found


def _lock(ids: list[uuid.UUID]) -> list[Contact]:
    """Lock the chosen contacts, still dialable, skipping rows another transaction holds."""
    if not ids:
        return []
    locked = (
        Contact.objects.filter(pk__in=ids, state__in=DIALABLE_STATES, do_not_call=False)
        .order_by()
        .only(*_CONTACT_FIELDS)
        .select_for_update(skip_locked=True)
    )
    by_id = {c.pk: c for c in locked}
    return [by_id[pk] for pk in ids if pk in by_id]  # in the order chosen


def _fair_share(
    campaigns: list[Campaign], zones: dict, budget: int, at: dt.datetime
) -> dict[uuid.UUID, list[Contact]]:
    """Split the budget evenly across campaigns; what one cannot use goes to the others.
    Each round is two statements (choose, lock) whatever the number of campaigns."""
    by_id = {c.pk: c for c in campaigns}
    picks: dict[uuid.UUID, list[Contact]] = {c.pk: [] for c in campaigns}
    active = [c.pk for c in campaigns if zones[c.pk]]
    remaining = budget
    while remaining > 0 and active:
        share, wants = max(1, remaining // len(active)), {}
        for campaign_id in active:
            wants[campaign_id] = min(share, remaining - sum(wants.values()))
            if not wants[campaign_id]:
                del wants[campaign_id]
                break
        taken = {c.pk for chosen in picks.values() for c in chosen}
        chosen = _candidates(wants, by_id, zones, at, taken, due=True)
        short = {pk: want - len(chosen[pk]) for pk, want in wants.items() if len(chosen[pk]) < want}
        if short:  # not enough retries due: new contacts make up the rest
            for pk, ids in _candidates(short, by_id, zones, at, taken, due=False).items():
                chosen[pk] += ids
        locked = _lock([pk for ids in chosen.values() for pk in ids])
        got: dict[uuid.UUID, int] = {}
        for contact in locked:
            picks[contact.campaign_id].append(contact)
            got[contact.campaign_id] = got.get(contact.campaign_id, 0) + 1
        remaining -= len(locked)
        # Those that got all they asked for may have more; the others are out of contacts.
        active = [pk for pk, want in wants.items() if got.get(pk, 0) == want]
    return picks


def _interleave(picks: dict[uuid.UUID, list[Contact]]) -> list[Contact]:
    """Round-robin across campaigns, so the dial spacing favours none of them."""
    lists = [list(p) for p in picks.values()]
    ordered = []
    for i in range(max((len(p) for p in lists), default=0)):
        ordered += [p[i] for p in lists if i < len(p)]
    return ordered


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
        zones = {c.pk: _open_zones(c, dialable_zones(c), at, details) for c in rotated}
        contacts = _interleave(_fair_share(rotated, zones, budget, at))
        if not contacts:
            return [], campaigns, rate

        # The exclusion list, checked again at dial time (an entry may be seconds old).
        excluded = set(
            ExclusionEntry.objects.filter(
                phone_number__in={c.phone_number for c in contacts}
            ).values_list("phone_number", flat=True)
        )
        if excluded:
            Contact.objects.filter(
                pk__in=[c.pk for c in contacts if c.phone_number in excluded]
            ).update(state=ContactState.EXCLUDED, next_attempt_at=None, updated_at=at)
            contacts = [c for c in contacts if c.phone_number not in excluded]
            details["excluded_at_dial_time"] = len(excluded)

        # The next attempt number follows both the count and the highest number so far: an
        # attempt given back after an outage keeps its row (and its number).
        numbers = dict(
            CallAttempt.objects.filter(contact_id__in=[c.pk for c in contacts])
            .values("contact_id")
            .annotate(last=Max("attempt_number"))
            .values_list("contact_id", "last")
        )
        by_id = {c.pk: c for c in campaigns}
        dials = []
        for contact in contacts:
            attempt = CallAttempt(
                call_id=uuid.uuid4(),
                contact=contact,
                campaign=by_id[contact.campaign_id],
                attempt_number=max(numbers.get(contact.pk, 0), contact.attempts_count) + 1,
                provider=provider_name,
                started_at=at,
            )
            dials.append((attempt, contact))
        # Built here from rows we hold; the constraints (unique number per contact) guard them.
        CallAttempt.objects.bulk_create([attempt for attempt, _ in dials])
        Contact.objects.filter(pk__in=[c.pk for c in contacts]).update(
            state=ContactState.IN_PROGRESS,
            attempts_count=F("attempts_count") + 1,
            last_attempt_at=at,
            next_attempt_at=None,
            updated_at=at,
        )
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


def _dial(
    dials: list[tuple[CallAttempt, Contact]],
    provider: TelephonyProvider,
    *,
    at: dt.datetime,
    rate: float,
    pace: bool,
    details: dict,
) -> tuple[list[CallAttempt], int]:
    """Step 3. Returns (the attempts now in flight, errors)."""
    errors = 0
    interval = 1 / rate
    next_dial = time.monotonic()
    outage: ProviderUnavailable | None = None
    dialled = []
    for attempt, contact in dials:
        if outage is not None:
            _give_back(attempt, at)
            continue
        if pace:
            time.sleep(max(0.0, next_dial - time.monotonic()))
            next_dial = max(next_dial, time.monotonic()) + interval
        call_id = str(attempt.pk)
        call = OutgoingCall(
            call_id=call_id,
            to=contact.phone_number,
            from_=provider.config.outbound_number,
            language=call_language(contact=contact, campaign=attempt.campaign),
            started_at=attempt.started_at,
            status_url=provider.status_url(call_id),
            dialogue_url=provider.dialogue_url(call_id, turn=0),
            contact_id=str(contact.pk),
            attempt_number=attempt.attempt_number,
        )
        try:
            attempt.provider_call_id = provider.start_call(call)[:64]
        except CallRejected as exc:
            errors += 1
            outcomes.call_attempt_close(
                attempt=attempt, outcome=CallOutcome.FAILED, error_code=exc.code, ended_at=at
            )
        except Exception as exc:
            # An outage (ProviderUnavailable), or a fault we cannot place: either way this
            # number is not to blame, so no attempt is used; dialling pauses.
            if not isinstance(exc, ProviderUnavailable):
                # The type only: a provider's message may quote the number it was dialling.
                logger.error(
                    "provider %s failed to start a call: %s", provider.name, type(exc).__name__
                )
                exc = ProviderUnavailable(f"{type(exc).__name__}: {exc}")
            outage = exc
            errors += 1
            _give_back(attempt, at)
        else:
            dialled.append(attempt)
    if dialled:
        _provider_call_ids_save(dialled)
    if outage is not None:
        paused_until = at + dt.timedelta(seconds=settings.PROVIDER_OUTAGE_BACKOFF_SECONDS)
        ProviderConfig.objects.filter(pk=ProviderConfig.SINGLETON_ID).update(
            dialling_paused_until=paused_until
        )
        details["outage"] = str(outage)[:500]
        details["paused_until"] = paused_until.isoformat()
        logger.warning(
            "provider %s unavailable; dialling paused until %s", provider.name, paused_until
        )
    return dialled, errors


# --- The tick ------------------------------------------------------------------------------------


def scheduler_tick(
    *,
    now: dt.datetime | None = None,
    provider: TelephonyProvider | None = None,
    campaign_ids: list | None = None,
) -> SchedulerRun:
    """Run one tick and return its SchedulerRun.

    Without `now` the tick is live: it reads the clock and spaces its dials in real time. With
    `now` (tests, `manage.py simulate`) it runs as of that instant and does not wait. `provider`
    overrides the configured one; `campaign_ids` limits the tick to those campaigns."""
    live = now is None
    now = now or timezone.now()
    started = time.perf_counter()
    run = SchedulerRun.objects.create(started_at=now)
    details: dict = {}
    campaigns: list[Campaign] = []
    placed = errors = 0
    try:
        if campaign_ids is None:
            # A tick limited to some campaigns (simulate, on its own clock) starts no others.
            campaign_start_due(now=now)
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
            dialled, errors = _dial(dials, provider, at=now, rate=rate, pace=live, details=details)
            placed = len(dialled)
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
        run.campaigns_seen = len(campaigns)
        run.calls_placed = placed
        run.errors = errors
        run.details = details
        run.save(
            update_fields=["finished_at", "campaigns_seen", "calls_placed", "errors", "details"]
        )
    if placed or errors:
        logger.info(
            "scheduler tick: %d campaigns, %d calls placed, %d errors",
            run.campaigns_seen,
            placed,
            errors,
        )
    return run


def campaign_next_dial_time(campaign: Campaign, *, after: dt.datetime) -> dt.datetime | None:
    """When something in the campaign may next be dialled after `after`: the earliest retry
    that is not due yet, or the next opening of calling hours in a zone with dialable
    contacts. None when nothing is left to dial."""
    zones = dialable_zones(campaign)
    if not zones:
        return None
    moments = []
    retry = (
        _dialable(campaign).filter(next_attempt_at__gt=after).aggregate(m=Min("next_attempt_at"))
    )
    if retry["m"]:
        moments.append(retry["m"])
    for zone in zones:
        try:
            opening = next_window_opening(
                _contact_zone(zone, campaign), after=after, **_window(campaign)
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if opening is not None and opening > after:
            moments.append(opening)
    return min(moments, default=None)


# --- Simulation ----------------------------------------------------------------------------------


@dataclasses.dataclass
class SimulationSummary:
    ticks: int = 0
    calls: int = 0
    stopped: str = ""  # why the run ended before the campaign did, if it did
    clock: dt.datetime | None = None


def campaign_simulate(
    *, campaign: Campaign, on_tick=None, max_ticks: int = 100_000
) -> SimulationSummary:
    """Run a running campaign to its end on the simulator (`manage.py simulate`).

    Calls run inline on a simulated clock that starts now, moves one tick per tick and jumps
    ahead over waits (retry intervals, closed calling hours), so a campaign of days runs in
    seconds; what it records (attempts, events, answers, emails) is dated on that clock. Each
    tick is a real scheduler tick (limited to this campaign) and each call goes through the
    webhooks, the dialogue and the outcome rules; reconciliation and the email outbox run
    between ticks. `on_tick(run)` is told of every tick."""
    from calls.services import call_attempts_reconcile, notifications_drain
    from calls.telephony.simulator import SimulatorProvider

    provider = SimulatorProvider(inline=True)
    tick = dt.timedelta(seconds=settings.SCHEDULER_TICK_SECONDS)
    clock = timezone.now()
    summary = SimulationSummary()
    while summary.ticks < max_ticks:
        campaign.refresh_from_db()
        if campaign.status != CampaignStatus.RUNNING:
            break
        call_attempts_reconcile(now=clock)
        run = scheduler_tick(now=clock, provider=provider, campaign_ids=[campaign.pk])
        summary.ticks += 1
        summary.calls += run.calls_placed
        if on_tick:
            on_tick(run)
        notifications_drain(now=clock)
        campaign.refresh_from_db(fields=["status"])
        if campaign.status != CampaignStatus.RUNNING:
            break
        if "outage" in run.details or "paused_until" in run.details:
            summary.stopped = "The provider is unavailable (dialling is paused)."
            break
        if run.calls_placed:
            clock += tick
            continue
        next_time = campaign_next_dial_time(campaign, after=clock)
        if next_time is None and not campaign.attempts.filter(outcome__isnull=True).exists():
            summary.stopped = "Nothing left can be dialled (check the call days and window)."
            break
        clock = max(clock + tick, next_time or clock)
    else:
        summary.stopped = f"Stopped after {max_ticks} ticks."
    notifications_drain(now=clock)
    summary.clock = clock
    return summary

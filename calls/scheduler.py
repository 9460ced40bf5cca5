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
   the same contact; the same statement checks the exclusion list again. Then the contacts are
   set in progress and the attempts created; commit. About ten statements in all, whatever the
   number of campaigns and zones.
3. Dial, spaced by 1/calls_per_second: the attempt exists before the provider can call back.
   A number the provider rejects fails its attempt; a provider outage gives every undialled
   attempt back (no attempt used) and pauses dialling for PROVIDER_OUTAGE_BACKOFF_SECONDS.
   A provider may hold the calls it accepts and place them together (the simulator queues its
   callees in one round trip); what it cannot place is given back as after an outage.
4. Running campaigns with nothing left turn completed. One SchedulerRun row records the tick.
"""

from __future__ import annotations

import contextlib
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
from django.db.models import Exists, Min, OuterRef
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


# Every listed campaign's zones in one statement: for each campaign, a recursive walk that skips
# through the (campaign, timezone, next_attempt_at) partial index one zone at a time — a handful
# of index probes per campaign, where a DISTINCT would read every dialable contact. It walks
# backwards, from each zone's last entry: never-called contacts, dialled last. A zone's first
# entries are the retries the last ticks took, whose dead index entries (until vacuum, or
# while a long transaction anywhere keeps them from being marked dead) each cost a heap visit.
_ZONES_SQL = """
WITH RECURSIVE campaigns(id) AS (VALUES {campaigns}),
zones(campaign_id, zone) AS (
    SELECT campaigns.id, (
        SELECT MAX(timezone) FROM contacts_contact
        WHERE campaign_id = campaigns.id AND state IN ('pending', 'not_reached')
          AND NOT do_not_call
    )
    FROM campaigns
  UNION ALL
    SELECT zones.campaign_id, (
        SELECT MAX(timezone) FROM contacts_contact
        WHERE campaign_id = zones.campaign_id AND state IN ('pending', 'not_reached')
          AND NOT do_not_call AND timezone < zones.zone
    )
    FROM zones WHERE zones.zone IS NOT NULL
)
SELECT campaign_id, zone FROM zones WHERE zone IS NOT NULL ORDER BY campaign_id, zone
"""

# The SQL here spells out the rows of contact_dialable_idx (state pending or not_reached, and
# not do_not_call), as literals: the planner matches a partial index by its predicate.
assert set(DIALABLE_STATES) == {ContactState.PENDING, ContactState.NOT_REACHED}


def _as_uuid(value) -> uuid.UUID:
    """A UUID from a raw row: already one on PostgreSQL, a hex string on SQLite."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def dialable_zones_by_campaign(campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The distinct time zones of each campaign's dialable contacts (sorted), in one query."""
    zones: dict[uuid.UUID, list[str]] = {pk: [] for pk in campaign_ids}
    if not campaign_ids:
        return zones
    with connection.cursor() as cursor:
        cursor.execute(
            _ZONES_SQL.format(campaigns=", ".join(["(%s)"] * len(campaign_ids))),
            [_db_uuid(pk) for pk in campaign_ids],
        )
        for campaign_id, zone in cursor.fetchall():
            zones[_as_uuid(campaign_id)].append(zone)
    return zones


def dialable_zones(campaign: Campaign) -> list[str]:
    """The distinct time zones of a campaign's dialable contacts."""
    return dialable_zones_by_campaign([campaign.pk])[campaign.pk]


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

# The same ranges on PostgreSQL: one LATERAL subquery, run once per (campaign, zone) row of a
# VALUES list. Planned once: the UNION ALL of two dozen subqueries takes longer to parse and
# plan (~4 ms) than to run (~2 ms).
_RANGES_LATERAL_SQL = """
SELECT part.id, part.campaign_id
FROM (VALUES {ranges}) AS ranges(campaign_id, zone, max_attempts, want)
CROSS JOIN LATERAL (
    SELECT id, campaign_id, next_attempt_at, created_at FROM contacts_contact
    WHERE campaign_id = ranges.campaign_id AND timezone = ranges.zone
      AND state IN ('pending', 'not_reached') AND NOT do_not_call
      AND attempts_count < ranges.max_attempts AND {when}{skip}
    ORDER BY next_attempt_at LIMIT ranges.want
) AS part
ORDER BY part.{order}
"""


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
    zones, oldest first: retries that are due (`due`), or contacts never tried. One statement
    reading LIMITed ranges of the dialable index, one per campaign and zone, without locks
    (`_lock` takes them)."""
    at_value = connection.ops.adapt_datetimefield_value(at)
    skip_values = [_db_uuid(pk) for pk in skip]
    skip_sql = f" AND id NOT IN ({', '.join(['%s'] * len(skip_values))})" if skip_values else ""
    when, when_params = (
        ("next_attempt_at <= %s", [at_value]) if due else ("next_attempt_at IS NULL", [])
    )
    ranges = [
        (_db_uuid(campaign_id), zone, campaigns[campaign_id].max_attempts, want)
        for campaign_id, want in wants.items()
        for zone in zones[campaign_id]
    ]
    found: dict[uuid.UUID, list[uuid.UUID]] = {pk: [] for pk in wants}
    if not ranges:
        return found
    # Due retries by when they fell due, new contacts by age; the database sorts (the rows
    # are a few hundred at most), so only ids travel back.
    order = "next_attempt_at" if due else "created_at"
    if connection.vendor == "postgresql":
        sql = _RANGES_LATERAL_SQL.format(
            ranges=", ".join(["(%s, %s, %s, %s)"] * len(ranges)),
            when=when,
            skip=skip_sql,
            order=order,
        )
        params = [value for row in ranges for value in row] + when_params + skip_values
    else:
        parts, params = [], []
        for n, (campaign_value, zone, max_attempts, want) in enumerate(ranges):
            parts.append(_RANGE_SQL.format(when=when, skip=skip_sql, n=n))
            params += [campaign_value, zone, max_attempts, *when_params, *skip_values, want]
        sql = (
            f"SELECT id, campaign_id FROM ({' UNION ALL '.join(parts)}) AS candidates "
            f"ORDER BY {order}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for contact_id, campaign_id in rows:
        campaign_id = _as_uuid(campaign_id)
        ids = found[campaign_id]
        if len(ids) < wants[campaign_id]:
            ids.append(_as_uuid(contact_id))
    return found


def _lock(ids: list[uuid.UUID]) -> list[Contact]:
    """Lock the chosen contacts, still dialable, skipping rows another transaction holds.
    Each comes with `excluded`: whether its number is on the exclusion list — the check at dial
    time, made by the statement that takes the lock rather than by one more round trip. (An
    exclusion committed later cannot slip in between: `exclusion_add` moves the contacts it
    excludes, so it either holds the row, which we skip, or has changed its state, which the
    lock re-checks.)"""
    if not ids:
        return []
    locked = (
        Contact.objects.filter(pk__in=ids, state__in=DIALABLE_STATES, do_not_call=False)
        .order_by()
        .only(*_CONTACT_FIELDS)
        .annotate(
            excluded=Exists(ExclusionEntry.objects.filter(phone_number=OuterRef("phone_number")))
        )
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


def _contacts_set_in_progress(contacts: list[Contact], *, at: dt.datetime) -> dict:
    """Set the (locked) contacts in progress, one attempt more; returns each one's highest
    attempt number so far (None when it has none). UPDATE … RETURNING: PostgreSQL, and SQLite
    from 3.35."""
    at_value = connection.ops.adapt_datetimefield_value(at)
    with connection.cursor() as cursor:
        cursor.execute(
            _SET_IN_PROGRESS_SQL.format(ids=", ".join(["%s"] * len(contacts))),
            [ContactState.IN_PROGRESS, at_value, at_value, *(_db_uuid(c.pk) for c in contacts)],
        )
        return {_as_uuid(contact_id): last for contact_id, last in cursor.fetchall()}


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
        zones = {c.pk: _open_zones(c, found[c.pk], at, details) for c in rotated}
        contacts = _interleave(_fair_share(rotated, zones, budget, at))
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
        dials = []
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
        return exc
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
        status_url=provider.status_url(call_id),
        dialogue_url=provider.dialogue_url(call_id, turn=0),
        contact_id=str(contact.pk),
        attempt_number=attempt.attempt_number,
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
    """Step 3. Returns (the attempts now in flight, errors).

    The provider may hold the calls it accepts and place them together (`hold_calls`): the
    simulator then queues a tick's callees with one round trip to the broker instead of one
    each. The attempts of numbers it rejects are closed together too, in one transaction (one
    commit, not one each). Both happen before every wait for the next dial's slot, so pacing
    delays neither, and at the end."""
    errors = 0
    interval = 1 / rate
    next_dial = time.monotonic()
    outage: ProviderUnavailable | None = None
    dialled: list[CallAttempt] = []
    held: list[CallAttempt] = []  # accepted by the provider, placed at its next release
    rejected: list[tuple[CallAttempt, str]] = []  # numbers it rejected, and why
    provider.hold_calls()
    try:
        for attempt, contact in dials:
            if outage is not None:
                _give_back(attempt, at)
                continue
            if pace:
                if (held or rejected) and next_dial > time.monotonic():
                    placed, outage = _release(provider, held, at=at)
                    dialled += placed
                    held = []
                    _close_rejected(rejected, at=at)
                    rejected = []
                    if outage is not None:
                        errors += 1
                        _give_back(attempt, at)
                        continue
                    provider.hold_calls()
                time.sleep(max(0.0, next_dial - time.monotonic()))
                next_dial = max(next_dial, time.monotonic()) + interval
            call = _outgoing_call(attempt, contact, provider)
            try:
                attempt.provider_call_id = provider.start_call(call)[:64]
            except CallRejected as exc:
                errors += 1
                rejected.append((attempt, exc.code))
            except Exception as exc:
                # An outage, or a fault we cannot place: either way this number is not to blame,
                # so no attempt is used; dialling pauses.
                outage = _as_outage(provider, exc)
                errors += 1
                _give_back(attempt, at)
            else:
                held.append(attempt)
    except BaseException:
        # The tick fails (the database went away…): the calls the provider accepted are placed
        # all the same, as they would have been one by one; their attempts exist.
        with contextlib.suppress(Exception):
            provider.release_calls()
        raise
    # Placed whatever happened after them: the provider accepted them.
    placed, failure = _release(provider, held, at=at)
    dialled += placed
    if failure is not None and outage is None:
        outage = failure
        errors += 1
    if rejected or dialled:
        with transaction.atomic():  # one commit for the lot
            _close_rejected(rejected, at=at)
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

"""Choosing whom to call (docs/architecture.md §6.2): the dialable contacts of running
campaigns whose local time is inside their calling hours, retries that are due first (oldest
first), then never-called contacts, the budget shared fairly across campaigns, and the chosen
rows locked with SELECT … FOR UPDATE SKIP LOCKED (PostgreSQL), so that two schedulers never
take the same contact. The tick (calls/scheduler.py) claims and dials what this picks.

The dialable-contact rule is campaigns/contact_states.py's: the raw SQL here is built from its
`DIALABLE_SQL`, the ORM filters from `dialable_q`.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from typing import TYPE_CHECKING, TypedDict

from django.db import connection
from django.db.models import Exists, Min, OuterRef

from campaigns.contact_states import DIALABLE_INDEX_CONDITION, DIALABLE_SQL
from campaigns.hours import calling_window, contact_zone, next_window_opening, zone_is_open
from campaigns.models import Campaign
from contacts.models import Contact, ExclusionEntry


class _DialTimeCheck(TypedDict):
    excluded: bool  # the number is on the exclusion list


if TYPE_CHECKING:  # django-stubs-ext is a development requirement only
    from django_stubs_ext import WithAnnotations

    # A contact as `_lock` returns it: locked, with its dial-time exclusion check.
    LockedContact = WithAnnotations[Contact, _DialTimeCheck]


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


def db_uuid(value: uuid.UUID):
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
        WHERE campaign_id = campaigns.id AND {dialable}
    )
    FROM campaigns
  UNION ALL
    SELECT zones.campaign_id, (
        SELECT MAX(timezone) FROM contacts_contact
        WHERE campaign_id = zones.campaign_id AND {dialable} AND timezone < zones.zone
    )
    FROM zones WHERE zones.zone IS NOT NULL
)
SELECT campaign_id, zone FROM zones WHERE zone IS NOT NULL ORDER BY campaign_id, zone
"""


def as_uuid(value) -> uuid.UUID:
    """A UUID from a raw row: already one on PostgreSQL, a hex string on SQLite."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


def dialable_zones_by_campaign(campaign_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    """The distinct time zones of each campaign's dialable contacts (sorted), in one query."""
    zones: dict[uuid.UUID, list[str]] = {pk: [] for pk in campaign_ids}
    if not campaign_ids:
        return zones
    with connection.cursor() as cursor:
        cursor.execute(
            _ZONES_SQL.format(
                campaigns=", ".join(["(%s)"] * len(campaign_ids)), dialable=DIALABLE_SQL
            ),
            [db_uuid(pk) for pk in campaign_ids],
        )
        for campaign_id, zone in cursor.fetchall():
            zones[as_uuid(campaign_id)].append(zone)
    return zones


def dialable_zones(campaign: Campaign) -> list[str]:
    """The distinct time zones of a campaign's dialable contacts."""
    return dialable_zones_by_campaign([campaign.pk])[campaign.pk]


def open_zones(campaign: Campaign, zones: list[str], at: dt.datetime, problems: dict) -> list[str]:
    open_zones = []
    for zone in zones:
        try:
            is_open = zone_is_open(contact_zone(zone, campaign), at=at, **calling_window(campaign))
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            problems.setdefault("unknown_time_zones", []).append(zone[:64])
            continue
        if is_open:
            open_zones.append(zone)
    return open_zones


def contact_in_calling_hours(contact: Contact, campaign: Campaign, *, at: dt.datetime) -> bool:
    """Whether it is calling time for this contact at `at`: the check made again at a claimed
    contact's turn to dial, as a live tick's pacing may take it past its window's end."""
    try:
        return zone_is_open(
            contact_zone(contact.timezone, campaign), at=at, **calling_window(campaign)
        )
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return False  # claimed only in a known zone; a zone gone since cannot be open


# --- Choosing whom to call -----------------------------------------------------------------------


# One range of contact_dialable_idx: a campaign's dialable contacts in one zone, due retries
# (next_attempt_at <= now, oldest first) or never tried (next_attempt_at IS NULL). Written out
# rather than built by the ORM: a tick unions dozens of them, and compiling each costs more
# than running it.
_RANGE_SQL = """SELECT * FROM (
    SELECT id, campaign_id, next_attempt_at, created_at FROM contacts_contact
    WHERE campaign_id = %s AND timezone = %s AND {dialable}
      AND attempts_count < %s AND {when}{skip}
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
    WHERE campaign_id = ranges.campaign_id AND timezone = ranges.zone AND {dialable}
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
    skip_values = [db_uuid(pk) for pk in skip]
    skip_sql = f" AND id NOT IN ({', '.join(['%s'] * len(skip_values))})" if skip_values else ""
    when, when_params = (
        ("next_attempt_at <= %s", [at_value]) if due else ("next_attempt_at IS NULL", [])
    )
    ranges = [
        (db_uuid(campaign_id), zone, campaigns[campaign_id].max_attempts, want)
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
            dialable=DIALABLE_SQL,
            when=when,
            skip=skip_sql,
            order=order,
        )
        params = [value for row in ranges for value in row] + when_params + skip_values
    else:
        parts, params = [], []
        for n, (campaign_value, zone, max_attempts, want) in enumerate(ranges):
            parts.append(_RANGE_SQL.format(dialable=DIALABLE_SQL, when=when, skip=skip_sql, n=n))
            params += [campaign_value, zone, max_attempts, *when_params, *skip_values, want]
        sql = (
            f"SELECT id, campaign_id FROM ({' UNION ALL '.join(parts)}) AS candidates "
            f"ORDER BY {order}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    for contact_id, campaign_id in rows:
        campaign_id = as_uuid(campaign_id)
        ids = found[campaign_id]
        if len(ids) < wants[campaign_id]:
            ids.append(as_uuid(contact_id))
    return found


def _lock(ids: list[uuid.UUID]) -> list[LockedContact]:
    """Lock the chosen contacts, still dialable, skipping rows another transaction holds.
    Each comes with `excluded`: whether its number is on the exclusion list — the check at dial
    time, made by the statement that takes the lock rather than by one more round trip. (An
    exclusion committed later cannot slip in between: `exclusion_add` moves the contacts it
    excludes, so it either holds the row, which we skip, or has changed its state, which the
    lock re-checks.)"""
    if not ids:
        return []
    locked = (
        Contact.objects.filter(DIALABLE_INDEX_CONDITION, pk__in=ids)
        .order_by()
        .only(*_CONTACT_FIELDS)
        .annotate(
            excluded=Exists(ExclusionEntry.objects.filter(phone_number=OuterRef("phone_number")))
        )
        .select_for_update(skip_locked=True)
    )
    by_id = {c.pk: c for c in locked}
    return [by_id[pk] for pk in ids if pk in by_id]  # in the order chosen


def fair_share(
    campaigns: list[Campaign], zones: dict, budget: int, at: dt.datetime
) -> dict[uuid.UUID, list[LockedContact]]:
    """Split the budget evenly across campaigns; what one cannot use goes to the others.
    Each round is two statements (choose, lock) whatever the number of campaigns."""
    by_id = {c.pk: c for c in campaigns}
    picks: dict[uuid.UUID, list[LockedContact]] = {c.pk: [] for c in campaigns}
    active = [c.pk for c in campaigns if zones[c.pk]]
    remaining = budget
    while remaining > 0 and active:
        share = max(1, remaining // len(active))
        wants: dict[uuid.UUID, int] = {}
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


def interleave(picks: dict[uuid.UUID, list[LockedContact]]) -> list[LockedContact]:
    """Round-robin across campaigns, so the dial spacing favours none of them."""
    lists = [list(p) for p in picks.values()]
    ordered: list[LockedContact] = []
    for i in range(max((len(p) for p in lists), default=0)):
        ordered += [p[i] for p in lists if i < len(p)]
    return ordered


def campaign_next_dial_time(campaign: Campaign, *, after: dt.datetime) -> dt.datetime | None:
    """When something in the campaign may next be dialled after `after`: the earliest retry
    that is not due yet, or the next opening of calling hours in a zone with dialable
    contacts. None when nothing is left to dial."""
    zones = dialable_zones(campaign)
    if not zones:
        return None
    moments = []
    retry = (
        Contact.objects.dialable(max_attempts=campaign.max_attempts)
        .filter(campaign=campaign, next_attempt_at__gt=after)
        .aggregate(m=Min("next_attempt_at"))
    )
    if retry["m"]:
        moments.append(retry["m"])
    for zone in zones:
        try:
            opening = next_window_opening(
                contact_zone(zone, campaign), after=after, **calling_window(campaign)
            )
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        if opening is not None and opening > after:
            moments.append(opening)
    return min(moments, default=None)

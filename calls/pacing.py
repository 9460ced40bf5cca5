"""The pace of dials, shared by every scheduler process and tick (docs/architecture.md §6.2).

`calls_per_second` is the provider's limit for the whole installation, not for one tick: ticks
overlap (a slow tick still dialling when the next one starts, a task cluster and `run_scheduler`
side by side, several clusters), so each dial takes a slot from one shared clock. The slot is a
row in the database, `DialPace`: a live tick may dial when the last slot anyone took is at
least 1/`calls_per_second` old, and takes the slot by moving it to now in one conditional
UPDATE. Consecutive slots are therefore at least the interval apart whoever took them, so no
second holds more dials than the rate; a tick killed after taking a slot wastes that slot only.

Why a row, rather than…
- an advisory lock that keeps ticks from overlapping: an overlapping tick would wait (or skip)
  for a whole tick length, and a tick holding the lock for a minute couples every scheduler
  to the slowest; slots let overlapping ticks interleave their dials at the one rate.
- Redis: the database is already what every scheduler must reach to claim and to record a
  dial, so the limiter adds no dependency and no failure mode (a Redis restart or outage
  would have to fall back to something, and a limiter that falls back to "no limit" or
  "stop dialling" is worse than one that cannot be down while dialling can go on).
One UPDATE per dial, autocommitted (the row is locked for that statement only): a few hundred
microseconds, far below any provider's per-second limit (Twilio's default is one call a second).

On PostgreSQL the slot's time is the database's clock (`clock_timestamp()`), so schedulers on
different machines share one clock; on SQLite (one machine) it is the process's.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection
from django.utils import timezone

from calls.models import DialPace

_MICROSECOND = dt.timedelta(microseconds=1)

_TAKE_POSTGRESQL = """
UPDATE calls_dialpace SET last_dial_at = clock_timestamp()
WHERE id = %s AND (
    last_dial_at IS NULL OR last_dial_at <= clock_timestamp() - %s * interval '1 microsecond'
)
RETURNING last_dial_at
"""
_TAKE_SQLITE = """
UPDATE calls_dialpace SET last_dial_at = %s
WHERE id = %s AND (last_dial_at IS NULL OR last_dial_at <= %s)
RETURNING last_dial_at
"""


def dial_pace_ready() -> None:
    """The pace row exists: created on first use, as a flushed test database has none."""
    DialPace.objects.bulk_create([DialPace(pk=DialPace.SINGLETON_ID)], ignore_conflicts=True)


def dial_slot_take(*, interval: dt.timedelta) -> tuple[dt.datetime | None, float]:
    """Take the next dial slot if it is open: (its time, 0.0), the time to record as the dial's.
    Else (None, seconds until it opens, as far as we know: another tick may take it first)."""
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(_TAKE_POSTGRESQL, [DialPace.SINGLETON_ID, interval // _MICROSECOND])
            row = cursor.fetchone()
            if row is not None:
                return row[0], 0.0
            cursor.execute(
                "SELECT last_dial_at, clock_timestamp() FROM calls_dialpace WHERE id = %s",
                [DialPace.SINGLETON_ID],
            )
            last, now = cursor.fetchone() or (None, None)
        else:
            now = timezone.now()
            adapt = connection.ops.adapt_datetimefield_value
            cursor.execute(_TAKE_SQLITE, [adapt(now), DialPace.SINGLETON_ID, adapt(now - interval)])
            if cursor.fetchone() is not None:
                return now, 0.0
            last = (
                DialPace.objects.filter(pk=DialPace.SINGLETON_ID)
                .values_list("last_dial_at", flat=True)
                .first()
            )
    if last is None:  # no row (yet): the next try takes the first slot
        dial_pace_ready()
        return None, 0.0
    return None, max(0.0, (last + interval - now).total_seconds())

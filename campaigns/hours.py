"""Calling hours: whether a time zone is inside a campaign's call window and days, and when it
next opens. The scheduler decides whom to dial with these; the dashboards count what it would
dial with the same functions."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Iterable
from typing import TypedDict

from campaigns.models import Campaign


class CallingWindow(TypedDict):
    window_start: dt.time
    window_end: dt.time
    call_days: Iterable[int]


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


def contact_zone(zone: str, campaign: Campaign) -> str:
    """A contact's time zone: its own (from its number), else its campaign's."""
    return zone or campaign.timezone


def calling_window(campaign: Campaign) -> CallingWindow:
    """The campaign's window and days, as the keyword arguments of the functions above."""
    return {
        "window_start": campaign.call_window_start,
        "window_end": campaign.call_window_end,
        "call_days": campaign.call_days,
    }

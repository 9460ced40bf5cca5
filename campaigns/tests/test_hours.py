"""Calling hours (campaigns/hours.py): whether a zone is open at an instant, and when it next
opens."""

import datetime as dt

import pytest

from campaigns.hours import next_window_opening, zone_is_open

UTC = dt.UTC
MONDAY_09_UTC = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Rome 10:00, New York 04:00
MONDAY_22_UTC = dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Rome 23:00, New York 17:00
MONDAY_15_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Rome 16:00, New York 10:00


@pytest.mark.parametrize(
    ("zone", "at", "expected"),
    [
        ("Europe/Rome", MONDAY_09_UTC, True),
        ("America/New_York", MONDAY_09_UTC, False),
        ("Europe/Rome", MONDAY_22_UTC, False),
        ("America/New_York", MONDAY_22_UTC, True),
        ("Europe/Rome", dt.datetime(2026, 11, 23, 8, 0, tzinfo=UTC), True),  # 09:00 opens
        ("Europe/Rome", dt.datetime(2026, 11, 23, 19, 0, tzinfo=UTC), False),  # 20:00 closes
        ("Europe/Rome", dt.datetime(2026, 11, 22, 12, 0, tzinfo=UTC), False),  # a Sunday
        ("America/New_York", dt.datetime(2026, 11, 29, 3, 0, tzinfo=UTC), False),  # Sat 22:00
        ("Asia/Tokyo", dt.datetime(2026, 11, 22, 23, 0, tzinfo=UTC), False),  # Mon 08:00
        ("Asia/Tokyo", dt.datetime(2026, 11, 23, 0, 0, tzinfo=UTC), True),  # Mon 09:00
    ],
)
def test_zone_is_open(zone, at, expected):
    assert (
        zone_is_open(
            zone,
            at=at,
            window_start=dt.time(9),
            window_end=dt.time(20),
            call_days=[1, 2, 3, 4, 5, 6],
        )
        is expected
    )


def test_next_window_opening_skips_closed_days_and_hours():
    kwargs = {"window_start": dt.time(9), "window_end": dt.time(20), "call_days": [1, 2, 3, 4, 5]}
    saturday_noon = dt.datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    assert next_window_opening("Europe/Rome", after=saturday_noon, **kwargs) == dt.datetime(
        2026, 11, 30, 8, 0, tzinfo=UTC
    )
    assert next_window_opening("Europe/Rome", after=MONDAY_15_UTC, **kwargs) == MONDAY_15_UTC
    kwargs["call_days"] = []
    assert next_window_opening("Europe/Rome", after=MONDAY_15_UTC, **kwargs) is None

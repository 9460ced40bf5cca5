"""`campaign_stats`: a hand-built campaign whose every figure is known in advance.

Europe/Rome leaves summer time on Sunday 25 October 2026 at 03:00 CEST (01:00 UTC): that local
day has 25 hours, and the hour from 02:00 happens twice (+02:00, then +01:00). It enters
summer time on Sunday 29 March 2026 at 02:00 CET (01:00 UTC): that day has 23 hours.
"""

import datetime as dt

import pytest

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard.selectors import campaign_stats

pytestmark = pytest.mark.django_db

UTC = dt.UTC


def utc(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=UTC)


def attempt(campaign, contact, started, outcome=None, *, answered=None, ended=None, number=1):
    return CallAttemptFactory(
        campaign=campaign,
        contact=contact,
        attempt_number=number,
        started_at=started,
        answered_at=answered,
        ended_at=ended,
        outcome=outcome,
    )


def iso(points):
    return [p["timestamp"].isoformat() for p in points]


def counts(point):
    return {k: v for k, v in point.items() if k != "timestamp"}


@pytest.fixture
def autumn_campaign():
    """Ten contacts in known states and nine attempts placed on the edges of hours and days
    around the end of summer time."""
    campaign = CampaignFactory(timezone="Europe/Rome", status="running")
    states = (
        [ContactState.PENDING] * 3
        + [ContactState.IN_PROGRESS]
        + [ContactState.COMPLETED] * 2
        + [ContactState.REFUSED]
        + [ContactState.NOT_REACHED] * 2
        + [ContactState.EXCLUDED]
    )
    c = [ContactFactory(campaign=campaign, state=state) for state in states]
    # A: the first 02:00 (CEST), completed after 120 s of talk.
    attempt(
        campaign,
        c[4],
        utc(2026, 10, 25, 0, 0),
        CallOutcome.COMPLETED,
        answered=utc(2026, 10, 25, 0, 0, 10),
        ended=utc(2026, 10, 25, 0, 2, 10),
    )
    # B: the last microsecond of that hour, a 0-second call, refused.
    b = utc(2026, 10, 25, 0, 59, 59, 999999)
    attempt(campaign, c[6], b, CallOutcome.REFUSED, answered=b, ended=b)
    # C: the second 02:00 (CET), no answer.
    attempt(campaign, c[7], utc(2026, 10, 25, 1, 0), CallOutcome.NO_ANSWER)
    # D: the last second of Saturday 24 October, local time (23:59:59 CEST), busy.
    attempt(campaign, c[8], utc(2026, 10, 24, 21, 59, 59), CallOutcome.BUSY)
    # E: local midnight of the 25th, answered and then failed after 30 s.
    attempt(
        campaign,
        c[0],
        utc(2026, 10, 24, 22, 0),
        CallOutcome.FAILED,
        answered=utc(2026, 10, 24, 22, 0, 5),
        ended=utc(2026, 10, 24, 22, 0, 35),
    )
    # F: in flight in the current hour, answered but not ended: no duration yet.
    attempt(campaign, c[3], utc(2026, 10, 25, 11, 20), None, answered=utc(2026, 10, 25, 11, 21))
    # G: weeks before either series, completed after 60 s: only in the totals.
    attempt(
        campaign,
        c[5],
        utc(2026, 10, 1, 9, 0),
        CallOutcome.COMPLETED,
        answered=utc(2026, 10, 1, 9, 0, 30),
        ended=utc(2026, 10, 1, 9, 1, 30),
    )
    # H1: exactly the start of the hourly series (14:00 CEST on the 24th), no answer.
    attempt(campaign, c[1], utc(2026, 10, 24, 12, 0), CallOutcome.NO_ANSWER)
    # H2: one second before it, failed without an answer: daily series only.
    attempt(campaign, c[1], utc(2026, 10, 24, 11, 59, 59), CallOutcome.FAILED, number=2)
    # Another campaign's attempt in the same hour must not count.
    attempt(CampaignFactory(), ContactFactory(), utc(2026, 10, 25, 0, 30), CallOutcome.COMPLETED)
    return campaign


NOW = utc(2026, 10, 25, 11, 30)  # 12:30 CET


def test_contacts_outcomes_rates_and_durations(autumn_campaign):
    stats = campaign_stats(campaign=autumn_campaign, now=NOW)

    assert stats["campaign_id"] == str(autumn_campaign.pk)
    assert stats["campaign_name"] == autumn_campaign.name
    assert stats["campaign_status"] == "running"
    assert stats["contacts"] == {
        "total": 10,
        "pending": 3,
        "in_progress": 1,
        "completed": 2,
        "refused": 1,
        "not_reached": 2,
        "excluded": 1,
    }
    assert stats["call_outcomes"] == {
        "total_attempts": 9,
        "completed": 2,
        "refused": 1,
        "no_answer": 2,
        "busy": 1,
        "failed": 2,
    }
    # Contact rates over the 9 contacts that could be called (the excluded one never is).
    assert stats["rates"] == {
        "completion_rate": 22.22,  # 2 / 9
        "refusal_rate": 11.11,  # 1 / 9
        "not_reached_rate": 22.22,  # 2 / 9
        # (2 completed + 1 refused) / 8 finished attempts; the one in flight is not finished.
        "answer_rate": 37.5,
    }
    assert stats["rate_bases"] == {"contacts_callable": 9, "finished_attempts": 8}
    # Talk time of A (120 s), B (0 s), E (30 s) and G (60 s).
    assert stats["duration_stats"] == {
        "average_duration_seconds": 52.5,
        "min_duration_seconds": 0.0,
        "max_duration_seconds": 120.0,
        "total_duration_seconds": 210.0,
    }
    assert stats["generated_at"] == NOW


def test_hourly_series_has_25_real_hours_across_the_end_of_summer_time(autumn_campaign):
    stats = campaign_stats(campaign=autumn_campaign, now=NOW, time_series_hours=24)
    hourly = stats["time_series_hourly"]

    expected_labels = [f"2026-10-24T{h:02d}:00:00+02:00" for h in range(14, 24)] + [
        "2026-10-25T00:00:00+02:00",
        "2026-10-25T01:00:00+02:00",
        "2026-10-25T02:00:00+02:00",
        "2026-10-25T02:00:00+01:00",
        *[f"2026-10-25T{h:02d}:00:00+01:00" for h in range(3, 13)],
    ]
    assert iso(hourly) == expected_labels
    by_label = dict(zip(expected_labels, hourly, strict=True))
    zero = {"attempts": 0, "completed": 0, "refused": 0, "not_reached": 0}
    expected = dict.fromkeys(expected_labels, zero) | {
        "2026-10-24T14:00:00+02:00": {**zero, "attempts": 1, "not_reached": 1},  # H1
        "2026-10-24T23:00:00+02:00": {**zero, "attempts": 1, "not_reached": 1},  # D
        "2026-10-25T00:00:00+02:00": {**zero, "attempts": 1, "not_reached": 1},  # E
        "2026-10-25T02:00:00+02:00": {**zero, "attempts": 2, "completed": 1, "refused": 1},
        "2026-10-25T02:00:00+01:00": {**zero, "attempts": 1, "not_reached": 1},  # C
        "2026-10-25T12:00:00+01:00": {**zero, "attempts": 1},  # F, in flight
    }
    assert {label: counts(point) for label, point in by_label.items()} == expected


def test_daily_series_puts_attempts_on_their_local_day(autumn_campaign):
    stats = campaign_stats(campaign=autumn_campaign, now=NOW, time_series_days=3)
    daily = stats["time_series_daily"]

    assert iso(daily) == [
        "2026-10-23T00:00:00+02:00",
        "2026-10-24T00:00:00+02:00",
        "2026-10-25T00:00:00+02:00",
    ]
    assert [counts(p) for p in daily] == [
        {"attempts": 0, "completed": 0, "refused": 0, "not_reached": 0},
        # H2, H1, and D at 23:59:59 local time
        {"attempts": 3, "completed": 0, "refused": 0, "not_reached": 3},
        # E (local midnight), A, B, C, F (in flight: an attempt, no outcome)
        {"attempts": 5, "completed": 1, "refused": 1, "not_reached": 2},
    ]


def test_a_day_of_23_hours_when_summer_time_starts():
    campaign = CampaignFactory(timezone="Europe/Rome")
    contact = ContactFactory(campaign=campaign)
    # 01:59:59 CET, the last second before the skipped hour, and 03:00 CEST just after it.
    attempt(campaign, contact, utc(2026, 3, 29, 0, 59, 59), CallOutcome.COMPLETED)
    attempt(campaign, contact, utc(2026, 3, 29, 1, 0), CallOutcome.BUSY, number=2)
    # 23:59 CEST on the 29th, and 00:00 CEST on the 30th (a day outside the series).
    attempt(campaign, contact, utc(2026, 3, 29, 21, 59), CallOutcome.REFUSED, number=3)
    attempt(campaign, contact, utc(2026, 3, 29, 22, 0), CallOutcome.FAILED, number=4)

    stats = campaign_stats(
        campaign=campaign,
        now=utc(2026, 3, 29, 21, 59, 59),  # 23:59:59 CEST
        time_series_hours=23,
        time_series_days=1,
    )

    hourly = stats["time_series_hourly"]
    assert iso(hourly) == (
        ["2026-03-29T00:00:00+01:00", "2026-03-29T01:00:00+01:00"]
        + [f"2026-03-29T{h:02d}:00:00+02:00" for h in range(3, 24)]
    )
    assert [p["attempts"] for p in hourly] == [0, 1, 1] + [0] * 19 + [1]
    assert [counts(p) for p in stats["time_series_daily"]] == [
        {"attempts": 3, "completed": 1, "refused": 1, "not_reached": 1}
    ]
    assert iso(stats["time_series_daily"]) == ["2026-03-29T00:00:00+01:00"]


def test_half_hour_zone_buckets_start_on_local_hours():
    campaign = CampaignFactory(timezone="Asia/Kolkata")  # UTC+05:30, no DST
    contact = ContactFactory(campaign=campaign)
    attempt(campaign, contact, utc(2026, 6, 1, 4, 29, 59), CallOutcome.NO_ANSWER)  # 09:59:59
    attempt(campaign, contact, utc(2026, 6, 1, 4, 30), CallOutcome.COMPLETED, number=2)  # 10:00

    stats = campaign_stats(
        campaign=campaign,
        now=utc(2026, 6, 1, 4, 45),  # 10:15 IST
        time_series_hours=2,
        time_series_days=1,
    )

    assert iso(stats["time_series_hourly"]) == [
        "2026-06-01T09:00:00+05:30",
        "2026-06-01T10:00:00+05:30",
    ]
    assert [counts(p) for p in stats["time_series_hourly"]] == [
        {"attempts": 1, "completed": 0, "refused": 0, "not_reached": 1},
        {"attempts": 1, "completed": 1, "refused": 0, "not_reached": 0},
    ]
    assert iso(stats["time_series_daily"]) == ["2026-06-01T00:00:00+05:30"]


def test_without_time_series_the_totals_are_the_same(autumn_campaign):
    full = campaign_stats(campaign=autumn_campaign, now=NOW)
    bare = campaign_stats(campaign=autumn_campaign, now=NOW, include_time_series=False)

    assert bare["time_series_hourly"] == []
    assert bare["time_series_daily"] == []
    for part in ("contacts", "call_outcomes", "rates", "duration_stats"):
        assert bare[part] == full[part]


def test_an_empty_campaign_has_zeros_nulls_and_every_bucket():
    campaign = CampaignFactory(timezone="Europe/Rome")

    stats = campaign_stats(campaign=campaign, now=NOW, time_series_hours=168, time_series_days=90)

    assert stats["contacts"]["total"] == 0
    assert set(stats["call_outcomes"].values()) == {0}
    assert stats["rates"] == {
        "completion_rate": 0.0,
        "refusal_rate": 0.0,
        "not_reached_rate": 0.0,
        "answer_rate": 0.0,
    }
    assert set(stats["duration_stats"].values()) == {None}
    assert len(stats["time_series_hourly"]) == 168
    assert len(stats["time_series_daily"]) == 90
    assert all(counts(p) == dict.fromkeys(counts(p), 0) for p in stats["time_series_hourly"])
    # Consecutive hourly buckets are exactly one real hour apart, across the DST change.
    starts = [p["timestamp"].astimezone(UTC) for p in stats["time_series_hourly"]]
    assert {b - a for a, b in zip(starts, starts[1:], strict=False)} == {dt.timedelta(hours=1)}


def test_a_call_that_ended_before_it_was_answered_has_no_duration():
    """Clock skew between provider events must not produce negative talk time."""
    campaign = CampaignFactory()
    contact = ContactFactory(campaign=campaign)
    attempt(
        campaign,
        contact,
        utc(2026, 6, 1, 9, 0),
        CallOutcome.COMPLETED,
        answered=utc(2026, 6, 1, 9, 0, 30),
        ended=utc(2026, 6, 1, 9, 0, 20),
    )

    stats = campaign_stats(campaign=campaign, include_time_series=False)

    assert stats["call_outcomes"]["completed"] == 1
    assert set(stats["duration_stats"].values()) == {None}


def test_three_queries_whatever_the_size(autumn_campaign, django_assert_num_queries):
    with django_assert_num_queries(3):
        # 1. contacts per state
        # 2. closed attempts per hour, with outcome counts and talk time, from their buckets
        # 3. attempts in flight per hour
        campaign_stats(campaign=autumn_campaign, now=NOW, time_series_days=90)

    for i in range(30):
        contact = ContactFactory(campaign=autumn_campaign)
        attempt(autumn_campaign, contact, NOW - dt.timedelta(hours=i * 7), CallOutcome.BUSY)
    with django_assert_num_queries(3):
        stats = campaign_stats(campaign=autumn_campaign, now=NOW, time_series_days=90)
    assert stats["call_outcomes"]["busy"] == 31

"""The dashboards' figures, read from the stats buckets, are the figures of the attempts
themselves: after a whole simulated campaign (every close through the webhooks, dialogue and
outcome rules) and after seed_demo's bulk load, the buckets equal `call_stats_rebuild`'s
recomputation, and every figure equals one recomputed here, in Python, from the raw rows —
every attempt but those given back unused (GIVEN_BACK_ERROR_CODES), which are none."""

import collections
import datetime as dt
import math
import zoneinfo

import pytest
from django.utils import timezone

from calls.models import CallAttempt, CallStatsBucket
from calls.outcomes import call_attempt_close
from calls.simulation import campaign_simulate
from calls.stats_buckets import GIVEN_BACK_ERROR_CODES, call_stats_rebuild
from calls.tests.factories import CallAttemptFactory
from campaigns.models import Campaign, CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard import selectors
from demo.builders import demo_seed

pytestmark = pytest.mark.django_db

HOUR = dt.timedelta(hours=1)
NOT_REACHED = ("no_answer", "busy", "failed")


def talk(attempt) -> dt.timedelta | None:
    """Answer → end; none when not answered, not ended, or ended before the answer."""
    if attempt.answered_at and attempt.ended_at and attempt.ended_at >= attempt.answered_at:
        return attempt.ended_at - attempt.answered_at
    return None


def percent(part, whole):
    return round(100.0 * part / whole, 2) if whole else 0.0


def counted_attempts():
    """The rows that are attempts: every one but those given back unused."""
    return CallAttempt.objects.exclude(outcome__isnull=False, error_code__in=GIVEN_BACK_ERROR_CODES)


def expected_campaign_stats(campaign, stats) -> dict:
    """The attempt figures of `stats` (its series' buckets taken as given), from the rows."""
    attempts = list(counted_attempts().filter(campaign=campaign))
    outcomes = collections.Counter(a.outcome for a in attempts if a.outcome)
    talks = [t for t in map(talk, attempts) if t is not None]
    zone = zoneinfo.ZoneInfo(campaign.timezone)

    hours = [p["timestamp"] for p in stats["time_series_hourly"]]
    days = [p["timestamp"].date() for p in stats["time_series_daily"]]
    hourly = [dict.fromkeys(("attempts", "completed", "refused", "not_reached"), 0) for _ in hours]
    daily = [dict.fromkeys(("attempts", "completed", "refused", "not_reached"), 0) for _ in days]
    for attempt in attempts:
        points = [
            point
            for start, point in zip(hours, hourly, strict=True)
            if start <= attempt.started_at < start + HOUR
        ]
        local_day = attempt.started_at.astimezone(zone).date()
        points += [point for day, point in zip(days, daily, strict=True) if day == local_day]
        for point in points:
            point["attempts"] += 1
            if attempt.outcome in ("completed", "refused"):
                point[attempt.outcome] += 1
            elif attempt.outcome in NOT_REACHED:
                point["not_reached"] += 1

    total_talk = sum(talks, dt.timedelta(0))
    return {
        "call_outcomes": {
            "total_attempts": len(attempts),
            **{o: outcomes[o] for o in ("completed", "refused", "no_answer", "busy", "failed")},
        },
        "answer_rate": percent(outcomes["completed"] + outcomes["refused"], sum(outcomes.values())),
        "duration_stats": {
            "average_duration_seconds": (
                round(total_talk.total_seconds() / len(talks), 2) if talks else None
            ),
            "min_duration_seconds": round(min(talks).total_seconds(), 2) if talks else None,
            "max_duration_seconds": round(max(talks).total_seconds(), 2) if talks else None,
            "total_duration_seconds": round(total_talk.total_seconds(), 2) if talks else None,
        },
        "hourly": hourly,
        "daily": daily,
    }


def assert_campaign_stats_match_the_rows(campaign, *, now):
    stats = selectors.campaign_stats(
        campaign=campaign, now=now, time_series_hours=168, time_series_days=90
    )
    expected = expected_campaign_stats(campaign, stats)
    assert stats["call_outcomes"] == expected["call_outcomes"]
    assert stats["rates"]["answer_rate"] == expected["answer_rate"]
    assert stats["duration_stats"] == expected["duration_stats"]
    strip = lambda points: [{k: v for k, v in p.items() if k != "timestamp"} for p in points]  # noqa: E731
    assert strip(stats["time_series_hourly"]) == expected["hourly"]
    assert strip(stats["time_series_daily"]) == expected["daily"]
    return stats


def assert_system_figures_match_the_rows():
    attempts = list(counted_attempts())
    closed = [a for a in attempts if a.outcome]
    by_outcome = collections.Counter(a.outcome for a in closed)

    overview = selectors.system_overview()
    assert overview["total_call_attempts"] == len(attempts)
    assert overview["in_progress_calls"] == len(attempts) - len(closed)
    assert overview["failed_calls"] == by_outcome["failed"]

    queue = selectors.system_queue()
    runs = [a.ended_at - a.started_at for a in closed if a.ended_at]
    assert (queue["success"], queue["failed"]) == (by_outcome["completed"], by_outcome["failed"])
    assert queue["processing"] == len(attempts) - len(closed)
    assert queue["avg_processing_time_ms"] == (
        round(sum(runs, dt.timedelta(0)).total_seconds() / len(runs) * 1000, 2) if runs else None
    )

    platforms = selectors.system_platforms()
    for provider, figures in platforms.items():
        mine = [a for a in attempts if a.provider == provider]
        finished = [a for a in mine if a.outcome]
        talks = [t for t in map(talk, mine) if t is not None]
        assert figures == {
            "calls_placed": len(mine),
            "calls_completed": sum(a.outcome == "completed" for a in mine),
            "calls_failed": sum(a.outcome == "failed" for a in mine),
            "answer_rate": percent(
                sum(a.outcome in ("completed", "refused") for a in finished), len(finished)
            ),
            "avg_duration_seconds": (
                round(sum(talks, dt.timedelta(0)).total_seconds() / len(talks), 2)
                if talks
                else None
            ),
        }, provider

    minutes = sum(math.ceil(t.total_seconds() / 60) for t in map(talk, attempts) if t is not None)
    assert selectors.system_campaigns()["billed_minutes"] == minutes


def assert_buckets_are_the_rebuild():
    def buckets():
        # Every column but the id (a rebuild writes new rows).
        columns = [f.name for f in CallStatsBucket._meta.fields if not f.primary_key]
        return list(CallStatsBucket.objects.order_by(*columns[:4]).values_list(*columns))

    kept = buckets()
    call_stats_rebuild()
    assert buckets() == kept


@pytest.mark.slow
def test_a_simulated_campaign_keeps_buckets_that_match_its_attempts(provider_config):
    provider_config.max_concurrent_calls = 30
    provider_config.save()
    # Another campaign's calls share the table, and must not mix in.
    other = CampaignFactory(status=CampaignStatus.RUNNING)
    for outcome in ("completed", "busy", "failed"):
        contact = ContactFactory(campaign=other, state=ContactState.IN_PROGRESS, attempts_count=1)
        attempt = CallAttemptFactory(contact=contact, answered_at=timezone.now())
        call_attempt_close(attempt=attempt, outcome=outcome)
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        timezone="Europe/Rome",
        max_attempts=3,
        retry_interval_minutes=45,
        call_window_start=dt.time(8),
        call_window_end=dt.time(21),
        call_days=[1, 2, 3, 4, 5, 6],
    )
    zones = ("Europe/Rome", "America/New_York", "Asia/Kolkata", "")
    for i in range(150):
        ContactFactory(campaign=campaign, timezone=zones[i % len(zones)])

    summary = campaign_simulate(campaign=campaign)

    assert summary.stopped == ""
    assert CallAttempt.objects.filter(campaign=campaign).count() >= 150
    assert not campaign.contacts.filter(state=ContactState.IN_PROGRESS).exists()
    assert_buckets_are_the_rebuild()
    # The simulated clock ran ahead of the real one: read the figures as of its end.
    last = CallAttempt.objects.order_by("-started_at").first().started_at
    stats = assert_campaign_stats_match_the_rows(campaign, now=last + HOUR)
    assert stats["call_outcomes"]["completed"] > 0
    assert stats["duration_stats"]["max_duration_seconds"] > 0
    # Most of the campaign's calls fall inside the week of hours the figures were read for.
    assert sum(p["attempts"] for p in stats["time_series_hourly"]) > 100
    assert_system_figures_match_the_rows()


@pytest.mark.slow
def test_seeded_demo_data_has_buckets_that_match_its_attempts():
    summary = demo_seed(contacts=1200, campaigns=7, seed=5)

    assert CallStatsBucket.objects.exists()
    assert sum(b.attempts for b in CallStatsBucket.objects.all()) == (
        counted_attempts().filter(outcome__isnull=False).count()
    )
    assert CallAttempt.objects.count() == summary.attempts
    assert_buckets_are_the_rebuild()
    dialled = Campaign.objects.filter(attempts__isnull=False).distinct()
    assert dialled.count() >= 4
    for campaign in dialled:
        assert_campaign_stats_match_the_rows(campaign, now=None)
    assert_system_figures_match_the_rows()

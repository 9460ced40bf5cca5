"""The stats buckets kept by the close (`call_attempt_close` → `call_stats_add`): one upsert per
closed attempt into (campaign, provider, UTC quarter hour of its start, outcome)."""

import datetime as dt
import zoneinfo

import pytest
from django.db import transaction

from calls.models import CallOutcome, CallStatsBucket, Provider
from calls.outcomes import call_attempt_close
from calls.services import call_attempts_reconcile
from calls.stats_buckets import GIVEN_BACK_ERROR_CODES, call_stats_rebuild, call_stats_talk_add
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard.selectors import campaign_stats

pytestmark = pytest.mark.django_db

UTC = dt.UTC
NOON = dt.datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def seconds(n: float) -> dt.timedelta:
    return dt.timedelta(seconds=n)


def us(seconds: float) -> int:
    return round(seconds * 1_000_000)


@pytest.fixture
def campaign():
    return CampaignFactory(status="running", timezone="Europe/Rome", max_attempts=3)


def in_flight(campaign, started, *, provider=Provider.SIMULATOR):
    contact = ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(
        contact=contact, campaign=campaign, started_at=started, provider=provider
    )


def close(attempt, outcome, *, talk=None, run=10.0, **kwargs):
    """Close as the webhooks do: the answer time is on the row before the final event."""
    ended = attempt.started_at + seconds(run)
    if talk is not None:
        attempt.__class__.objects.filter(pk=attempt.pk).update(answered_at=ended - seconds(talk))
    assert call_attempt_close(attempt=attempt, outcome=outcome, ended_at=ended, **kwargs)


def buckets(campaign) -> list[dict]:
    return list(
        CallStatsBucket.objects.filter(campaign=campaign)
        .order_by("bucket_start", "provider", "outcome")
        .values(
            "provider",
            "bucket_start",
            "outcome",
            "attempts",
            "talk_count",
            "talk_total_us",
            "talk_min_us",
            "talk_max_us",
            "run_count",
            "run_total_us",
            "billed_minutes",
        )
    )


def bucket(start, outcome, attempts=1, *, talks=(), runs=(10.0,), provider="simulator"):
    return {
        "provider": provider,
        "bucket_start": start,
        "outcome": outcome,
        "attempts": attempts,
        "talk_count": len(talks),
        "talk_total_us": us(sum(talks)),
        "talk_min_us": us(min(talks)) if talks else None,
        "talk_max_us": us(max(talks)) if talks else None,
        "run_count": len(runs),
        "run_total_us": us(sum(runs)),
        "billed_minutes": sum(-(-t // 60) for t in talks),
    }


def test_two_closes_in_one_quarter_hour_add_up(campaign):
    first = in_flight(campaign, NOON)
    last = in_flight(campaign, NOON + dt.timedelta(minutes=14, seconds=59, microseconds=999999))
    close(first, CallOutcome.COMPLETED, talk=30, run=40)
    close(last, CallOutcome.COMPLETED, talk=90.5, run=100)

    assert buckets(campaign) == [
        bucket(NOON, "completed", 2, talks=(30, 90.5), runs=(40, 100))  # billed 1 + 2 minutes
    ]


def test_each_quarter_hour_outcome_and_provider_has_its_own_bucket(campaign):
    quarter = dt.timedelta(minutes=15)
    close(in_flight(campaign, NOON - dt.timedelta(microseconds=1)), CallOutcome.BUSY)
    close(in_flight(campaign, NOON), CallOutcome.BUSY)
    close(in_flight(campaign, NOON + quarter), CallOutcome.BUSY)
    close(in_flight(campaign, NOON + quarter), CallOutcome.NO_ANSWER)
    close(in_flight(campaign, NOON + quarter, provider=Provider.TWILIO), CallOutcome.NO_ANSWER)

    assert buckets(campaign) == [
        bucket(NOON - quarter, "busy"),
        bucket(NOON, "busy"),
        bucket(NOON + quarter, "busy"),
        bucket(NOON + quarter, "no_answer"),
        bucket(NOON + quarter, "no_answer", provider="twilio"),
    ]


def test_a_zero_second_call_is_zero_talk_time_not_none(campaign):
    close(in_flight(campaign, NOON), CallOutcome.REFUSED, talk=0)
    assert buckets(campaign) == [bucket(NOON, "refused", talks=(0,))]  # billed 0 minutes

    close(in_flight(campaign, NOON), CallOutcome.REFUSED, talk=20)
    assert buckets(campaign) == [bucket(NOON, "refused", 2, talks=(0, 20), runs=(10, 10))]


def test_calls_without_talk_time_leave_min_and_max_to_those_with_it(campaign):
    close(in_flight(campaign, NOON), CallOutcome.FAILED)  # never answered
    assert buckets(campaign) == [bucket(NOON, "failed")]

    close(in_flight(campaign, NOON), CallOutcome.FAILED, talk=45)  # answered, then dropped
    close(in_flight(campaign, NOON), CallOutcome.FAILED)
    close(in_flight(campaign, NOON), CallOutcome.FAILED, talk=5)
    assert buckets(campaign) == [bucket(NOON, "failed", 4, talks=(45, 5), runs=(10,) * 4)]


def test_a_provider_clock_that_ran_backwards_gives_no_talk_time(campaign):
    attempt = in_flight(campaign, NOON)
    attempt.__class__.objects.filter(pk=attempt.pk).update(answered_at=NOON + seconds(30))
    assert call_attempt_close(
        attempt=attempt, outcome=CallOutcome.COMPLETED, ended_at=NOON + seconds(20)
    )
    assert buckets(campaign) == [bucket(NOON, "completed", runs=(20,))]


def test_the_answer_time_is_read_from_the_row_not_the_stale_object(campaign):
    attempt = in_flight(campaign, NOON)
    # Another request records the answer after this object was loaded.
    attempt.__class__.objects.filter(pk=attempt.pk).update(answered_at=NOON + seconds(5))
    assert attempt.answered_at is None
    call_attempt_close(attempt=attempt, outcome=CallOutcome.COMPLETED, ended_at=NOON + seconds(65))
    assert buckets(campaign) == [bucket(NOON, "completed", talks=(60,), runs=(65,))]


def test_a_replayed_close_adds_nothing(campaign):
    attempt = in_flight(campaign, NOON)
    close(attempt, CallOutcome.NO_ANSWER)
    assert not call_attempt_close(attempt=attempt, outcome=CallOutcome.FAILED)
    assert buckets(campaign) == [bucket(NOON, "no_answer")]


@pytest.mark.parametrize("code", sorted(GIVEN_BACK_ERROR_CODES))
def test_a_call_given_back_is_no_attempt_in_the_figures(campaign, code):
    """Given back after a provider outage (or never dialled): no attempt was used, so none is
    counted — not as a failed one, not in the rebuild either."""
    close(
        in_flight(campaign, NOON),
        CallOutcome.FAILED,
        run=0,
        error_code=code,
        counts_as_attempt=False,
    )
    close(in_flight(campaign, NOON), CallOutcome.BUSY)
    assert buckets(campaign) == [bucket(NOON, "busy")]
    stats = campaign_stats(campaign=campaign, include_time_series=False)
    assert stats["call_outcomes"]["total_attempts"] == 1
    assert stats["call_outcomes"]["failed"] == 0
    call_stats_rebuild(campaign=campaign)
    assert buckets(campaign) == [bucket(NOON, "busy")]


def test_an_attempt_is_given_back_only_under_a_code_the_figures_know(campaign):
    with pytest.raises(ValueError, match="given back needs one of"):
        close(in_flight(campaign, NOON), CallOutcome.FAILED, counts_as_attempt=False)


def test_talk_time_known_after_the_close_joins_its_bucket_as_the_rebuild_has_it(campaign):
    """A late "answered" (calls/services.py `_answered_late`): the bucket counts the attempt
    already; its talk time is added, and the minimum and maximum move as they must."""
    close(in_flight(campaign, NOON), CallOutcome.FAILED, talk=30)
    late = in_flight(campaign, NOON)
    close(late, CallOutcome.FAILED)  # the final status came first: no answer time yet
    assert buckets(campaign) == [bucket(NOON, "failed", 2, talks=(30,), runs=(10, 10))]

    late.answered_at = late.started_at + seconds(2)  # 8 s of talk, before a 10 s run's end
    late.__class__.objects.filter(pk=late.pk).update(answered_at=late.answered_at)
    call_stats_talk_add(attempt=late)
    assert buckets(campaign) == [bucket(NOON, "failed", 2, talks=(30, 8), runs=(10, 10))]
    call_stats_rebuild(campaign=campaign)
    assert buckets(campaign) == [bucket(NOON, "failed", 2, talks=(30, 8), runs=(10, 10))]


def test_a_rolled_back_close_leaves_no_bucket(campaign):
    attempt = in_flight(campaign, NOON)

    def close_in_a_failing_transaction():
        with transaction.atomic():
            close(attempt, CallOutcome.COMPLETED, talk=10)
            raise RuntimeError("the caller's transaction fails after the close")

    with pytest.raises(RuntimeError, match="fails after the close"):
        close_in_a_failing_transaction()
    assert buckets(campaign) == []


def test_a_late_close_of_an_old_attempt_lands_in_the_bucket_of_its_start(campaign):
    """Reconciliation closes an attempt stuck in flight for three days: it stays counted in
    the hour it started, now as failed, and the totals do not move."""
    started = NOON - dt.timedelta(days=3) + dt.timedelta(minutes=37)
    in_flight(campaign, started)
    hour = "2026-05-29T14:00:00+02:00"  # 12:37 UTC is in 14:00–15:00 in Rome

    def figures():
        stats = campaign_stats(campaign=campaign, now=NOON, time_series_hours=168)
        point = next(p for p in stats["time_series_hourly"] if p["timestamp"].isoformat() == hour)
        return stats["call_outcomes"], {k: v for k, v in point.items() if k != "timestamp"}

    before = figures()
    assert before == (
        {"total_attempts": 1, "completed": 0, "refused": 0, "no_answer": 0, "busy": 0, "failed": 0},
        {"attempts": 1, "completed": 0, "refused": 0, "not_reached": 0},
    )

    assert call_attempts_reconcile(now=NOON) == 1

    assert buckets(campaign) == [
        bucket(
            dt.datetime(2026, 5, 29, 12, 30, tzinfo=UTC),
            "failed",
            runs=((NOON - started).total_seconds(),),
        )
    ]
    assert figures() == (
        {**before[0], "failed": 1},
        {"attempts": 1, "completed": 0, "refused": 0, "not_reached": 1},
    )


def test_deleting_a_campaign_deletes_its_buckets(campaign):
    close(in_flight(campaign, NOON), CallOutcome.BUSY)
    other = CampaignFactory()
    close(in_flight(other, NOON), CallOutcome.BUSY)

    campaign.delete()

    assert list(CallStatsBucket.objects.values_list("campaign", flat=True)) == [other.pk]


def test_every_utc_offset_in_use_is_a_whole_number_of_quarter_hours():
    """What lets local hours and days be sums of UTC quarter hours, in any zone a campaign may
    have (the last exception, Kiritimati at −10:40, ended in 1979). Sampled twice a month."""
    moments = [
        dt.datetime(year, month, day, tzinfo=UTC)
        for year in range(2000, 2040)
        for month in range(1, 13)
        for day in (1, 16)
    ]
    quarter = dt.timedelta(minutes=15)
    odd = {
        (name, moment.date(), moment.astimezone(zone).utcoffset())
        for name in zoneinfo.available_timezones()
        for zone in [zoneinfo.ZoneInfo(name)]
        for moment in moments
        if moment.astimezone(zone).utcoffset() % quarter
    }
    assert odd == set()

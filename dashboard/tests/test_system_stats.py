"""The system dashboard selectors, on hand-built data whose every figure is known."""

import datetime as dt
import os
from decimal import Decimal

import pytest
from django.utils import timezone
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage
from django_q.status import Stat, Status

from calls.models import CallOutcome, EmailStatus, Provider, ProviderConfig
from calls.tests.factories import (
    CallAttemptFactory,
    EmailNotificationFactory,
    SchedulerRunFactory,
    SurveyResponseFactory,
)
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard import selectors

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 5, 10, 12, 0, tzinfo=dt.UTC)


def minutes_ago(n: float) -> dt.datetime:
    return NOW - dt.timedelta(minutes=n)


def finished_attempt(outcome, *, provider=Provider.SIMULATOR, talk=None, run=10, contact=None):
    """An attempt that started `run` seconds before it ended; `talk` seconds of it answered."""
    started = minutes_ago(30)
    ended = started + dt.timedelta(seconds=run)
    return CallAttemptFactory(
        contact=contact or ContactFactory(),
        provider=provider,
        outcome=outcome,
        started_at=started,
        answered_at=None if talk is None else ended - dt.timedelta(seconds=talk),
        ended_at=ended,
    )


# --- overview -----------------------------------------------------------------------------------


def test_overview_counts_everything_once(django_assert_num_queries):
    running = CampaignFactory(status=CampaignStatus.RUNNING)
    CampaignFactory(status=CampaignStatus.SCHEDULED)
    CampaignFactory(status=CampaignStatus.SCHEDULED)
    for state in [ContactState.PENDING] * 3 + [ContactState.COMPLETED, ContactState.REFUSED]:
        ContactFactory(campaign=running, state=state)
    # From here on, each factory brings a pending contact in a draft campaign of its own,
    # except the survey responses, whose contacts are completed.
    CallAttemptFactory()  # in flight
    finished_attempt(CallOutcome.FAILED)
    finished_attempt(CallOutcome.FAILED)
    finished_attempt(CallOutcome.COMPLETED)
    SurveyResponseFactory()
    SurveyResponseFactory()
    EmailNotificationFactory(status=EmailStatus.SENT)
    EmailNotificationFactory(status=EmailStatus.SENT)
    EmailNotificationFactory(status=EmailStatus.FAILED)
    EmailNotificationFactory(status=EmailStatus.PENDING)

    # One statement: campaigns, contacts, closed attempts (their buckets), calls in flight,
    # responses and emails, one-row aggregates cross-joined.
    with django_assert_num_queries(1):
        overview = selectors.system_overview()

    assert overview == {
        "total_campaigns": 3 + 4 + 2 + 4,
        "total_contacts": 5 + 4 + 2 + 4,
        "total_call_attempts": 4,
        "total_responses": 2,
        # Only live campaigns' pending contacts: the running one's 3; the drafts' never wait.
        "pending_contacts": 3,
        "in_progress_calls": 1,
        "failed_calls": 2,
        "emails_sent": 2,
        "emails_failed": 1,
        "scheduled_campaigns": 2,
    }


# --- queue --------------------------------------------------------------------------------------


def test_queue_counts_contacts_due_now_and_attempts(django_assert_num_queries):
    # NOW is a Sunday, 14:00 in Rome (the campaign's zone, and its contacts').
    running = CampaignFactory(
        status=CampaignStatus.RUNNING, max_attempts=3, call_days=[1, 2, 3, 4, 5, 6, 7]
    )
    paused = CampaignFactory(status=CampaignStatus.PAUSED)

    def contact(campaign=running, **kwargs):
        return ContactFactory(campaign=campaign, **kwargs)

    # Due: never tried (waiting since created), a retry that came due, a not-reached contact
    # with attempts left (max_attempts raised).
    never_tried = contact()
    never_tried.__class__.objects.filter(pk=never_tried.pk).update(created_at=minutes_ago(90))
    contact(attempts_count=1, next_attempt_at=minutes_ago(20))
    contact(state=ContactState.NOT_REACHED, attempts_count=2, next_attempt_at=minutes_ago(5))
    # Not due: retry later, attempts used up, do-not-call, excluded, in flight, paused campaign.
    contact(attempts_count=1, next_attempt_at=NOW + dt.timedelta(minutes=1))
    contact(state=ContactState.NOT_REACHED, attempts_count=3, next_attempt_at=minutes_ago(5))
    contact(do_not_call=True)
    contact(state=ContactState.EXCLUDED)
    contact(state=ContactState.IN_PROGRESS, attempts_count=1)
    contact(campaign=paused)
    # Due, but not calling time where they are: 05:00 in Los Angeles; a Sunday for a
    # Monday-to-Saturday campaign; an unknown zone the scheduler cannot place in time.
    contact(timezone="America/Los_Angeles", next_attempt_at=minutes_ago(600))
    weekdays = CampaignFactory(status=CampaignStatus.RUNNING, call_days=[1, 2, 3, 4, 5, 6])
    contact(campaign=weekdays, next_attempt_at=minutes_ago(600))
    contact(timezone="Mars/Olympus_Mons", next_attempt_at=minutes_ago(600))
    # A contact with no zone of its own is in the campaign's.
    contact(timezone="", next_attempt_at=minutes_ago(1))

    CallAttemptFactory(started_at=minutes_ago(1))  # in flight
    CallAttemptFactory(started_at=minutes_ago(2))  # in flight
    finished_attempt(CallOutcome.COMPLETED, run=10)
    finished_attempt(CallOutcome.COMPLETED, run=40)
    finished_attempt(CallOutcome.FAILED, run=0.5)
    finished_attempt(CallOutcome.BUSY, run=9.5)

    # due contacts by campaign and zone; calls in flight + closed attempts (their buckets)
    with django_assert_num_queries(2):
        queue = selectors.system_queue(now=NOW)

    assert queue == {
        "pending": 4,
        "processing": 2,
        "success": 2,
        "failed": 1,
        "avg_processing_time_ms": 15000.0,  # (10 + 40 + 0.5 + 9.5) s / 4
        "oldest_pending_age_seconds": 90 * 60,
    }


def test_an_empty_queue_has_no_oldest_age():
    queue = selectors.system_queue(now=NOW)
    assert queue == {
        "pending": 0,
        "processing": 0,
        "success": 0,
        "failed": 0,
        "avg_processing_time_ms": None,
        "oldest_pending_age_seconds": None,
    }


# --- orchestrator -------------------------------------------------------------------------------


@pytest.fixture
def cluster_reports():
    """Publish a task cluster's status as a running django-q cluster does every few seconds
    (`Stat.save`: the signed status under its key in the broker, expiring after 3 s)."""
    broker = get_broker()
    keys = []

    def report(cluster_id: str, status: str) -> None:
        stat = Status(pid=os.getpid(), cluster_id=cluster_id)
        stat.status = status
        broker.set_stat(Stat.get_key(cluster_id), SignedPackage.dumps(stat, True), 3)
        keys.append(Stat.get_key(cluster_id))

    yield report
    # Don't leave live clusters for the next test (they would live 3 s more).
    if Conf.ORM:  # the ORM broker keeps them in a Django cache, not always the default one
        broker.cache.delete_many(keys)
    else:
        broker.connection.delete(*keys)


def test_orchestrator_reads_scheduler_runs_attempts_and_live_clusters(
    cluster_reports, django_assert_num_queries
):
    ProviderConfig.objects.create(max_concurrent_calls=8)
    SchedulerRunFactory(started_at=NOW - dt.timedelta(hours=25), calls_placed=100)
    SchedulerRunFactory(started_at=minutes_ago(1), calls_placed=3)
    # Calls placed in 24 hours: attempts started since 13:00 UTC yesterday (the start of the
    # UTC hour 23 hours before NOW's), whatever the scheduler runs say.
    for _ in range(2):
        CallAttemptFactory(started_at=minutes_ago(5))  # in flight
    CallAttemptFactory(started_at=NOW - dt.timedelta(hours=24))  # in flight, too old
    finished_attempt(CallOutcome.COMPLETED)  # 30 minutes ago
    for started in (NOW - dt.timedelta(hours=23), NOW - dt.timedelta(hours=23, seconds=1)):
        CallAttemptFactory(outcome=CallOutcome.BUSY, started_at=started, ended_at=started)
    cluster_reports("cluster-a", Conf.IDLE)
    cluster_reports("cluster-b", Conf.WORKING)
    cluster_reports("cluster-c", Conf.STOPPED)  # shutting down: not a live worker

    with django_assert_num_queries(2):
        # 1. the last scheduler run
        # 2. attempts started in 24 h (buckets and in flight), calls in flight and
        #    max_concurrent_calls: one statement
        orchestrator = selectors.system_orchestrator(now=NOW)

    assert orchestrator == {
        "last_run_at": minutes_ago(1),
        "actions_last_run": 3,
        "actions_last_24h": 2 + 1 + 1,
        "queue_saturation": 0.375,  # 3 in flight of 8
        "active_workers": 2,
    }


def test_orchestrator_before_any_run_and_without_a_provider_config():
    for _ in range(12):
        CallAttemptFactory(started_at=minutes_ago(1))

    orchestrator = selectors.system_orchestrator(now=NOW)

    assert orchestrator == {
        "last_run_at": None,
        "actions_last_run": 0,
        "actions_last_24h": 12,  # placed without a scheduler run (`simulate`, tests)
        "queue_saturation": 1.0,  # 12 in flight of the default 10, capped
        "active_workers": 0,
    }


def test_active_workers_is_null_when_the_broker_is_down(broker_down):
    assert selectors.system_orchestrator(now=NOW)["active_workers"] is None


# --- platforms ----------------------------------------------------------------------------------


def test_platforms_per_provider(django_assert_num_queries):
    sim, twilio = Provider.SIMULATOR, Provider.TWILIO
    finished_attempt(CallOutcome.COMPLETED, provider=sim, talk=100, run=110)
    finished_attempt(CallOutcome.REFUSED, provider=sim, talk=0, run=10)
    finished_attempt(CallOutcome.FAILED, provider=sim, talk=20, run=30)  # answered, then failed
    finished_attempt(CallOutcome.NO_ANSWER, provider=sim)
    CallAttemptFactory(provider=sim)  # in flight
    finished_attempt(CallOutcome.BUSY, provider=twilio)
    finished_attempt(CallOutcome.FAILED, provider=twilio)

    # one statement: closed attempts (their buckets) and calls in flight, per provider
    with django_assert_num_queries(1):
        platforms = selectors.system_platforms()

    assert platforms == {
        "simulator": {
            "calls_placed": 5,
            "calls_completed": 1,
            "calls_failed": 1,
            "answer_rate": 50.0,  # completed + refused of 4 finished
            "avg_duration_seconds": 40.0,  # (100 + 0 + 20) / 3
        },
        "twilio": {
            "calls_placed": 2,
            "calls_completed": 0,
            "calls_failed": 1,
            "answer_rate": 0.0,
            "avg_duration_seconds": None,
        },
    }


def test_platforms_lists_every_provider_even_unused():
    assert selectors.system_platforms() == {
        provider: {
            "calls_placed": 0,
            "calls_completed": 0,
            "calls_failed": 0,
            "answer_rate": 0.0,
            "avg_duration_seconds": None,
        }
        for provider in ("simulator", "twilio")
    }


# --- campaigns ----------------------------------------------------------------------------------


def test_campaigns_per_status_and_budget(django_assert_num_queries):
    ProviderConfig.objects.create(cost_per_minute=Decimal("0.0500"))
    for status in ["running", "running", "paused", "completed", "cancelled"]:
        CampaignFactory(status=status)
    # Billed per started minute of talk: 0 s → 0, 60 s → 1, 61 s → 2, 125 s → 3 minutes.
    # (Each attempt's contact brings a draft campaign of its own.)
    for talk in (0, 60, 61, 125):
        finished_attempt(CallOutcome.COMPLETED, talk=talk, run=talk + 5)
    finished_attempt(CallOutcome.NO_ANSWER)  # never answered: not billed
    CallAttemptFactory(answered_at=timezone.now())  # still talking: not billed yet

    # one statement: campaigns, billed minutes (of the buckets), cost per minute
    with django_assert_num_queries(1):
        campaigns = selectors.system_campaigns()

    assert campaigns == {
        "total_campaigns": 11,
        "by_status": {
            "draft": 6,
            "scheduled": 0,
            "running": 2,
            "paused": 1,
            "completed": 1,
            "cancelled": 1,
        },
        "billed_minutes": 6,
        "total_budget_spent": 0.3,
        "currency": "EUR",
    }


def test_budget_is_zero_without_calls_or_config():
    assert selectors.system_campaigns()["total_budget_spent"] == 0.0


# --- the page's chart ---------------------------------------------------------------------------


def test_system_calls_per_hour(django_assert_num_queries):
    now = dt.datetime(2026, 5, 10, 12, 30, tzinfo=dt.UTC)
    for started, outcome in [
        ("09:59:59", CallOutcome.BUSY),  # before the first hour
        ("10:00:00", CallOutcome.COMPLETED),
        ("10:59:59", CallOutcome.NO_ANSWER),
        ("12:29:00", None),  # in flight
    ]:
        hour, minute, second = map(int, started.split(":"))
        at = now.replace(hour=hour, minute=minute, second=second)
        CallAttemptFactory(outcome=outcome, started_at=at, ended_at=at if outcome else None)
    SchedulerRunFactory(started_at=now, calls_placed=50)  # the runs do not count: attempts do

    with django_assert_num_queries(2):  # closed attempts per hour (buckets), in flight per hour
        series = selectors.system_calls_per_hour(hours=3, now=now)

    assert series == [
        {"hour": now.replace(hour=10, minute=0), "calls_placed": 2},
        {"hour": now.replace(hour=11, minute=0), "calls_placed": 0},
        {"hour": now.replace(hour=12, minute=0), "calls_placed": 1},
    ]

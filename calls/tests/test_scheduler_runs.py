"""Scheduler runs' liveness (calls/scheduler_runs.py): a tick that stopped beating is marked
died, and what it claimed and never dialled is given back, within reconciliation's minute.
(A real process killed mid-dial: test_scheduler_faults.py.)"""

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import CallAttempt, SchedulerRun
from calls.scheduler_runs import STALE_AFTER, scheduler_runs_reconcile
from calls.services import call_attempts_reconcile
from calls.tests.factories import CallAttemptFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def run(status="running", beat_ago=0):
    return SchedulerRun.objects.create(
        started_at=NOW - dt.timedelta(seconds=beat_ago + 5),
        status=status,
        heartbeat_at=NOW - dt.timedelta(seconds=beat_ago),
    )


def claimed(run, *, dialled=False, started_ago=dt.timedelta(seconds=30)):
    """An attempt `run` claimed (the contact in progress, one attempt used), dialled or not."""
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(
        contact=contact,
        scheduler_run=run,
        started_at=NOW - started_ago,
        dialled_at=NOW - started_ago if dialled else None,
    )


def test_a_run_that_stopped_beating_dies_and_what_it_never_dialled_goes_back():
    dead = run(beat_ago=STALE_AFTER.total_seconds() + 1)
    undialled = [claimed(dead) for _ in range(2)]
    dialled = claimed(dead, dialled=True)

    assert scheduler_runs_reconcile(now=NOW) == 2
    dead.refresh_from_db()
    assert dead.status == "died"
    for attempt in undialled:
        attempt.refresh_from_db()
        attempt.contact.refresh_from_db()
        assert (attempt.outcome, attempt.error_code, attempt.ended_at) == (
            "failed",
            "never_dialled",
            NOW,
        )
        # No attempt used: pending again, dialable at once.
        assert (attempt.contact.state, attempt.contact.attempts_count) == (ContactState.PENDING, 0)
        assert attempt.contact.next_attempt_at is None
    dialled.refresh_from_db()
    assert dialled.outcome is None  # placed: the provider ends it (or the timeout does)
    assert scheduler_runs_reconcile(now=NOW) == 0  # nothing twice


def test_a_live_runs_claims_are_left_to_it():
    """A slow live tick (one dial a second over a minute) beats while it waits: its next
    dials stay claimed however old the claim."""
    live = run(beat_ago=STALE_AFTER.total_seconds() - 1)
    attempt = claimed(live, started_ago=dt.timedelta(minutes=10))
    assert call_attempts_reconcile(now=NOW) == 0
    live.refresh_from_db()
    attempt.refresh_from_db()
    assert (live.status, attempt.outcome) == ("running", None)


@pytest.mark.parametrize("status", ["failed", "finished"])
def test_a_run_that_ended_gives_back_at_once_what_it_did_not_dial(status):
    ended = run(status=status)
    attempt = claimed(ended)
    assert scheduler_runs_reconcile(now=NOW) == 1
    attempt.refresh_from_db()
    assert attempt.error_code == "never_dialled"
    ended.refresh_from_db()
    assert ended.status == status


def test_runs_recorded_otherwise_are_not_taken_for_dead():
    # Demo data and runs from before runs had a status: finished records, no heartbeat.
    SchedulerRun.objects.create(started_at=NOW - dt.timedelta(days=1))
    assert scheduler_runs_reconcile(now=NOW) == 0
    assert SchedulerRun.objects.get().status == "finished"


def test_the_timeout_counts_from_the_dial():
    """The simulator's calls time out after 3 minutes: of the dial, not of the claim (a paced
    tick may dial a minute after it claimed)."""
    ended = run(status="finished")
    dialled_late = claimed(ended, dialled=True, started_ago=dt.timedelta(minutes=5))
    CallAttempt.objects.filter(pk=dialled_late.pk).update(dialled_at=NOW - dt.timedelta(minutes=1))
    timed_out = claimed(ended, dialled=True, started_ago=dt.timedelta(minutes=4))
    # Attempts made otherwise (no run, before dialled_at existed) time out from their start.
    legacy = CallAttemptFactory(
        contact=ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1),
        started_at=NOW - dt.timedelta(minutes=4),
    )
    assert call_attempts_reconcile(now=NOW) == 2
    for attempt, code in ((dialled_late, None), (timed_out, "timeout"), (legacy, "timeout")):
        attempt.refresh_from_db()
        assert (attempt.error_code or None) == code

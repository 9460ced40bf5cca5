"""manage.py run_scheduler --once: one tick (and reconciliation), with a summary line."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from calls.models import CallAttempt, SchedulerRun
from calls.tests.factories import CallAttemptFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_one_tick(capsys, provider_config, open_campaign, django_capture_on_commit_callbacks):
    # The simulator rejects a share of numbers at dial time, by a seed that includes the
    # contact's random id: with no failures, this one call is always placed.
    provider_config.sim_failure_rate = 0
    provider_config.save()
    ContactFactory(campaign=open_campaign)
    stale = CallAttemptFactory(
        contact=ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1),
        started_at=timezone.now() - dt.timedelta(hours=1),
    )
    with django_capture_on_commit_callbacks(execute=True):
        call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    assert "1 calls placed" in out
    assert "1 stale calls closed" in out
    run = SchedulerRun.objects.get()
    assert (run.campaigns_seen, run.calls_placed) == (1, 1)
    stale.refresh_from_db()
    assert stale.error_code == "timeout"
    # The simulated call ran to its end through the django-q tasks (sync in tests).
    assert CallAttempt.objects.filter(campaign=open_campaign, outcome__isnull=False).count() == 1


def test_a_paused_provider_is_reported(capsys, provider_config, open_campaign):
    provider_config.dialling_paused_until = timezone.now() + dt.timedelta(minutes=5)
    provider_config.save()
    ContactFactory(campaign=open_campaign)
    call_command("run_scheduler", "--once")
    assert "dialling paused until" in capsys.readouterr().out
    assert not CallAttempt.objects.exists()


def test_the_loop_goes_on_after_a_failed_tick(monkeypatch, caplog):
    """Without --once, a tick that fails (its database session terminated, a restart) is
    logged and the loop goes on, with the failed connection dropped before the next tick.
    (With a real process and real terminated sessions: test_scheduler_faults.py.)"""
    from django.db import OperationalError

    from calls.management.commands import run_scheduler

    ticks, closes = [], []

    def tick(self, verbosity):
        ticks.append(len(closes))
        if len(ticks) == 1:
            raise OperationalError("terminating connection due to administrator command")
        if len(ticks) == 3:
            raise KeyboardInterrupt  # the operator stops it

    monkeypatch.setattr(run_scheduler.Command, "tick", tick)
    monkeypatch.setattr(run_scheduler, "close_old_connections", lambda: closes.append(1))
    monkeypatch.setattr(run_scheduler.time, "sleep", lambda seconds: None)
    with pytest.raises(KeyboardInterrupt):
        call_command("run_scheduler")
    assert ticks == [0, 1, 2]  # each tick after the connections were checked
    assert "scheduler tick failed" in caplog.text
    assert "terminating connection" in caplog.text


def test_once_says_why_each_running_campaign_dials_or_not(capsys, provider_config):
    from campaigns.tests.factories import CampaignFactory

    # A campaign that calls tomorrow only: closed now, whatever the hour.
    today = timezone.now().astimezone(dt.UTC).isoweekday()
    closed = CampaignFactory(
        name="Closed today",
        status="running",
        timezone="UTC",
        call_days=[today % 7 + 1],  # tomorrow only
    )
    ContactFactory(campaign=closed, timezone="UTC")
    call_command("run_scheduler", "--once")
    out = capsys.readouterr().out
    line = next(line for line in out.splitlines() if "Closed today" in line)
    assert f"({closed.pk}): Outside calling hours for all 1 contact left to dial" in line
    assert "next window" in line
    assert line.rstrip().endswith("UTC.")

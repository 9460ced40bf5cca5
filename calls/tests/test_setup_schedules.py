"""manage.py setup_schedules: the periodic tasks, created once, idempotently."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone
from django_q.models import Schedule

pytestmark = pytest.mark.django_db

EXPECTED = {
    "calls: scheduler tick": "calls.tasks.scheduler_tick_task",
    "calls: reconcile stale calls": "calls.tasks.call_attempts_reconcile_task",
    "calls: send follow-up emails": "calls.tasks.notifications_drain_task",
    "exports: reap stale export jobs": "exports.tasks.export_reap_stale_task",
    "calls: purge old transcripts": "calls.tasks.call_transcripts_purge_task",
    "exports: delete expired export files": "exports.tasks.export_expire_old_task",
    "integrations: deliver webhooks": "integrations.tasks.webhooks_drain_task",
}


def test_creates_the_schedules(capsys):
    call_command("setup_schedules")
    schedules = {s.name: s for s in Schedule.objects.all()}
    assert {name: s.func for name, s in schedules.items()} == EXPECTED
    assert {name: (s.schedule_type, s.minutes, s.repeats) for name, s in schedules.items()} == {
        "calls: scheduler tick": (Schedule.MINUTES, 1, -1),
        "calls: reconcile stale calls": (Schedule.MINUTES, 1, -1),
        "calls: send follow-up emails": (Schedule.MINUTES, 1, -1),
        "exports: reap stale export jobs": (Schedule.MINUTES, 1, -1),
        "calls: purge old transcripts": (Schedule.MINUTES, 60, -1),
        "exports: delete expired export files": (Schedule.MINUTES, 60, -1),
        "integrations: deliver webhooks": (Schedule.MINUTES, 1, -1),
    }
    assert capsys.readouterr().out.count("created: ") == 7


def test_running_it_again_changes_nothing_and_keeps_the_next_run(capsys):
    call_command("setup_schedules")
    later = timezone.now() + dt.timedelta(minutes=7)
    Schedule.objects.filter(name="calls: scheduler tick").update(next_run=later)
    call_command("setup_schedules")
    assert Schedule.objects.count() == 7
    assert Schedule.objects.get(name="calls: scheduler tick").next_run == later
    assert capsys.readouterr().out.count("up to date: ") == 7


def test_a_schedule_edited_by_hand_is_put_back(settings):
    call_command("setup_schedules")
    Schedule.objects.filter(name="calls: scheduler tick").update(func="somewhere.else", minutes=9)
    settings.SCHEDULER_TICK_SECONDS = 120
    call_command("setup_schedules", verbosity=0)
    tick = Schedule.objects.get(name="calls: scheduler tick")
    assert (tick.func, tick.minutes) == ("calls.tasks.scheduler_tick_task", 2)

"""The django-q entry points the schedules name: each runs its service."""

import datetime as dt

import pytest
from django.utils import timezone

from calls import tasks
from calls.models import SchedulerRun
from calls.tests.factories import CallAttemptFactory, SurveyEventFactory

pytestmark = pytest.mark.django_db


def test_the_scheduled_tasks_run_their_services():
    assert tasks.scheduler_tick_task()["calls_placed"] == 0
    assert SchedulerRun.objects.count() == 1
    assert tasks.call_attempts_reconcile_task() == 0
    SurveyEventFactory()
    assert tasks.notifications_drain_task() == {"events": 1, "sent": 0, "failed": 0}


def test_the_retention_task_purges_old_transcripts():
    old = timezone.now() - dt.timedelta(days=400)
    attempt = CallAttemptFactory(
        outcome="refused", started_at=old, ended_at=old, transcript="consent: no"
    )
    assert tasks.call_transcripts_purge_task() == 1
    attempt.refresh_from_db()
    assert attempt.transcript == ""

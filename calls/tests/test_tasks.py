"""The django-q entry points the schedules name: each runs its service."""

import pytest

from calls import tasks
from calls.models import SchedulerRun
from calls.tests.factories import SurveyEventFactory

pytestmark = pytest.mark.django_db


def test_the_scheduled_tasks_run_their_services():
    assert tasks.scheduler_tick_task()["calls_placed"] == 0
    assert SchedulerRun.objects.count() == 1
    assert tasks.call_attempts_reconcile_task() == 0
    SurveyEventFactory()
    assert tasks.notifications_drain_task() == {"events": 1, "sent": 0, "failed": 0}

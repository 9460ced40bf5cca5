"""Only the product's own tasks run on the task cluster (voicesurvey/task_policy.py). Found by a
security review: the stock django-q2 admin let staff schedule `subprocess.getoutput("id")`,
which ran as root on a worker."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone
from django_q.models import Failure, Schedule
from django_q.scheduler import scheduler
from django_q.tasks import async_task

from voicesurvey import checks
from voicesurvey.models import AuditLog
from voicesurvey.task_policy import PERIODIC_TASKS, TaskRefused, task_allowed

pytestmark = pytest.mark.django_db


@pytest.fixture
def marker(tmp_path):
    """A file the attack would create: its absence shows the command never ran."""
    return tmp_path / "pwned"


def test_the_product_tasks_are_allowed_and_nothing_else():
    assert all(task_allowed(func) for _, func, _ in PERIODIC_TASKS)
    assert task_allowed("exports.tasks.export_generate_task")
    assert not task_allowed("subprocess.getoutput")
    assert not task_allowed("os.system")
    assert not task_allowed("calls.services.call_attempts_reconcile")  # ours, but not a task


def test_a_queued_foreign_task_is_refused_not_run(marker):
    with pytest.raises(TaskRefused, match="'subprocess.getoutput' is not one of"):
        async_task("subprocess.getoutput", f"touch {marker}")  # Q_SYNC: runs in this process
    assert not marker.exists()


def test_the_cluster_scheduler_refuses_a_foreign_schedule(marker):
    Schedule.objects.create(
        name="attack",
        func="subprocess.getoutput",
        args=repr(f"touch {marker}"),
        schedule_type=Schedule.MINUTES,
        minutes=1,
        next_run=timezone.now() - dt.timedelta(minutes=1),
    )
    scheduler()  # what the cluster runs every 30 s
    assert not marker.exists()


def test_the_product_schedules_still_run():
    call_command("setup_schedules", verbosity=0)
    Schedule.objects.update(next_run=timezone.now() - dt.timedelta(minutes=1))
    scheduler()
    assert Failure.objects.count() == 0
    assert all(s.task for s in Schedule.objects.all())  # each made its task


def test_a_foreign_schedule_is_a_system_check_error():
    call_command("setup_schedules", verbosity=0)
    assert checks.check_foreign_schedules(None, databases=["default"]) == []
    Schedule.objects.create(name="attack", func="os.system", args="'id'")
    (error,) = checks.check_foreign_schedules(None, databases=["default"])
    assert error.id == "voicesurvey.E010"
    assert "'os.system'" in error.msg


# --- the admin ---------------------------------------------------------------------------------


def test_schedules_cannot_be_added_or_edited_in_the_admin(client, admin_user):
    call_command("setup_schedules", verbosity=0)
    client.force_login(admin_user)
    add = reverse("admin:django_q_schedule_add")
    assert client.get(add).status_code == 403
    response = client.post(
        add, {"name": "x", "func": "subprocess.getoutput", "args": "'id'", "schedule_type": "O"}
    )
    assert response.status_code == 403
    schedule = Schedule.objects.first()
    change = reverse("admin:django_q_schedule_change", args=[schedule.pk])
    assert client.get(change).status_code == 200  # to look at
    client.post(change, {"name": schedule.name, "func": "os.system", "schedule_type": "O"})
    schedule.refresh_from_db()
    assert schedule.func != "os.system"
    assert not Schedule.objects.filter(func="subprocess.getoutput").exists()


def test_disable_enable_and_run_now(client, admin_user, django_capture_on_commit_callbacks):
    call_command("setup_schedules", verbosity=0)
    client.force_login(admin_user)
    changelist = reverse("admin:django_q_schedule_changelist")
    purge = Schedule.objects.get(func="calls.tasks.call_transcripts_purge_task")

    client.post(changelist, {"action": "schedules_disable", "_selected_action": [purge.pk]})
    purge.refresh_from_db()
    assert purge.repeats == 0
    client.post(changelist, {"action": "schedules_enable", "_selected_action": [purge.pk]})
    purge.refresh_from_db()
    assert purge.repeats == -1
    response = client.post(
        changelist, {"action": "schedules_run_now", "_selected_action": [purge.pk]}, follow=True
    )
    assert "Queued" in response.content.decode()
    actions = list(
        AuditLog.objects.filter(object_id=str(purge.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["schedule.disable", "schedule.enable", "schedule.run_now"]


def test_run_now_refuses_a_foreign_schedule(client, admin_user, marker):
    attack = Schedule.objects.create(name="attack", func="subprocess.getoutput", args="'id'")
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:django_q_schedule_changelist"),
        {"action": "schedules_run_now", "_selected_action": [attack.pk]},
        follow=True,
    )
    assert "not one of the product&#x27;s tasks" in response.content.decode()
    assert not AuditLog.objects.filter(action="schedule.run_now").exists()


@pytest.mark.parametrize("model", ["success", "failure", "schedule"])
def test_no_task_page_offers_to_resubmit_or_delete(client, admin_user, model):
    client.force_login(admin_user)
    html = client.get(reverse(f"admin:django_q_{model}_changelist")).content.decode()
    assert "resubmit_task" not in html
    assert "delete_selected" not in html

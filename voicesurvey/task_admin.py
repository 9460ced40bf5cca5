"""The task cluster's pages in the admin, reined in (voicesurvey/task_policy.py says why):

- *Scheduled tasks*: read-only. The product's schedules (`setup_schedules`) can be enabled,
  disabled or run now; none can be added, edited or deleted here.
- *Successful tasks*, *Failed tasks*, *Queued tasks*: read-only, and without django-q2's
  "resubmit" action — no page of the admin creates a task from what a person typed or picked.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django_q import admin as q_admin
from django_q.models import Failure, OrmQ, Schedule, Success
from django_q.tasks import async_task

from voicesurvey.services import audit_log_record
from voicesurvey.task_policy import task_allowed


def _audit(request: HttpRequest, action: str, schedule: Schedule) -> None:
    audit_log_record(
        actor=request.user,
        action=action,
        obj=schedule,
        details={"name": schedule.name, "func": schedule.func},
    )


@admin.action(description="Enable the selected schedules")
def schedules_enable(modeladmin, request, queryset: QuerySet[Schedule]) -> None:
    for schedule in queryset:
        if not task_allowed(schedule.func):
            modeladmin.message_user(
                request, f"{schedule.name}: not one of the product's tasks.", messages.ERROR
            )
            continue
        schedule.repeats = -1  # for ever
        schedule.next_run = max(schedule.next_run or timezone.now(), timezone.now())
        schedule.save(update_fields=["repeats", "next_run"])
        _audit(request, "schedule.enable", schedule)
    modeladmin.message_user(request, "Enabled.")


@admin.action(description="Disable the selected schedules")
def schedules_disable(modeladmin, request, queryset: QuerySet[Schedule]) -> None:
    for schedule in queryset:
        schedule.repeats = 0  # the cluster skips schedules with no repeats left
        schedule.save(update_fields=["repeats"])
        _audit(request, "schedule.disable", schedule)
    modeladmin.message_user(request, "Disabled: the cluster will not run them until enabled.")


@admin.action(description="Run the selected schedules now")
def schedules_run_now(modeladmin, request, queryset: QuerySet[Schedule]) -> None:
    for schedule in queryset:
        if not task_allowed(schedule.func):
            modeladmin.message_user(
                request, f"{schedule.name}: not one of the product's tasks.", messages.ERROR
            )
            continue
        async_task(schedule.func, group=schedule.name or str(schedule.pk))
        _audit(request, "schedule.run_now", schedule)
    modeladmin.message_user(request, "Queued: the task cluster runs them in a moment.")


class _ReadOnly:
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ScheduleAdmin(_ReadOnly, q_admin.ScheduleAdmin):
    actions = [schedules_enable, schedules_disable, schedules_run_now]


class SuccessAdmin(_ReadOnly, q_admin.TaskAdmin):
    actions: list = []


class FailureAdmin(_ReadOnly, q_admin.FailAdmin):
    actions: list = []


class QueueAdmin(_ReadOnly, q_admin.QueueAdmin):
    actions: list = []


# django-q2 registers its own pages first (it comes first in INSTALLED_APPS); these replace
# them. Its queue page exists with the database broker only.
for model, model_admin in (
    (Schedule, ScheduleAdmin),
    (Success, SuccessAdmin),
    (Failure, FailureAdmin),
    (OrmQ, QueueAdmin),
):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
        admin.site.register(model, model_admin)

"""Which functions the task cluster may run: the product's own tasks, and nothing else.

django-q2 runs whatever dotted function a task names, and its stock admin lets staff schedule
any function with any arguments — code execution on the workers for anyone with an admin
login. So the product owns its schedules (`PERIODIC_TASKS`, created by `setup_schedules`),
the schedule admin can only enable, disable and run those (voicesurvey/task_admin.py), and
every task on its way to the broker is checked against `ALLOWED_TASKS` (`task_screen`, on
django-q2's pre_enqueue signal — the library's only hook before a task is queued, including
the ones its scheduler makes from Schedule rows): a task naming anything else is turned into
`task_refused`, which records the refusal as the task's failure instead of running it. A
system check (voicesurvey.E010) reports schedules outside the list.

Task names are strings here, not imports: the core sits below the apps whose tasks it lists.
"""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)

# The product's periodic work: (schedule name, task, minutes; None = the scheduler's tick).
PERIODIC_TASKS: tuple[tuple[str, str, int | None], ...] = (
    ("calls: scheduler tick", "calls.tasks.scheduler_tick_task", None),
    ("calls: reconcile stale calls", "calls.tasks.call_attempts_reconcile_task", 1),
    ("calls: send follow-up emails", "calls.tasks.notifications_drain_task", 1),
    ("exports: reap stale export jobs", "exports.tasks.export_reap_stale_task", 1),
    ("calls: purge old transcripts", "calls.tasks.call_transcripts_purge_task", 60),
    ("exports: delete expired export files", "exports.tasks.export_expire_old_task", 60),
    ("integrations: deliver webhooks", "integrations.tasks.webhooks_drain_task", 1),
)

# Work queued by the product itself, one task per job.
QUEUED_TASKS = frozenset(
    {
        "exports.tasks.export_generate_task",
        "calls.tasks.simulator_callee_step",
    }
)

ALLOWED_TASKS = frozenset(func for _, func, _ in PERIODIC_TASKS) | QUEUED_TASKS
REFUSED_TASK = "voicesurvey.task_policy.task_refused"


def task_name(func: Any) -> str:
    """A task's function as a dotted name, whether the task holds a string or the function."""
    if isinstance(func, str):
        return func
    module, qualname = getattr(func, "__module__", ""), getattr(func, "__qualname__", "")
    return f"{module}.{qualname}" if module and qualname else repr(func)


def task_allowed(func: Any) -> bool:
    return task_name(func) in ALLOWED_TASKS | {REFUSED_TASK}


def task_screen(sender: Any, task: dict, **kwargs: Any) -> None:
    """django-q2's pre_enqueue receiver: a task outside the allow-list is replaced, before it
    is signed and queued, by `task_refused` naming it (its arguments are dropped unread)."""
    if task_allowed(task.get("func")):
        return
    refused = task_name(task.get("func"))[:200]
    logger.error("refused to queue task %r: not one of the product's tasks", refused)
    task["func"] = REFUSED_TASK
    task["args"] = (refused,)
    task["kwargs"] = {}


class TaskRefused(Exception):
    """A task named a function outside the product's allow-list."""


def task_refused(func_name: str) -> None:
    """What runs instead of a refused task: nothing, recorded as the task's failure."""
    raise TaskRefused(
        f"{func_name!r} is not one of the product's tasks: refused, not run "
        "(voicesurvey/task_policy.py)."
    )

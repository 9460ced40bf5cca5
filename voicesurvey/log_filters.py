"""Logging filters that keep the console readable (settings.LOGGING): a refused request is
one line, and the task cluster's per-task chatter is debug-level."""

from __future__ import annotations

import logging

from django.core.exceptions import PermissionDenied

# django-q2's INFO lines about each task ("Process-… processing 'calls.tasks…'", "Processed
# …", "Enqueued …", "Process-… created task … from schedule [calls: scheduler tick]"): one per
# task, thousands an hour on a busy cluster. Matched in lower case.
_TASK_CHATTER = ("processing", "processed", "enqueued", "queued", "scheduled task", "created task")


class PermissionDeniedOneLine(logging.Filter):
    """Django logs a 403 as "Forbidden (Permission denied): /path" with the PermissionDenied's
    traceback, which says nothing a 403 does not (the audit log records who and what). Keep the
    line, drop the traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], PermissionDenied):
            record.exc_info = None
            record.exc_text = None
        return True


class TaskChatterToDebug(logging.Filter):
    """django-q2's per-task INFO lines, demoted to DEBUG (shown with LOG_LEVEL=DEBUG only);
    its start, stop and error lines stay as they are."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.levelno == logging.INFO and any(
            word in record.getMessage().lower() for word in _TASK_CHATTER
        ):
            record.levelno, record.levelname = logging.DEBUG, "DEBUG"
            return logging.getLogger().isEnabledFor(logging.DEBUG)
        return True

"""Console logging: a refused page is one line; django-q2's per-task lines are debug-level."""

from __future__ import annotations

import logging

import pytest

from voicesurvey.log_filters import PermissionDeniedOneLine, TaskChatterToDebug


@pytest.mark.django_db
def test_a_403_is_logged_as_one_line_without_a_traceback(client, viewer_user, caplog):
    client.force_login(viewer_user)
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = client.get("/campaigns/new")
    assert response.status_code == 403
    records = [r for r in caplog.records if r.name == "django.request"]
    assert len(records) == 1
    assert records[0].getMessage() == "Forbidden (Permission denied): /campaigns/new"
    assert records[0].exc_info is None


def _record(name: str, level: int, message: str, exc_info=None) -> logging.LogRecord:
    return logging.LogRecord(name, level, __file__, 1, message, None, exc_info)


def test_other_errors_keep_their_traceback():
    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = _record("django.request", logging.ERROR, "Internal Server Error", sys.exc_info())
    assert PermissionDeniedOneLine().filter(record)
    assert record.exc_info is not None


@pytest.mark.parametrize(
    "message",
    [
        "Process-1 processing panda-seven 'calls.tasks.scheduler_tick_task'",
        "Processed 'calls.tasks.scheduler_tick_task' (panda-seven)",
        "Enqueued [voicesurvey] 42",
        "Process-9fb3 created task river-oranges-maine from schedule [calls: scheduler tick]",
    ],
)
def test_task_chatter_is_demoted_to_debug_and_hidden_at_info(message):
    record = _record("django-q", logging.INFO, message)
    assert TaskChatterToDebug().filter(record) is False  # root at INFO in tests
    assert record.levelno == logging.DEBUG


@pytest.mark.parametrize(
    ("level", "message"),
    [
        (logging.INFO, "Q Cluster panda-seven [voicesurvey] running."),
        (logging.ERROR, "Failed to pull task from broker"),
    ],
)
def test_the_cluster_life_and_errors_stay(level, message):
    record = _record("django-q", level, message)
    assert TaskChatterToDebug().filter(record) is True
    assert record.levelno == level


def test_the_filters_are_installed_on_their_loggers():
    from django.conf import settings

    loggers = settings.LOGGING["loggers"]
    assert loggers["django.request"]["filters"] == ["permission_denied_one_line"]
    assert loggers["django-q"]["filters"] == ["task_chatter_to_debug"]

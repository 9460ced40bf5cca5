"""One trace id across processes (voicesurvey/tracing.py): the helpers, the JSON log fields, and
a task package's trip from the process that queues it to the worker that runs it."""

from __future__ import annotations

import contextvars
import logging
from multiprocessing import Queue, Value

import pytest
from django_q.signing import SignedPackage
from django_q.tasks import async_task
from django_q.worker import worker

from voicesurvey.tracing import (
    TRACE_HEADER,
    current_trace_id,
    trace_context,
    trace_headers,
    traced,
)

logger = logging.getLogger("voicesurvey.tests.tracing")


# --- The helpers ----------------------------------------------------------------------------------


def test_a_trace_is_the_one_given_else_the_current_else_a_new_one():
    assert current_trace_id() == ""
    with trace_context("outer-1") as outer:
        assert outer == current_trace_id() == "outer-1"
        with trace_context() as inner:
            assert inner == "outer-1"  # continues the current trace
        with trace_context("inner-2"):
            assert current_trace_id() == "inner-2"
        assert current_trace_id() == "outer-1"  # back after the block
    with trace_context() as fresh, trace_context() as same:
        assert len(fresh) == 32
        assert same == fresh
    assert current_trace_id() == ""


@pytest.mark.parametrize(
    "unusable", ["", "has space", "new\nline", "trailing\n", 'quote"d', "x" * 65, None, 42]
)
def test_an_unusable_id_from_outside_is_not_taken(unusable):
    with trace_context("current") as chosen, trace_context(unusable) as inner:
        assert inner == chosen == "current"
    with trace_context(unusable) as chosen:
        assert len(chosen) == 32  # a new one
        assert chosen.isalnum()


def test_trace_headers_carry_the_given_or_the_current_trace():
    assert trace_headers() == {}
    assert trace_headers("call-trace") == {TRACE_HEADER: "call-trace"}
    with trace_context("current"):
        assert trace_headers() == {"X-Trace-ID": "current"}
        assert trace_headers("call-trace") == {"X-Trace-ID": "call-trace"}
        assert trace_headers("bad id") == {"X-Trace-ID": "current"}


def test_traced_work_starts_a_trace_when_none_is_current():
    @traced
    def work():
        return current_trace_id()

    first, second = work(), work()
    assert len(first) == len(second) == 32
    assert first != second  # one per run
    with trace_context("the-task"):
        assert work() == "the-task"  # a run inside a trace continues it
    assert current_trace_id() == ""


# --- Log lines ------------------------------------------------------------------------------------


def test_json_log_lines_carry_the_trace_id(json_logs):
    logger.info("outside any trace")
    with trace_context("tick-7f3a"):
        logger.info("inside the tick, calling %s", "+393471234567")
    outside, inside = json_logs()
    assert (outside["trace_id"], outside["request_id"]) == ("-", "-")
    assert inside == {
        "time": inside["time"],
        "level": "INFO",
        "logger": "voicesurvey.tests.tracing",
        "message": "inside the tick, calling [phone]",
        "trace_id": "tick-7f3a",
        "request_id": "-",
    }


@pytest.mark.django_db
def test_a_request_runs_under_its_request_id(client, json_logs):
    # A webhook with a bad signature is refused with a warning: a log line of the request.
    response = client.post(
        "/webhooks/telephony/simulator/00000000-0000-0000-0000-000000000001/status",
        data=b"{}",
        content_type="application/json",
        headers={"X-Request-ID": "req-5150"},
    )
    assert response.status_code == 403
    assert response["X-Request-ID"] == "req-5150"
    [refused] = [line for line in json_logs() if "signature refused" in line["message"]]
    assert (refused["trace_id"], refused["request_id"]) == ("req-5150", "req-5150")
    assert current_trace_id() == ""  # nothing left behind by the request


# --- Tasks: from the queue to the worker ----------------------------------------------------------

_TASK = "calls.tasks.call_attempts_reconcile_task"


class _Collector:
    """Stands in for the broker: keeps the signed packages `async_task` hands over."""

    list_key = "test"

    def __init__(self):
        self.packages: list[str] = []

    def enqueue(self, package: str) -> None:
        self.packages.append(package)


def _queue(**options) -> str:
    broker = _Collector()
    async_task(_TASK, broker=broker, sync=False, **options)
    [package] = broker.packages
    return package


def _run_in_worker(package: str) -> dict:
    """Run a package through django-q2's worker loop, as a cluster's worker process does: in a
    fresh context (another process has no trace of ours). `sync` keeps the worker off this
    test's database connection and lets a failure raise here."""

    def work() -> dict:
        task = SignedPackage.loads(package)
        task["sync"] = True
        tasks, results = Queue(), Queue()
        tasks.put(task)
        tasks.put("STOP")
        worker(tasks, results, Value("f", -1))
        assert current_trace_id() == ""  # the worker is back to no trace after the task
        return results.get(timeout=5)

    return contextvars.Context().run(work)


@pytest.fixture
def seen(monkeypatch):
    """What the task function saw: the trace it ran under, for each run."""
    traces: list[str] = []

    def reconcile() -> int:
        traces.append(current_trace_id())
        logger.info("reconciling")
        return 0

    monkeypatch.setattr("calls.tasks.call_attempts_reconcile", reconcile)
    return traces


def test_a_task_runs_under_the_trace_it_was_queued_in(seen, json_logs):
    with trace_context("request-91c2"):
        package = _queue()
    assert SignedPackage.loads(package)["trace_id"] == "request-91c2"

    result = _run_in_worker(package)

    assert result["success"] is True
    assert seen == ["request-91c2"]
    [line] = [line for line in json_logs() if line["message"] == "reconciling"]
    assert line["trace_id"] == "request-91c2"


def test_a_task_queued_without_a_trace_starts_its_own(seen):
    # As the cluster's scheduler queues periodic work: outside any trace.
    first, second = _queue(), _queue()
    assert "trace_id" not in SignedPackage.loads(first)

    _run_in_worker(first), _run_in_worker(second)

    assert [len(trace) for trace in seen] == [32, 32]
    assert seen[0] != seen[1]  # a trace per run


def test_a_failing_task_leaves_no_trace_behind(monkeypatch):
    def reconcile() -> int:
        raise RuntimeError("the database went away")

    monkeypatch.setattr("calls.tasks.call_attempts_reconcile", reconcile)
    with trace_context("request-f00d"):
        package = _queue()

    def work() -> None:
        task = SignedPackage.loads(package)
        task["sync"] = True
        tasks = Queue()
        tasks.put(task)
        tasks.put("STOP")
        with pytest.raises(RuntimeError):
            worker(tasks, Queue(), Value("f", -1))
        assert current_trace_id() == ""

    contextvars.Context().run(work)


@pytest.mark.django_db
def test_in_sync_mode_a_task_runs_under_the_trace_of_its_caller(seen):
    # Q_SYNC (the tests' and `make run`'s inline mode): the task runs in the caller's thread,
    # under the caller's trace, and the caller's trace is intact after it.
    with trace_context("caller-5eed"):
        async_task(_TASK)
        assert current_trace_id() == "caller-5eed"
    assert seen == ["caller-5eed"]

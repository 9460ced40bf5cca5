"""One trace id across processes (docs/architecture.md §6.12, docs/operations.md "Logs").

A *trace id* names one piece of work wherever it runs: the web request that started it (its
`X-Request-ID`, or a new id), every task that request queues, the scheduler's tick and the
calls it places, the provider's webhooks for those calls, and the outbound webhook deliveries
they cause. Every JSON log line carries it (`trace_id`), so `grep <trace id>` over the logs of
every process follows the work; a call's trace id is on its page and in `GET /api/calls/{id}`.

How it travels:
- **Requests**: `RequestIdMiddleware` (voicesurvey/logging.py) starts the trace from
  X-Request-ID when it is sane, else a new id.
- **Tasks**: every task package gets the current trace id on its way to the broker
  (`task_trace_attach`, on django-q2's pre_enqueue signal — the one hook every enqueue passes,
  the product's own `async_task` calls as much as the tasks its scheduler makes from Schedule
  rows), and the worker runs the task under it (`task_trace_enter` / `task_trace_leave`, on
  pre_execute / post_execute_in_worker). A task queued by no trace (a periodic one) starts a
  new trace of its own: one per tick, per drain, per run.
- **Calls**: the scheduler stores the tick's trace id on each CallAttempt (`trace_id`) and puts
  it in the webhook URLs it gives the provider (`?trace=`); the webhook handler runs under the
  trace of the URL, so the call's webhooks log, and store their events, under the id of the
  tick that placed it.
- **Outbound HTTP**: `trace_headers()` gives the header to send (`X-Trace-ID`).

No database, no Django imports: the logging configuration loads this module.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import re
import uuid
from collections.abc import Callable, Iterator
from typing import Any

TRACE_HEADER = "X-Trace-ID"
# The query parameter of the webhook URLs given to a telephony provider.
TRACE_QUERY_PARAMETER = "trace"
# The key under which a task package carries its trace id (in django-q2's task dict, beside its
# "func" and "args": the task function's own arguments are left alone), and a stored provider
# event (CallEvent.payload) the trace it was handled under.
TRACE_KEY = "trace_id"

# An id from outside (a header, a URL) is taken only when it is this: no spaces, quotes or
# newlines, so it can neither break a log line nor a header. Longer ones are not truncated
# (two different ids must not become one): a new id is made instead.
_TRACE_ID_OK = re.compile(r"[A-Za-z0-9._-]{1,64}")

# "" when no trace is current (a process between pieces of work).
trace_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("trace_id", default="")


def new_trace_id() -> str:
    return uuid.uuid4().hex


def trace_id_clean(value: Any) -> str:
    """`value` when it is a usable trace id, else ""."""
    # fullmatch, not match with "$", which lets a trailing newline through.
    return value if isinstance(value, str) and _TRACE_ID_OK.fullmatch(value) else ""


def current_trace_id() -> str:
    """The trace id of the work under way, "" when none is."""
    return trace_id_var.get()


def trace_headers(trace_id: str = "") -> dict[str, str]:
    """The HTTP header that carries a trace to another system: `trace_id` when given (e.g. the
    trace id of the call an outbound event is about), else the current one; {} when there is
    none."""
    trace_id = trace_id_clean(trace_id) or current_trace_id()
    return {TRACE_HEADER: trace_id} if trace_id else {}


@contextlib.contextmanager
def trace_context(trace_id: str = "") -> Iterator[str]:
    """Run the block under `trace_id` when it is a usable id, else under the current trace,
    else under a new one; the trace before the block is back after it. Yields the id."""
    chosen = trace_id_clean(trace_id) or current_trace_id() or new_trace_id()
    token = trace_id_var.set(chosen)
    try:
        yield chosen
    finally:
        trace_id_var.reset(token)


def traced[**P, R](func: Callable[P, R]) -> Callable[P, R]:
    """Run each call of `func` under the current trace, or under a new one when none is
    current: for work that may start on its own (a scheduler tick run by a command's loop)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with trace_context():
            return func(*args, **kwargs)

    return wrapper


# --- django-q2's signals (connected in voicesurvey/apps.py) ------------------------------------

# The traces a worker entered, innermost last: with Q_SYNC (tests) a task queued by a task runs
# inside it, in the same thread, so their enter/leave pairs nest.
_task_tokens: list[contextvars.Token[str]] = []


def task_trace_attach(sender: Any, task: dict, **kwargs: Any) -> None:
    """pre_enqueue: the package carries the current trace id (none when nothing is traced)."""
    trace_id = current_trace_id()
    if trace_id and TRACE_KEY not in task:
        task[TRACE_KEY] = trace_id


def task_trace_enter(sender: Any, func: Any, task: dict, **kwargs: Any) -> None:
    """pre_execute (in the worker, just before the task function): run under the package's
    trace id, or under a new one for a task that came without (periodic work)."""
    trace_id = trace_id_clean(task.get(TRACE_KEY)) or new_trace_id()
    _task_tokens.append(trace_id_var.set(trace_id))


def task_trace_leave(sender: Any, func: Any, task: dict, **kwargs: Any) -> None:
    """post_execute_in_worker (after the task function, whether it returned or raised): back
    to the trace before it."""
    if _task_tokens:
        trace_id_var.reset(_task_tokens.pop())

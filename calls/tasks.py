"""django-q entry points: each takes ids or plain values and calls one service."""

from __future__ import annotations

from calls.callee import callee_step_live
from calls.scheduler import scheduler_tick
from calls.services import call_attempts_reconcile, call_transcripts_purge, notifications_drain


def scheduler_tick_task() -> dict:
    run = scheduler_tick()
    return {"run": run.pk, "calls_placed": run.calls_placed, "errors": run.errors}


def call_attempts_reconcile_task() -> int:
    return call_attempts_reconcile()


def notifications_drain_task() -> dict:
    summary = notifications_drain()
    return {"events": summary.events, "sent": summary.sent, "failed": summary.failed}


def call_transcripts_purge_task() -> int:
    return call_transcripts_purge()


def simulator_callee_step(step: dict) -> None:
    callee_step_live(step)

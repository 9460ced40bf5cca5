"""`manage.py simulate`: a running campaign run to its end on the simulator, on a simulated
clock (docs/architecture.md §6.2)."""

from __future__ import annotations

import dataclasses
import datetime as dt

from django.conf import settings
from django.utils import timezone
from django_q.models import Schedule

from calls.callee import callee_run_inline
from calls.candidates import campaign_next_dial_time
from calls.models import SchedulerRun
from calls.scheduler import scheduler_tick
from calls.services import call_attempts_reconcile, notifications_drain
from calls.telephony.simulator import SimulatorProvider
from campaigns.models import Campaign, CampaignStatus

# A scheduler that ticked this recently is taken to be running (a tick a minute, with room).
LIVE_TICK_WINDOW = dt.timedelta(minutes=10)


def database_live_reason(*, now: dt.datetime | None = None) -> str:
    """Why this database is live — served by a scheduler — or "" when it is not.

    A simulation's clock runs ahead of real time (it skips retry waits and closed hours), so
    what it records is dated up to days after now; in a database a scheduler serves, those
    future attempts, answers and emails would sit among real ones, in today's figures and
    tomorrow's (docs/calls-and-scheduler.md "Simulating a campaign"). Live means: the
    scheduler's periodic schedule exists (`setup_schedules`, which `make run` runs), or a
    scheduler tick started in the last LIVE_TICK_WINDOW (`run_scheduler`)."""
    now = now or timezone.now()
    if Schedule.objects.filter(func="calls.tasks.scheduler_tick_task").exists():
        return "the scheduler's periodic task is set up (setup_schedules, which make run runs)"
    if SchedulerRun.objects.filter(started_at__gte=now - LIVE_TICK_WINDOW, started_at__lte=now):
        return "a scheduler ticked in the last 10 minutes"
    return ""


@dataclasses.dataclass
class SimulationSummary:
    ticks: int = 0
    calls: int = 0
    stopped: str = ""  # why the run ended before the campaign did, if it did
    clock: dt.datetime | None = None  # the simulated clock at the end
    started: dt.datetime | None = None  # … and at the start (real time then)


def campaign_simulate(
    *, campaign: Campaign, on_tick=None, max_ticks: int = 100_000
) -> SimulationSummary:
    """Run a running campaign to its end on the simulator (`manage.py simulate`).

    Calls run inline on a simulated clock that starts now, moves one tick per tick and jumps
    ahead over waits (retry intervals, closed calling hours), so a campaign of days runs in
    seconds; what it records (attempts, events, answers, emails) is dated on that clock. Each
    tick is a real scheduler tick (limited to this campaign) and each call goes through the
    webhooks, the dialogue and the outcome rules; reconciliation and the email outbox run
    between ticks. `on_tick(run)` is told of every tick."""
    provider = SimulatorProvider(run_callee=callee_run_inline)
    tick = dt.timedelta(seconds=settings.SCHEDULER_TICK_SECONDS)
    clock = timezone.now()
    summary = SimulationSummary(started=clock)
    while summary.ticks < max_ticks:
        campaign.refresh_from_db()
        if campaign.status != CampaignStatus.RUNNING:
            break
        call_attempts_reconcile(now=clock)
        run = scheduler_tick(now=clock, provider=provider, campaign_ids=[campaign.pk])
        summary.ticks += 1
        summary.calls += run.calls_placed
        if on_tick:
            on_tick(run)
        notifications_drain(now=clock)
        campaign.refresh_from_db(fields=["status"])
        if campaign.status != CampaignStatus.RUNNING:
            break
        if "outage" in run.details or "paused_until" in run.details:
            summary.stopped = "The provider is unavailable (dialling is paused)."
            break
        if run.calls_placed:
            clock += tick
            continue
        next_time = campaign_next_dial_time(campaign, after=clock)
        if next_time is None and not campaign.attempts.filter(outcome__isnull=True).exists():
            summary.stopped = "Nothing left can be dialled (check the call days and window)."
            break
        clock = max(clock + tick, next_time or clock)
    else:
        summary.stopped = f"Stopped after {max_ticks} ticks."
    notifications_drain(now=clock)
    summary.clock = clock
    return summary

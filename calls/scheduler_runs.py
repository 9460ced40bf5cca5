"""Whether a scheduler tick is still alive, and what a dead one leaves behind
(docs/architecture.md §6.2).

A tick records itself as a running `SchedulerRun` and beats (`heartbeat_at`) at least every
HEARTBEAT_SECONDS while it dials. A run that has not beaten for STALE_AFTER is dead (killed,
its machine gone): reconciliation marks it died and gives back the attempts it claimed but
never handed to the provider (`dialled_at` null): closed as failed with `never_dialled`, no
attempt used, the contact pending again, as after a provider outage. The same happens to the
undialled attempts of a run that ended by raising (the database went away mid-dial).

Safe whatever the timing: a tick marks an attempt dialled in a conditional UPDATE (`outcome IS
NULL`) before it calls the provider, and the give-back takes an attempt under its row lock only
while it has no `dialled_at`: whichever commits first wins, the other leaves the attempt alone.
A tick wrongly taken for dead (stalled longer than STALE_AFTER) loses the dials it had left;
it never dials a contact twice. What a crash can still cost is the one call being handed to the
provider at that instant: marked, maybe never placed, closed by the timeout as ever.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from calls import outcomes
from calls.models import CallAttempt, CallOutcome, SchedulerRun, SchedulerRunStatus

logger = logging.getLogger(__name__)

# A live tick beats this often, including while it waits for a dial slot.
HEARTBEAT_SECONDS = 5.0
# Four beats missed: dead. (Long enough for a stalled database or a busy machine; a tick
# wrongly taken for dead loses only its remaining dials, see above.)
STALE_AFTER = dt.timedelta(seconds=20)


def scheduler_run_start(*, started_at: dt.datetime) -> SchedulerRun:
    """The run of a tick that starts now (`started_at` is the tick's own clock)."""
    return SchedulerRun.objects.create(
        started_at=started_at, status=SchedulerRunStatus.RUNNING, heartbeat_at=timezone.now()
    )


def scheduler_run_beat(*, run: SchedulerRun) -> None:
    SchedulerRun.objects.filter(pk=run.pk).update(heartbeat_at=timezone.now())


def scheduler_runs_reconcile(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Mark the runs that stopped beating as died, and give back the attempts that runs no
    longer running claimed and never dialled. Returns how many attempts were given back."""
    now = now or timezone.now()
    dead = list(
        SchedulerRun.objects.filter(
            status=SchedulerRunStatus.RUNNING, heartbeat_at__lt=now - STALE_AFTER
        ).values_list("pk", flat=True)
    )
    if dead:
        # Conditional: a run that finished meanwhile keeps its status.
        SchedulerRun.objects.filter(pk__in=dead, status=SchedulerRunStatus.RUNNING).update(
            status=SchedulerRunStatus.DIED
        )
        logger.warning("scheduler runs %s stopped beating: marked died", dead)
    undialled = list(
        CallAttempt.objects.filter(
            outcome__isnull=True,
            dialled_at__isnull=True,
            scheduler_run__status__in=[
                SchedulerRunStatus.DIED,
                SchedulerRunStatus.FAILED,
                SchedulerRunStatus.FINISHED,
            ],
        )
        .order_by("started_at")
        .values_list("pk", flat=True)[:limit]
    )
    given_back = 0
    for call_id in undialled:
        # One transaction each: closes lock their quarter hour's stats bucket until commit.
        with transaction.atomic():
            attempt = (
                CallAttempt.objects.select_for_update()
                .filter(pk=call_id, outcome__isnull=True, dialled_at__isnull=True)
                .first()
            )
            if attempt is not None:
                given_back += outcomes.call_attempt_close(
                    attempt=attempt,
                    outcome=CallOutcome.FAILED,
                    error_code=outcomes.NEVER_DIALLED,
                    ended_at=now,
                    counts_as_attempt=False,
                )
    if given_back:
        logger.info("gave back %d call attempts claimed and never dialled", given_back)
    return given_back

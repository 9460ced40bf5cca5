"""A scheduler process under faults (docs/architecture.md §6.2, §10): killed with SIGKILL in
the middle of its dials, its database sessions terminated, its Redis restarted. Real processes
(`manage.py run_scheduler`) against the test database, as an operator would see them."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import time

import pytest
from django.db import connection
from django.utils import timezone
from django_q.models import OrmQ

from calls.models import CallAttempt, SchedulerRun, SchedulerRunStatus
from calls.scheduler import scheduler_tick
from calls.scheduler_runs import STALE_AFTER
from calls.selectors import provider_config_get
from calls.services import call_attempts_reconcile
from calls.tests.conftest import ALL_DAYS, NetworkStandIn
from calls.tests.scheduler_processes import (
    free_port,
    postgresql_only,
    scheduler_env,
    scheduler_process,
    stop,
    wait_for,
)
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState

OUT_OF_REACH = (
    "scheduler processes of their own cannot reach SQLite's in-memory test database (and only "
    "PostgreSQL has sessions to terminate)"
)

pytestmark = [pytest.mark.postgres, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def open_campaign_with(contacts: int):
    campaign = CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=ALL_DAYS,
    )
    Contact.objects.bulk_create(
        Contact(campaign=campaign, phone_number=f"+39347{i:07d}", timezone="Europe/Rome")
        for i in range(contacts)
    )
    return campaign


def provider_configure(*, calls_per_second, max_concurrent_calls=1000):
    config = provider_config_get()
    config.calls_per_second = calls_per_second
    config.max_concurrent_calls = max_concurrent_calls
    config.sim_failure_rate = 0  # no number rejected at dial time: every dial stays in flight
    config.save()


# --- Killed mid-dial -----------------------------------------------------------------------------


def test_a_scheduler_killed_mid_dial_uses_no_attempt_for_the_calls_it_never_placed():
    postgresql_only(OUT_OF_REACH)
    campaign = open_campaign_with(40)
    # Two dials a second over a 20-second tick: the tick claims all 40 and dials for 20 s.
    provider_configure(calls_per_second=2)
    process = scheduler_process(scheduler_env(SCHEDULER_TICK_SECONDS="20"), "--once")
    dialled = CallAttempt.objects.filter(dialled_at__isnull=False)
    wait_for(lambda: dialled.count() >= 6, timeout=120, what="six dials", process=process)
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)

    run = SchedulerRun.objects.get()
    assert run.status == SchedulerRunStatus.RUNNING  # as the kill left it
    assert CallAttempt.objects.count() == 40  # all claimed…
    placed = set(dialled.values_list("contact_id", flat=True))
    assert 6 <= len(placed) < 20  # …some dialled, most not

    # Right after the kill the run is not known to be dead (a live tick may still dial what
    # it claimed): nothing is given back yet.
    assert call_attempts_reconcile() == 0
    assert not CallAttempt.objects.filter(outcome__isnull=False).exists()

    # Once its heartbeat is stale, reconciliation (every minute) marks it died and gives back
    # every attempt it never dialled: no attempt used, the contact pending again.
    later = timezone.now() + STALE_AFTER + dt.timedelta(seconds=1)
    assert call_attempts_reconcile(now=later) == 40 - len(placed)
    run.refresh_from_db()
    assert run.status == SchedulerRunStatus.DIED
    given_back = CallAttempt.objects.filter(outcome__isnull=False)
    assert set(given_back.values_list("outcome", "error_code", "dialled_at")) == {
        ("failed", "never_dialled", None)
    }
    contacts = Contact.objects.filter(campaign=campaign)
    assert set(
        contacts.exclude(pk__in=placed).values_list("state", "attempts_count", "next_attempt_at")
    ) == {(ContactState.PENDING, 0, None)}
    # The calls it placed stay in flight, their contacts in progress, until their provider
    # ends them (or the timeout, counted from the dial, does).
    assert set(dialled.values_list("outcome", flat=True)) == {None}
    assert set(contacts.filter(pk__in=placed).values_list("state", "attempts_count")) == {
        (ContactState.IN_PROGRESS, 1)
    }
    # Each dialled attempt reached the provider (its callee queued on the broker), but for
    # the one the kill may have caught between its mark and the provider's queue.
    assert len(placed) - 1 <= OrmQ.objects.count() <= len(placed)

    # Nothing is dialled twice: the next tick dials exactly the contacts given back.
    network = NetworkStandIn()
    provider_configure(calls_per_second=1000)
    scheduler_tick(now=timezone.now(), provider=network)
    assert len(network.calls) == 40 - len(placed)
    assert {c.contact_id for c in network.calls}.isdisjoint({str(pk) for pk in placed})


# --- Lost connections ----------------------------------------------------------------------------


def terminate_other_sessions() -> int:
    """What a PostgreSQL restart does to a client, without restarting the shared server:
    every session on the test database but ours is terminated."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def runs_since(moment, **filters):
    return SchedulerRun.objects.filter(started_at__gt=moment, **filters)


def test_the_scheduler_loop_survives_its_database_sessions_terminated():
    postgresql_only(OUT_OF_REACH)
    campaign = open_campaign_with(500)
    Campaign.objects.filter(pk=campaign.pk).update(status="paused")  # idle ticks first
    provider_configure(calls_per_second=5)  # then ticks of 1 s that dial the whole second
    process = scheduler_process(scheduler_env(SCHEDULER_TICK_SECONDS="1"))

    def terminated_and_recovered(**ticks):
        wait_for(
            lambda: runs_since(timezone.now() - dt.timedelta(seconds=2)).exists(),
            timeout=120,
            what="a tick",
            process=process,
        )
        time.sleep(0.4)  # between ticks or in one, as it falls
        terminated = timezone.now()
        assert terminate_other_sessions() >= 1
        # It goes on: new ticks start and finish after the sessions were gone.
        wait_for(
            lambda: (
                runs_since(terminated, status=SchedulerRunStatus.FINISHED, **ticks).count() >= 2
            ),
            timeout=60,
            what="two ticks after the sessions were terminated",
            process=process,
        )

    try:
        terminated_and_recovered()  # idle
        Campaign.objects.filter(pk=campaign.pk).update(status="running")
        for _ in range(2):
            terminated_and_recovered(calls_placed__gt=0)  # dialling
        assert process.poll() is None
    finally:
        out, _err = stop(process)
    assert "Traceback" not in out
    # What a failed tick claimed and never dialled goes back, by the next tick or
    # reconciliation: once the process is stopped, every claimed attempt was dialled or given
    # back (none left in between), and no contact was dialled twice.
    call_attempts_reconcile(now=timezone.now() + STALE_AFTER + dt.timedelta(seconds=1))
    assert not CallAttempt.objects.filter(outcome__isnull=True, dialled_at__isnull=True).exists()
    dialled = CallAttempt.objects.filter(dialled_at__isnull=False)
    assert dialled.count() == dialled.values("contact_id").distinct().count()


def test_the_scheduler_loop_survives_a_redis_restart(tmp_path):
    postgresql_only(OUT_OF_REACH)
    port = free_port()

    def redis_start():
        return subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(tmp_path),
            ],
            stdout=subprocess.DEVNULL,
        )

    def redis_up():
        try:
            import redis

            return redis.Redis(port=port).ping()
        except Exception:
            return False

    open_campaign_with(500)
    provider_configure(calls_per_second=5)
    redis_server = redis_start()
    wait_for(redis_up, timeout=20, what="Redis")
    # Redis as broker and cache: each tick's callees are queued there.
    env = scheduler_env(
        SCHEDULER_TICK_SECONDS="1",
        REDIS_URL=f"redis://127.0.0.1:{port}/0",
        PROVIDER_OUTAGE_BACKOFF_SECONDS="1",
    )
    process = scheduler_process(env)
    try:
        wait_for(
            lambda: SchedulerRun.objects.filter(calls_placed__gt=0).exists(),
            timeout=120,
            what="a tick that dials",
            process=process,
        )
        redis_server.terminate()
        redis_server.wait(timeout=30)
        stopped = timezone.now()
        # With the broker down, calls cannot be queued: given back as in a provider outage.
        wait_for(
            lambda: runs_since(stopped, details__has_key="outage").exists(),
            timeout=60,
            what="a tick that finds the broker down",
            process=process,
        )
        redis_server = redis_start()
        wait_for(redis_up, timeout=20, what="Redis again")
        restarted = timezone.now()
        wait_for(
            lambda: runs_since(restarted, calls_placed__gt=0).count() >= 2,
            timeout=60,
            what="two ticks that dial after the restart",
            process=process,
        )
        assert process.poll() is None
    finally:
        stop(process)
        redis_server.terminate()
        redis_server.wait(timeout=30)
    assert CallAttempt.objects.filter(error_code="provider_unavailable").exists()

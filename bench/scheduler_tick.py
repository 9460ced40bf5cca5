#!/usr/bin/env python
"""Benchmark: one scheduler tick over ~1M contacts in running campaigns selects and dispatches
100 calls (target ≤ 100 ms), beside a raw-SQL baseline measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/scheduler_tick.py [--runs 15] [--calls 100] [--contacts 1000000]

The database is created if missing, migrated and, unless it already holds `--contacts`
contacts in `--campaigns` (7) campaigns, seeded with seed_demo (~2 min for a million on a
2-core machine; not vacuumed, as measured since 2026-12-01). `--reseed` seeds anyway.

What it does: every seeded campaign that has dialled contacts (running, paused, completed,
cancelled: ~98% of the contacts) is set running with calling hours open around the clock, so
the figures do not depend on the hour of the run. The provider is the simulator (live: each
call's first callee step is a django-q task of its own on the broker — Redis with REDIS_URL —,
the tick's tasks pushed together), at 9,999 calls/s so that the rate cap is not what limits a
tick, and with max_concurrent_calls set before each tick to the calls in flight + `--calls`, so
each tick has exactly that many slots.
Each tick runs "as of now" (`scheduler_tick(now=…)`), i.e. without the real-time spacing of
dials (1/calls_per_second) that a live tick adds on purpose.

Baseline, in the same run: one plain SQL statement doing the tick's selection by the same index
paths (per campaign and zone, the oldest due contacts; merged; FOR UPDATE SKIP LOCKED), inserting
the attempts and setting the contacts in progress — rolled back — plus the same number of raw
RPUSHes of a task-sized payload to Redis: the floor for this work, in one round trip.
(Zones are all open here, so the baseline does not compute calling hours.)

Each tick takes contacts for real: a run uses up runs × calls contacts of the million
(re-seed for a pristine data set). After each (timed) tick its calls are marked ended, so
every tick sees the same calls in flight (the seed's, ~4,000); the queued callee steps are
removed from Redis at the end. Those calls are ended by a plain UPDATE, not by closing them,
so the script ends by rebuilding the stats buckets from the attempts; their contacts stay in
progress (re-seed for a pristine data set).
"""

from __future__ import annotations

import argparse
import os
import sys
import time

from _common import (
    call_stats_rebuild,
    database_prepare,
    demo_data_ensure,
    demo_options,
    django_setup,
    p50,
    p95,
)

django_setup()

import datetime as dt  # noqa: E402

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.utils import timezone  # noqa: E402

from calls.candidates import dialable_zones  # noqa: E402
from calls.models import CallAttempt, ProviderConfig  # noqa: E402
from calls.scheduler import scheduler_tick  # noqa: E402
from calls.selectors import provider_config_get  # noqa: E402
from calls.telephony.simulator import SimulatorProvider  # noqa: E402
from campaigns.models import Campaign, CampaignStatus  # noqa: E402
from contacts.models import Contact  # noqa: E402

DIALLED_STATUSES = ("running", "paused", "completed", "cancelled")


def prepare() -> list[Campaign]:
    Campaign.objects.filter(status__in=DIALLED_STATUSES).update(
        status=CampaignStatus.RUNNING,
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    config = provider_config_get()
    config.provider = "simulator"
    config.calls_per_second = 9999
    config.sim_unavailable = False
    config.dialling_paused_until = None
    config.save()
    return list(Campaign.objects.filter(status=CampaignStatus.RUNNING))


def in_flight() -> int:
    return CallAttempt.objects.filter(outcome__isnull=True, provider="simulator").count()


def give_slots(calls: int) -> None:
    ProviderConfig.objects.filter(pk=ProviderConfig.SINGLETON_ID).update(
        max_concurrent_calls=in_flight() + calls
    )


# The same selection as the tick, as one plain statement: per campaign and open zone, the
# oldest due dialable contacts through contact_dialable_idx (one LIMITed index range each),
# merged; locked with SKIP LOCKED; their attempts inserted; the contacts set in progress.
BRANCH = """(
    SELECT id, campaign_id, next_attempt_at FROM contacts_contact
    WHERE campaign_id = %s AND timezone = %s
      AND state IN ('pending', 'not_reached') AND NOT do_not_call AND attempts_count < %s
      AND next_attempt_at <= now()
    ORDER BY next_attempt_at LIMIT %s
)"""
BASELINE_SQL = """
WITH candidates AS (
    SELECT id FROM ({branches}) AS due ORDER BY next_attempt_at LIMIT %s
), picked AS (
    SELECT c.id, c.campaign_id FROM contacts_contact c JOIN candidates USING (id)
    FOR UPDATE OF c SKIP LOCKED
), attempts AS (
    INSERT INTO calls_callattempt (call_id, contact_id, campaign_id, attempt_number, provider,
        provider_call_id, started_at, outcome, provider_raw_status, error_code, metadata,
        dialogue_step, transcript)
    SELECT gen_random_uuid(), id, campaign_id, 99, 'simulator', '', now(), NULL, '', '', '{{}}',
        '', ''
    FROM picked
    RETURNING contact_id
)
UPDATE contacts_contact SET state = 'in_progress', attempts_count = attempts_count + 1
WHERE id IN (SELECT contact_id FROM attempts)
"""


class Rollback(Exception):
    pass


def baseline(campaigns: list[Campaign], calls: int, redis) -> tuple[float, int]:
    """Seconds for the plain-SQL selection and claim (rolled back) plus `calls` raw RPUSHes."""
    branches, params = [], []
    for campaign in campaigns:
        for zone in dialable_zones(campaign):
            branches.append(BRANCH)
            params += [campaign.pk, zone, campaign.max_attempts, calls]
    sql = BASELINE_SQL.format(branches=" UNION ALL ".join(branches))
    started = time.perf_counter()
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql, [*params, calls])
            taken = cursor.rowcount
            raise Rollback
    except Rollback:
        pass
    payload = b"x" * 700  # about the size of a signed django-q task
    for _ in range(calls):
        redis.rpush("bench:baseline", payload)
    elapsed = time.perf_counter() - started
    redis.delete("bench:baseline")
    return elapsed, taken


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--calls", type=int, default=100)
    demo_options(parser, contacts=1_000_000, campaigns=7)
    args = parser.parse_args()
    if not settings.REDIS_URL:
        sys.exit("Run against Redis: REDIS_URL is set empty.")
    database_prepare()
    demo_data_ensure(
        contacts=args.contacts, campaigns=args.campaigns, reseed=args.reseed, vacuum=False
    )
    try:
        measure(args)
    finally:
        call_stats_rebuild()  # the ticks' calls were ended without closing them


def measure(args: argparse.Namespace) -> None:
    import redis as redis_lib

    redis = redis_lib.Redis.from_url(settings.REDIS_URL)
    queue = f"django_q:{settings.Q_CLUSTER['name']}:q"
    queued_before = redis.llen(queue)

    campaigns = prepare()
    running_contacts = Contact.objects.filter(campaign__in=campaigns).count()
    zones = sorted({z for c in campaigns for z in dialable_zones(c)})
    print(
        f"{len(campaigns)} running campaigns, {running_contacts:,} contacts in them, "
        f"{in_flight():,} calls already in flight; zones: {', '.join(zones)}"
    )
    provider = SimulatorProvider()
    ticks, cpus, claims, dials, baselines = [], [], [], [], []
    placed = 0
    load_before = os.getloadavg()[0]
    for i in range(args.runs + 1):  # the first of each is a warm-up, not counted
        give_slots(args.calls)
        started, cpu = time.perf_counter(), time.process_time()
        run = scheduler_tick(now=timezone.now(), provider=provider)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        if run.calls_placed + run.errors != args.calls:
            sys.exit(f"tick {i} placed {run.calls_placed} (+{run.errors} errors), not {args.calls}")
        placed += run.calls_placed
        # End this tick's calls (nobody runs them), so every tick sees the same calls in flight.
        CallAttempt.objects.filter(started_at=run.started_at, outcome__isnull=True).update(
            outcome="failed", error_code="bench", ended_at=run.started_at
        )
        base, taken = baseline(campaigns, args.calls, redis)
        if taken != args.calls:
            sys.exit(f"the baseline took {taken} contacts, not {args.calls}")
        if i:
            ticks.append(elapsed * 1000)
            cpus.append(cpu * 1000)
            claims.append(run.details["claim_ms"])
            dials.append(run.details["dial_ms"])
            baselines.append(base * 1000)

    print(f"\nscheduler tick, {args.calls} calls, {args.runs} runs (ms):")
    print(f"  tick      p50 {p50(ticks):7.1f}   p95 {p95(ticks):7.1f}   max {max(ticks):7.1f}")
    print(f"    select+claim  p50 {p50(claims):6.1f}   dispatch p50 {p50(dials):6.1f}")
    print(f"    this process's CPU per tick  p50 {p50(cpus):6.1f}")
    print(f"  baseline  p50 {p50(baselines):7.1f}   p95 {p95(baselines):7.1f}   (raw SQL + RPUSH)")
    print("  target    ≤ 100 ms")
    print(f"  load average {load_before:.1f} → {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")

    queued = redis.llen(queue) - queued_before
    redis.ltrim(queue, 0, queued_before - 1) if queued_before else redis.delete(queue)
    print(f"\n(removed {queued} queued callee steps from {queue}; calls placed: {placed})")
    if queued != placed:
        sys.exit("every call placed should have queued its callee's first step")


if __name__ == "__main__":
    main()

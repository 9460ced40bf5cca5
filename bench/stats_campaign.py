"""Benchmark: GET /api/campaigns/{id}/stats over HTTP on PostgreSQL, uncached and cached,
beside the raw SQL of the same figures, measured in the same run, with the CPU time each costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_stats_bench \\
        .venv/bin/python bench/stats_campaign.py --contacts 100000 --campaigns 1

The database is created if missing, migrated, and seeded with seed_demo at that size unless
it already holds exactly that many contacts and campaigns (`--reseed` seeds anyway), then
vacuumed and analysed.

Targets (docs/architecture.md §9), for the campaign with the most attempts: uncached p50 ≤ 100 ms at
100k contacts / 300k attempts and ≤ 500 ms at 1M / 3M; cached p50 ≤ 10 ms at any size. `--campaigns
1` puts every contact in one campaign (the hardest case for one campaign's stats); the default demo
mix has seven campaigns, the largest with 30 % of the contacts.

"Uncached" invalidates the campaign's cache (POST …/stats/invalidate, neither timed nor
metered) before each timed GET; "cached" repeats the GET. Two raw SQL baselines run on a psycopg
connection of their own, with no Django and no HTTP: the product's three queries written by
hand (contacts per state; closed attempts per hour and outcome with talk time, summed from the
stats buckets; attempts in flight per hour), and — for comparison — the full scan of every
attempt of the campaign that computed the same figures before the buckets. Before timing, the
answer is checked against that full scan: the same outcome counts, talk time and hours.

CPU: for raw SQL, its PostgreSQL backend's; in process, this Python process's plus its
backend's; over HTTP, the gunicorn workers' plus their backends' (see `_http.ServerCpu`).
"""

from __future__ import annotations

import datetime as dt
import os
import time

from _common import (
    cpu_ns,
    interleaved,
    load_average,
    p50,
    raw_sql_timer,
    report_line,
)
from _http import ServerCpu, api_token, gunicorn, prepare

RAW_CONTACTS = """
SELECT state, count(*) FROM contacts_contact WHERE campaign_id = %s GROUP BY state
"""
# What the product reads now: the closed attempts from their buckets, those in flight live.
RAW_BUCKETS = """
SELECT date_bin('1 hour', CASE WHEN bucket_start >= %s THEN bucket_start END, '2000-01-01')
         AS hour,
       sum(attempts) FILTER (WHERE outcome = 'completed'),
       sum(attempts) FILTER (WHERE outcome = 'refused'),
       sum(attempts) FILTER (WHERE outcome = 'no_answer'),
       sum(attempts) FILTER (WHERE outcome = 'busy'),
       sum(attempts) FILTER (WHERE outcome = 'failed'),
       sum(talk_count), sum(talk_total_us), min(talk_min_us), max(talk_max_us)
FROM calls_callstatsbucket WHERE campaign_id = %s GROUP BY 1
"""
RAW_IN_FLIGHT = """
SELECT date_bin('1 hour', CASE WHEN started_at >= %s THEN started_at END, '2000-01-01')
         AS hour,
       count(*)
FROM calls_callattempt WHERE campaign_id = %s AND outcome IS NULL GROUP BY 1
"""
# What it read before: every attempt of the campaign.
RAW_FULL_SCAN = """
SELECT date_bin('1 hour', CASE WHEN started_at >= %s THEN started_at END, '2000-01-01')
         AS hour,
       outcome, count(*),
       count(*) FILTER (WHERE ended_at >= answered_at),
       sum(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at),
       min(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at),
       max(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at)
FROM calls_callattempt WHERE campaign_id = %s GROUP BY 1, 2
"""
TARGET_UNCACHED_MS = {100_000: 100, 1_000_000: 500}
TARGET_CACHED_MS = 10


def check_against_full_scan(body: dict, campaign, since: dt.datetime) -> None:
    """The answer's outcome counts, talk time and hourly attempts are the full scan's."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as raw:
        rows = raw.execute(RAW_FULL_SCAN, (since, campaign.pk)).fetchall()
    outcomes: dict = {}
    hours: dict = {}
    talks = [row for row in rows if row[3]]
    for hour, outcome, count, *_ in rows:
        outcomes[outcome] = outcomes.get(outcome, 0) + count
        if hour is not None:
            hours[hour] = hours.get(hour, 0) + count
    answer = body["call_outcomes"]
    assert answer["total_attempts"] == sum(outcomes.values()), "total attempts"
    for outcome in ("completed", "refused", "no_answer", "busy", "failed"):
        assert answer[outcome] == outcomes.get(outcome, 0), outcome
    total = sum((row[4] for row in talks), dt.timedelta(0))
    durations = body["duration_stats"]
    assert durations["total_duration_seconds"] == round(total.total_seconds(), 2), "talk total"
    assert durations["min_duration_seconds"] == round(
        min(row[5] for row in talks).total_seconds(), 2
    )
    assert durations["max_duration_seconds"] == round(
        max(row[6] for row in talks).total_seconds(), 2
    )
    for point in body["time_series_hourly"]:
        start = dt.datetime.fromisoformat(point["timestamp"])
        assert point["attempts"] == hours.get(start, 0), point


def main() -> None:
    args = prepare(__doc__.splitlines()[0], contacts=100_000, campaigns=1, requests=30, port=8061)

    from django.db import connection
    from django.db.models import Count
    from django.utils import timezone

    from campaigns.models import Campaign
    from dashboard.selectors import campaign_stats

    campaign = Campaign.objects.annotate(n=Count("attempts")).order_by("-n").first()
    contacts, attempts = campaign.contacts.count(), campaign.n
    admin, viewer = api_token("bench-admin", "admin"), api_token("bench-viewer", "viewer")
    url = f"/api/campaigns/{campaign.pk}/stats"
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_callstatsbucket WHERE campaign_id = %s", [campaign.pk]
        )
        (buckets,) = cursor.fetchone()
        cursor.execute("SELECT pg_backend_pid()")
        (django_backend,) = cursor.fetchone()

    # Baselines (series window: the default 30 days).
    since = timezone.now() - dt.timedelta(days=30)
    cpu: dict[str, list[float]] = {name: [] for name in ("raw", "full", "selector", "uncached")}
    raw_parts = [
        raw_sql_timer(RAW_CONTACTS, (campaign.pk,), cpu=cpu["raw"]),
        raw_sql_timer(RAW_BUCKETS, (since, campaign.pk), cpu=cpu["raw"]),
        raw_sql_timer(RAW_IN_FLIGHT, (since, campaign.pk), cpu=cpu["raw"]),
    ]
    full_parts = [
        raw_sql_timer(RAW_CONTACTS, (campaign.pk,), cpu=cpu["full"]),
        raw_sql_timer(RAW_FULL_SCAN, (since, campaign.pk), cpu=cpu["full"]),
    ]

    def summed(parts, name):
        def run() -> float:
            before = len(cpu[name])
            elapsed = sum(part() for part in parts)
            cpu[name][before:] = [sum(cpu[name][before:])]  # one figure per run
            return elapsed

        return run

    def selector() -> float:  # in this process: the ORM and Python share, no HTTP, no cache
        before_ns, before_cpu = cpu_ns(django_backend), time.process_time()
        started = time.perf_counter()
        campaign_stats(campaign=campaign)
        elapsed = (time.perf_counter() - started) * 1000
        used = (time.process_time() - before_cpu) * 1000
        cpu["selector"].append(used + (cpu_ns(django_backend) - before_ns) / 1e6)
        return elapsed

    load_at_start = load_average()
    with gunicorn(port=args.port) as server:
        meter = ServerCpu(server)

        def get_computed() -> float:
            elapsed, body = server.get_json(url, viewer)
            assert body["cached"] is False, "expected a computed answer"
            return elapsed

        metered = meter.measure(get_computed, cpu["uncached"])

        def uncached() -> float:
            server.request("POST", f"{url}/invalidate", admin)
            return metered()

        def cached() -> float:
            elapsed, body = server.get_json(url, viewer)
            assert body["cached"] is True, "expected a cached answer"
            return elapsed

        server.request("POST", f"{url}/invalidate", admin)
        _, body = server.get_json(url, viewer)
        check_against_full_scan(body, campaign, since)

        results = interleaved(
            {
                "raw": summed(raw_parts, "raw"),
                "full": summed(full_parts, "full"),
                "selector": selector,
                "uncached": uncached,
            },
            repeat=args.requests,
        )
        server.get_json(url, viewer)  # fill the cache
        results |= interleaved({"cached": cached}, repeat=args.requests)
    raw = results["raw"]
    for name in cpu:  # drop the warm-up runs' figures
        cpu[name] = cpu[name][-args.requests :]

    target = TARGET_UNCACHED_MS.get(args.contacts)
    print()
    print(
        f"campaign stats — {contacts:,} contacts, {attempts:,} attempts in the campaign "
        f"({buckets:,} stats buckets; {args.campaigns} campaign(s) seeded); "
        f"{args.requests} timed requests per line; load average {load_at_start} at the "
        f"start, {load_average()} at the end"
    )
    print(report_line("raw SQL: contacts + buckets per hour + in flight", raw, cpu=cpu["raw"]))
    print(
        report_line(
            "raw SQL before: contacts + every attempt per hour", results["full"], cpu=cpu["full"]
        )
    )
    print(
        report_line(
            "campaign_stats() in process (ORM + Python)",
            results["selector"],
            raw,
            cpu=cpu["selector"],
        )
    )
    print(report_line("HTTP GET …/stats, uncached", results["uncached"], raw, cpu=cpu["uncached"]))
    print(report_line("HTTP GET …/stats, cached (Redis)", results["cached"]))
    if target:
        share = p50(results["uncached"]) / target
        print(f"  target uncached p50 ≤ {target} ms -> {share:.0%} of the limit")
    print(
        f"  target cached p50 ≤ {TARGET_CACHED_MS} ms -> "
        f"{p50(results['cached']) / TARGET_CACHED_MS:.0%} of the limit"
    )
    print(
        f"  answer: {len(body['time_series_hourly'])} hourly and "
        f"{len(body['time_series_daily'])} daily buckets, "
        f"{body['call_outcomes']['total_attempts']:,} attempts — the same figures as the full scan"
    )


if __name__ == "__main__":
    main()

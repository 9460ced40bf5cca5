"""Benchmark: GET /api/campaigns/{id}/stats over HTTP on PostgreSQL, uncached and cached,
beside the raw SQL of the same aggregates, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_wt6_bench \\
        .venv/bin/python bench/stats_campaign.py --contacts 100000 --campaigns 1

Targets (DESIGN §9), for the campaign with the most attempts: uncached p50 ≤ 100 ms at 100k
contacts / 300k attempts and ≤ 500 ms at 1M / 3M; cached p50 ≤ 10 ms at any size.
`--campaigns 1` puts every contact in one campaign (the hardest case for one campaign's stats);
the default demo mix has seven campaigns, the largest with 30 % of the contacts.

"Uncached" invalidates the campaign's cache (POST …/stats/invalidate, not timed) before each
timed GET; "cached" repeats the GET. The raw SQL baseline runs the two aggregates the selector
needs — contacts per state, attempts per hour and outcome with talk time — on a psycopg
connection of its own, with no Django and no HTTP.
"""

from __future__ import annotations

import datetime as dt
import time

from _http import (
    api_token,
    gunicorn,
    interleaved,
    load_average,
    p50,
    prepare,
    raw_sql_timer,
    report_line,
)

RAW_CONTACTS = """
SELECT state, count(*) FROM contacts_contact WHERE campaign_id = %s GROUP BY state
"""
RAW_ATTEMPTS = """
SELECT date_bin('1 hour', CASE WHEN started_at >= %s THEN started_at END, '2000-01-01') AS hour,
       outcome, count(*),
       count(*) FILTER (WHERE ended_at >= answered_at),
       sum(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at),
       min(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at),
       max(ended_at - answered_at) FILTER (WHERE ended_at >= answered_at)
FROM calls_callattempt WHERE campaign_id = %s GROUP BY 1, 2
"""
TARGET_UNCACHED_MS = {100_000: 100, 1_000_000: 500}
TARGET_CACHED_MS = 10


def main() -> None:
    args = prepare(__doc__.splitlines()[0], contacts=100_000, campaigns=1, requests=30, port=8061)

    from django.db.models import Count
    from django.utils import timezone

    from campaigns.models import Campaign
    from dashboard.selectors import campaign_stats

    campaign = Campaign.objects.annotate(n=Count("attempts")).order_by("-n").first()
    contacts, attempts = campaign.contacts.count(), campaign.n
    admin, viewer = api_token("bench-admin", "admin"), api_token("bench-viewer", "viewer")
    url = f"/api/campaigns/{campaign.pk}/stats"

    # Baseline: the same two aggregates in plain SQL (series window: the default 30 days).
    since = timezone.now() - dt.timedelta(days=30)
    raw_contacts = raw_sql_timer(RAW_CONTACTS, (campaign.pk,))
    raw_attempts = raw_sql_timer(RAW_ATTEMPTS, (since, campaign.pk))

    def selector() -> float:  # in this process: the ORM and Python share, no HTTP, no cache
        started = time.perf_counter()
        campaign_stats(campaign=campaign)
        return (time.perf_counter() - started) * 1000

    with gunicorn(port=args.port) as server:

        def uncached() -> float:
            server.request("POST", f"{url}/invalidate", admin)
            elapsed, body = server.get_json(url, viewer)
            assert body["cached"] is False, "expected a computed answer"
            return elapsed

        def cached() -> float:
            elapsed, body = server.get_json(url, viewer)
            assert body["cached"] is True, "expected a cached answer"
            return elapsed

        results = interleaved(
            {
                "raw": lambda: raw_contacts() + raw_attempts(),
                "selector": selector,
                "uncached": uncached,
            },
            repeat=args.requests,
        )
        server.get_json(url, viewer)  # fill the cache
        results |= interleaved({"cached": cached}, repeat=args.requests)
        _, body = server.get_json(url, viewer)
    raw = results["raw"]

    target = TARGET_UNCACHED_MS.get(args.contacts)
    print()
    print(
        f"campaign stats — {contacts:,} contacts, {attempts:,} attempts in the campaign "
        f"({args.campaigns} campaign(s) seeded); {args.requests} timed requests per line; "
        f"load average {load_average()}"
    )
    print(report_line("raw SQL: contacts per state + attempts per hour", raw))
    print(report_line("campaign_stats() in process (ORM + Python)", results["selector"], raw))
    print(report_line("HTTP GET …/stats, uncached", results["uncached"], raw))
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
        f"{body['call_outcomes']['total_attempts']:,} attempts"
    )


if __name__ == "__main__":
    main()

"""Benchmark: the campaign dashboard page (GET /campaigns/{id}) over HTTP on PostgreSQL, as a
signed-in manager sees it, beside the page's own SQL statements replayed raw in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_stats_bench \\
        .venv/bin/python bench/dashboard_page.py --contacts 100000 --campaigns 1

The database is created if missing, migrated, and seeded with seed_demo at that size unless
it already holds exactly that many contacts and campaigns (`--reseed` seeds anyway), then
vacuumed and analysed.

Target (docs/architecture.md §9): p50 ≤ 150 ms at 100k contacts. The page is the whole campaign
dashboard: configuration and script, lifecycle buttons, the upload form, the statistics panel
(cards, rates, durations, the hourly and daily chart data), the contacts table's first page with its
count, and the latest exports.

Cases, interleaved round by round so that load changes hit them alike:
- "statistics uncached": the campaign's stats cache is invalidated before each timed GET
  (POST …/stats/invalidate, neither timed nor metered), so the page computes them — the first
  visit after a change, and the page's worst case;
- "statistics cached": the same GET again within the cache's 60 s;
- "table filtered, page 20": `?state=not_reached&page=20`, statistics cached — a manager
  looking through the contacts.
Baseline ("raw SQL"): every statement the uncached page ran (captured once in this process
through Django's test client, as PostgreSQL received them), replayed one after the other on
a psycopg connection of its own — the database's share of the page, without Django, templates
or HTTP.
"""

from __future__ import annotations

import os

from _common import (
    MANIFEST_STATIC_STORAGE,
    interleaved,
    load_average,
    p50,
    raw_sql_timer,
    report_line,
)
from _http import ServerCpu, api_token, gunicorn, prepare

TARGET_MS = 150


def main() -> None:
    # Pages name their static files through the manifest, as in production (DEBUG off): this
    # process (which collects them) and the server both use it.
    os.environ["STATICFILES_STORAGE"] = MANIFEST_STATIC_STORAGE
    args = prepare(__doc__.splitlines()[0], contacts=100_000, campaigns=1, requests=30, port=8062)

    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Count
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from campaigns.models import Campaign
    from voicesurvey.models import User
    from voicesurvey.stats_cache import campaign_stats_invalidate

    call_command("collectstatic", interactive=False, verbosity=0)
    campaign = Campaign.objects.annotate(n=Count("attempts")).order_by("-n").first()
    contacts, attempts = campaign.contacts.count(), campaign.n
    admin = api_token("bench-admin", "admin")
    api_token("bench-manager", "campaign_manager")
    manager = User.objects.get(username="bench-manager")
    page = f"/campaigns/{campaign.pk}"
    filtered = f"{page}?state=not_reached&page=20"

    # A session for the manager, stored where the server reads it (the database).
    browser = Client(SERVER_NAME="127.0.0.1")
    browser.force_login(manager)
    cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

    # The uncached page's statements, as the database received them.
    campaign_stats_invalidate(campaign_id=campaign.pk)
    with CaptureQueriesContext(connection) as captured:
        response = browser.get(page)
    assert response.status_code == 200, response.status_code
    statements = [query["sql"] for query in captured.captured_queries]
    raw_cpu: list[float] = []
    raw_parts = [raw_sql_timer(sql, cpu=raw_cpu) for sql in statements]

    def raw() -> float:
        before = len(raw_cpu)
        elapsed = sum(part() for part in raw_parts)
        raw_cpu[before:] = [sum(raw_cpu[before:])]  # one figure per run
        return elapsed

    load_at_start = load_average()
    cpu: dict[str, list[float]] = {"uncached": [], "cached": [], "filtered": []}
    with gunicorn(port=args.port) as server:
        meter = ServerCpu(server)

        def get(path: str, *, cached: bool) -> float:
            """The whole page (statistics panel and contacts table), its statistics computed
            or read from the cache as the case wants."""
            elapsed, status, body = server.request("GET", path, headers={"Cookie": cookie})
            whole = status == 200 and b'data-block="contacts"' in body and b"<table" in body
            if not whole or (b", from the cache" in body) != cached:
                raise RuntimeError(f"GET {path} answered {status}: {body[:300]!r}")
            return elapsed

        def uncached_get() -> float:
            return get(page, cached=False)

        metered_uncached = meter.measure(uncached_get, cpu["uncached"])

        def uncached() -> float:
            server.request("POST", f"/api/campaigns/{campaign.pk}/stats/invalidate", admin)
            return metered_uncached()

        results = interleaved(
            {
                "raw": raw,
                "uncached": uncached,
                "cached": meter.measure(lambda: get(page, cached=True), cpu["cached"]),
                "filtered": meter.measure(lambda: get(filtered, cached=True), cpu["filtered"]),
            },
            repeat=args.requests,
        )
    for key in cpu:  # drop the warm-up runs' figures
        cpu[key] = cpu[key][-args.requests :]
    raw_cpu[:] = raw_cpu[-args.requests :]

    print()
    print(
        f"campaign dashboard page — {contacts:,} contacts, {attempts:,} attempts in the "
        f"campaign ({args.campaigns} campaign(s) seeded); {len(statements)} statements; "
        f"{args.requests} timed requests per line; load average {load_at_start} at the start, "
        f"{load_average()} at the end"
    )
    base = results["raw"]
    print(report_line("raw SQL: the uncached page's statements replayed", base, cpu=raw_cpu))
    print(
        report_line(
            "HTTP GET page, statistics uncached", results["uncached"], base, cpu=cpu["uncached"]
        )
    )
    print(report_line("HTTP GET page, statistics cached", results["cached"], cpu=cpu["cached"]))
    print(
        report_line(
            "HTTP GET page, table filtered, page 20", results["filtered"], cpu=cpu["filtered"]
        )
    )
    for key in ("uncached", "cached", "filtered"):
        share = p50(results[key]) / TARGET_MS
        print(f"  target p50 ≤ {TARGET_MS} ms, {key}: {share:.0%} of the limit")


if __name__ == "__main__":
    main()

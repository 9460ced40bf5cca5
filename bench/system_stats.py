"""Benchmark: the five system dashboard endpoints over HTTP on PostgreSQL, each beside the raw
SQL of the same figures, measured in the same run, with the queries and CPU time each costs.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_stats_bench \\
        .venv/bin/python bench/system_stats.py --contacts 1000000

The database is created if missing, migrated, and seeded with seed_demo at that size unless
it already holds exactly that many contacts and campaigns (`--reseed` seeds anyway), then
vacuumed and analysed.

Target (docs/architecture.md §9): each endpoint p50 ≤ 200 ms and ≤ 3 queries at 1M contacts.
Overview, queue, platforms and campaigns are cached for STATS_CACHE_TTL_SECONDS: "computed" is
measured on a server with STATS_CACHE_TTL_SECONDS=0 and no Redis (every request computes), "cached"
on one with the production setup (Redis, 60 s). Requests and baselines are interleaved, so a load
change on a shared machine hits all alike. Queries are counted in this process through Django's test
client with the same token (one of them is the token lookup), on a cold cache.

Two raw SQL baselines per endpoint, each on a psycopg connection of its own: the product's
statement written by hand (closed attempts summed from the stats buckets, calls in flight
counted live), and — for comparison — the full scan of every attempt that computed the same
figures before the buckets. Before timing, the answers are checked against that full scan.
CPU: for raw SQL, its PostgreSQL backend's; over HTTP, the gunicorn workers' plus their
backends' (see `_http.ServerCpu`).
"""

from __future__ import annotations

import os

from _common import (
    interleaved,
    load_average,
    p50,
    raw_sql_timer,
    report_line,
)
from _http import ServerCpu, api_token, gunicorn, prepare

# Contacts the scheduler would dial now: due, grouped by campaign and contact zone, the groups
# kept where it is calling time now (local time in the window, local weekday a call day).
_DUE_CONTACTS = """
    SELECT coalesce(sum(n), 0), extract(epoch FROM now() - min(since)) FROM (
      SELECT coalesce(nullif(c.timezone, ''), k.timezone) AS zone, k.call_window_start AS opens,
             k.call_window_end AS closes, k.call_days AS days, count(*) AS n,
             min(coalesce(c.next_attempt_at, c.created_at)) AS since
        FROM contacts_contact c JOIN campaigns_campaign k ON k.id = c.campaign_id
       WHERE k.status = 'running' AND NOT c.do_not_call
         AND c.attempts_count < k.max_attempts
         AND c.state IN ('pending', 'not_reached')
         AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= now())
       GROUP BY c.campaign_id, 1, 2, 3, 4
    ) zones
    WHERE (now() AT TIME ZONE zone)::time >= opens AND (now() AT TIME ZONE zone)::time < closes
      AND days @> to_jsonb(extract(isodow FROM now() AT TIME ZONE zone)::int)
"""
_IN_FLIGHT = "SELECT count(*) FROM calls_callattempt WHERE outcome IS NULL"


def _per_provider(figure: str, condition: str = "") -> str:
    return ", ".join(
        f"coalesce(sum({figure}) FILTER (WHERE provider = '{p}'{condition}), 0)"
        for p in ("simulator", "twilio")
    )


# Each baseline is the statement the endpoint runs, written by hand: closed attempts from the
# stats buckets, calls in flight from the attempts.
RAW_SQL = {
    "overview": f"""
        SELECT * FROM
          (SELECT count(*), count(*) FILTER (WHERE status = 'scheduled')
             FROM campaigns_campaign) a
          CROSS JOIN (SELECT count(*), count(*) FILTER (WHERE state = 'pending')
             FROM contacts_contact) b
          CROSS JOIN (SELECT coalesce(sum(attempts), 0),
                             coalesce(sum(attempts) FILTER (WHERE outcome = 'failed'), 0)
             FROM calls_callstatsbucket) c
          CROSS JOIN ({_IN_FLIGHT}) f
          CROSS JOIN (SELECT count(*) FROM calls_surveyresponse) d
          CROSS JOIN (SELECT count(*) FILTER (WHERE status = 'sent'),
                             count(*) FILTER (WHERE status = 'failed')
             FROM calls_emailnotification) e
    """,
    "queue": f"""
        SELECT * FROM ({_DUE_CONTACTS}) a
          CROSS JOIN ({_IN_FLIGHT}) f
          CROSS JOIN (SELECT coalesce(sum(attempts) FILTER (WHERE outcome = 'completed'), 0),
                             coalesce(sum(attempts) FILTER (WHERE outcome = 'failed'), 0),
                             coalesce(sum(run_total_us), 0), coalesce(sum(run_count), 0)
             FROM calls_callstatsbucket) b
    """,
    "orchestrator": f"""
        SELECT * FROM
          (SELECT started_at, calls_placed FROM calls_schedulerrun
            ORDER BY started_at DESC LIMIT 1) a
          CROSS JOIN (SELECT coalesce(sum(calls_placed), 0) FROM calls_schedulerrun
            WHERE started_at >= now() - interval '24 hours') b
          CROSS JOIN ({_IN_FLIGHT}) c
          CROSS JOIN (SELECT max(max_concurrent_calls) FROM calls_providerconfig) d
    """,
    "platforms": f"""
        SELECT * FROM
          (SELECT {_per_provider("attempts")},
                  {_per_provider("attempts", " AND outcome = 'completed'")},
                  {_per_provider("attempts", " AND outcome = 'failed'")},
                  {_per_provider("attempts", " AND outcome IN ('completed', 'refused')")},
                  {_per_provider("talk_total_us")}, {_per_provider("talk_count")}
             FROM calls_callstatsbucket) b
          CROSS JOIN (SELECT count(*) FILTER (WHERE provider = 'simulator'),
                             count(*) FILTER (WHERE provider = 'twilio')
             FROM calls_callattempt WHERE outcome IS NULL) f
    """,
    "campaigns": """
        SELECT * FROM
          (SELECT count(*) FILTER (WHERE status = 'draft'),
                  count(*) FILTER (WHERE status = 'scheduled'),
                  count(*) FILTER (WHERE status = 'running'),
                  count(*) FILTER (WHERE status = 'paused'),
                  count(*) FILTER (WHERE status = 'completed'),
                  count(*) FILTER (WHERE status = 'cancelled') FROM campaigns_campaign) a
          CROSS JOIN (SELECT coalesce(sum(billed_minutes), 0) FROM calls_callstatsbucket) b
          CROSS JOIN (SELECT max(cost_per_minute) FROM calls_providerconfig) c
    """,
}
# The same figures as computed before the stats buckets: a full scan of the attempts.
RAW_SQL_BEFORE = {
    "overview": """
        SELECT * FROM
          (SELECT count(*), count(*) FILTER (WHERE status = 'scheduled')
             FROM campaigns_campaign) a
          CROSS JOIN (SELECT count(*), count(*) FILTER (WHERE state = 'pending')
             FROM contacts_contact) b
          CROSS JOIN (SELECT count(*), count(*) FILTER (WHERE outcome IS NULL),
                             count(*) FILTER (WHERE outcome = 'failed')
             FROM calls_callattempt) c
          CROSS JOIN (SELECT count(*) FROM calls_surveyresponse) d
          CROSS JOIN (SELECT count(*) FILTER (WHERE status = 'sent'),
                             count(*) FILTER (WHERE status = 'failed')
             FROM calls_emailnotification) e
    """,
    "queue": f"""
        SELECT * FROM ({_DUE_CONTACTS}) a
          CROSS JOIN (SELECT count(*) FILTER (WHERE outcome IS NULL),
                             count(*) FILTER (WHERE outcome = 'completed'),
                             count(*) FILTER (WHERE outcome = 'failed'),
                             extract(epoch FROM sum(ended_at - started_at)
                               FILTER (WHERE ended_at IS NOT NULL AND outcome IS NOT NULL)),
                             count(*) FILTER (WHERE ended_at IS NOT NULL AND outcome IS NOT NULL)
             FROM calls_callattempt) b
    """,
    "platforms": """
        SELECT provider, count(*),
               count(*) FILTER (WHERE outcome = 'completed'),
               count(*) FILTER (WHERE outcome = 'failed'),
               count(*) FILTER (WHERE outcome IN ('completed', 'refused')),
               count(*) FILTER (WHERE outcome IS NOT NULL),
               extract(epoch FROM sum(ended_at - answered_at)
                 FILTER (WHERE ended_at >= answered_at)),
               count(*) FILTER (WHERE ended_at >= answered_at)
          FROM calls_callattempt GROUP BY provider ORDER BY provider
    """,
    "campaigns": """
        SELECT coalesce(sum(ceil(extract(epoch FROM ended_at - answered_at) / 60)), 0)
          FROM calls_callattempt WHERE ended_at >= answered_at
    """,
}
TARGET_MS = 200
TARGET_QUERIES = 3


def query_counts(token: str) -> tuple[dict[str, int], dict[str, dict]]:
    """Queries per endpoint, and its answer, computed (cold cache) in this process."""
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    counts, answers = {}, {}
    for name in RAW_SQL:
        cache.clear()
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/dashboard/stats/{name}", SERVER_NAME="127.0.0.1")
        assert response.status_code == 200, (name, response.status_code)
        counts[name], answers[name] = len(queries), response.json()
    return counts, answers


def check_against_full_scan(answers: dict[str, dict]) -> None:
    """Every attempt figure of the answers is the one the full scan gives."""
    import psycopg

    with psycopg.connect(os.environ["DATABASE_URL"]) as raw:
        before = {name: raw.execute(sql).fetchall() for name, sql in RAW_SQL_BEFORE.items()}
    *_, total, in_flight, failed, _responses, _sent, _failed_emails = before["overview"][0]
    overview = answers["overview"]
    assert (overview["total_call_attempts"], overview["in_progress_calls"]) == (total, in_flight)
    assert overview["failed_calls"] == failed

    due, _oldest, in_flight, completed, failed, run_seconds, run_count = before["queue"][0]
    queue = answers["queue"]
    assert (queue["pending"], queue["processing"], queue["success"], queue["failed"]) == (
        due,
        in_flight,
        completed,
        failed,
    )
    assert queue["avg_processing_time_ms"] == round(float(run_seconds) / run_count * 1000, 2)

    for provider, placed, completed, failed, answered, finished, talk, talks in before["platforms"]:
        assert answers["platforms"][provider] == {
            "calls_placed": placed,
            "calls_completed": completed,
            "calls_failed": failed,
            "answer_rate": round(100.0 * answered / finished, 2) if finished else 0.0,
            "avg_duration_seconds": round(float(talk) / talks, 2) if talks else None,
        }, provider

    assert answers["campaigns"]["billed_minutes"] == int(before["campaigns"][0][0])


def main() -> None:
    args = prepare(__doc__.splitlines()[0], contacts=1_000_000, campaigns=7, requests=20, port=8062)

    from django.db import connection

    from calls.models import CallAttempt
    from contacts.models import Contact

    token = api_token("bench-viewer", "viewer")
    counts, answers = query_counts(token)
    check_against_full_scan(answers)
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM calls_callstatsbucket")
        (buckets,) = cursor.fetchone()
    cpu: dict[str, list[float]] = {}
    load_at_start = load_average()

    def timer(key: str, sql: str):
        cpu[key] = []
        return raw_sql_timer(sql, cpu=cpu[key])

    with (
        # Every request computes: no cache entry lives, and none is shared with the other
        # server (local memory instead of Redis).
        gunicorn(
            port=args.port, env={"STATS_CACHE_TTL_SECONDS": "0", "REDIS_URL": ""}
        ) as computing,
        gunicorn(port=args.port + 1) as caching,  # as in production: Redis, 60 s
    ):
        meters = {id(computing): ServerCpu(computing), id(caching): ServerCpu(caching)}

        def endpoint(server, name: str, key: str | None = None):
            def get() -> float:
                return server.get_json(f"/api/dashboard/stats/{name}", token)[0]

            if key is None:
                return get
            cpu[key] = []
            return meters[id(server)].measure(get, cpu[key])

        cases = {"due": timer("due", _DUE_CONTACTS)}
        for name in RAW_SQL:
            cases[f"raw {name}"] = timer(f"raw {name}", RAW_SQL[name])
            if name in RAW_SQL_BEFORE:
                cases[f"before {name}"] = timer(f"before {name}", RAW_SQL_BEFORE[name])
            # The orchestrator is never cached: measured where its clusters are (Redis).
            server = caching if name == "orchestrator" else computing
            cases[f"computed {name}"] = endpoint(server, name, f"computed {name}")
            cases[f"cached {name}"] = endpoint(caching, name)
        results = interleaved(cases, repeat=args.requests)
    for key in cpu:  # drop the warm-up runs' figures
        cpu[key] = cpu[key][-args.requests :]

    print()
    print(
        f"system dashboard endpoints — {Contact.objects.count():,} contacts, "
        f"{CallAttempt.objects.count():,} attempts ({buckets:,} stats buckets), "
        f"{args.campaigns} campaigns; {args.requests} timed requests each; "
        f"load average {load_at_start} at the start, {load_average()} at the end"
    )
    for name in RAW_SQL:
        raw, computed = results[f"raw {name}"], results[f"computed {name}"]
        print(report_line(f"raw SQL: {name}", raw, cpu=cpu[f"raw {name}"]))
        if name in RAW_SQL_BEFORE:
            label = f"raw SQL before (full scan): {name}"
            print(report_line(label, results[f"before {name}"], cpu=cpu[f"before {name}"]))
        if name == "queue":
            label = "raw SQL: queue, its due contacts alone"
            print(report_line(label, results["due"], cpu=cpu["due"]))
        print(
            report_line(
                f"HTTP GET …/stats/{name}, computed", computed, raw, cpu=cpu[f"computed {name}"]
            )
        )
        if name != "orchestrator":  # always live
            print(report_line(f"HTTP GET …/stats/{name}, cached", results[f"cached {name}"]))
        verdict = "ok" if p50(computed) <= TARGET_MS else "MISSED"
        print(
            f"    {counts[name]} queries (1 of them the token lookup; target ≤ {TARGET_QUERIES} "
            f"+ token); computed p50 target ≤ {TARGET_MS} ms: {verdict}"
        )
    print("  answers checked against the full scan of the attempts: the same figures")


if __name__ == "__main__":
    main()

"""Benchmark: the five system dashboard endpoints over HTTP on PostgreSQL, each beside the raw
SQL of the same aggregates, measured in the same run, with the queries each one makes.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_wt6_bench \\
        .venv/bin/python bench/system_stats.py --contacts 1000000

Target (DESIGN §9): each endpoint p50 ≤ 200 ms and ≤ 3 queries at 1M contacts. Overview, queue,
platforms and campaigns are cached for STATS_CACHE_TTL_SECONDS: "computed" is measured on a
server with STATS_CACHE_TTL_SECONDS=0 and no Redis (every request computes), "cached" on one
with the production setup (Redis, 60 s). Requests and baselines are interleaved, so a load
change on a shared machine hits all alike. Queries are counted in this process through
Django's test client with the same token (one of them is the token lookup), on a cold cache.
"""

from __future__ import annotations

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

# Each baseline is the aggregate the endpoint needs, written by hand.
RAW_SQL = {
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
    "queue": """
        SELECT * FROM
          (SELECT count(*),
                  extract(epoch FROM now() - min(coalesce(c.next_attempt_at, c.created_at)))
             FROM contacts_contact c JOIN campaigns_campaign k ON k.id = c.campaign_id
            WHERE k.status = 'running' AND NOT c.do_not_call
              AND c.attempts_count < k.max_attempts
              AND c.state IN ('pending', 'not_reached')
              AND (c.next_attempt_at IS NULL OR c.next_attempt_at <= now())) a
          CROSS JOIN (SELECT count(*) FILTER (WHERE outcome IS NULL),
                             count(*) FILTER (WHERE outcome = 'completed'),
                             count(*) FILTER (WHERE outcome = 'failed'),
                             extract(epoch FROM sum(ended_at - started_at)
                               FILTER (WHERE ended_at IS NOT NULL AND outcome IS NOT NULL)),
                             count(*) FILTER (WHERE ended_at IS NOT NULL AND outcome IS NOT NULL)
             FROM calls_callattempt) b
    """,
    "orchestrator": """
        SELECT * FROM
          (SELECT started_at, calls_placed FROM calls_schedulerrun
            ORDER BY started_at DESC LIMIT 1) a
          CROSS JOIN (SELECT coalesce(sum(calls_placed), 0) FROM calls_schedulerrun
            WHERE started_at >= now() - interval '24 hours') b
          CROSS JOIN (SELECT count(*) FROM calls_callattempt WHERE outcome IS NULL) c
          CROSS JOIN (SELECT max(max_concurrent_calls) FROM calls_providerconfig) d
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
          FROM calls_callattempt GROUP BY provider
    """,
    "campaigns": """
        SELECT * FROM
          (SELECT count(*) FILTER (WHERE status = 'draft'),
                  count(*) FILTER (WHERE status = 'scheduled'),
                  count(*) FILTER (WHERE status = 'running'),
                  count(*) FILTER (WHERE status = 'paused'),
                  count(*) FILTER (WHERE status = 'completed'),
                  count(*) FILTER (WHERE status = 'cancelled') FROM campaigns_campaign) a
          CROSS JOIN (SELECT coalesce(sum(ceil(extract(epoch FROM ended_at - answered_at) / 60)), 0)
             FROM calls_callattempt WHERE ended_at >= answered_at) b
          CROSS JOIN (SELECT max(cost_per_minute) FROM calls_providerconfig) c
    """,
}
TARGET_MS = 200
TARGET_QUERIES = 3


def query_counts(token: str) -> dict[str, int]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Token {token}")
    counts = {}
    for name in RAW_SQL:
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/dashboard/stats/{name}", SERVER_NAME="127.0.0.1")
        assert response.status_code == 200, (name, response.status_code)
        counts[name] = len(queries)
    return counts


def main() -> None:
    args = prepare(__doc__.splitlines()[0], contacts=1_000_000, campaigns=7, requests=20, port=8062)

    from calls.models import CallAttempt
    from contacts.models import Contact

    token = api_token("bench-viewer", "viewer")
    counts = query_counts(token)
    baselines = {name: raw_sql_timer(sql) for name, sql in RAW_SQL.items()}

    with (
        # Every request computes: no cache entry lives, and none is shared with the other
        # server (local memory instead of Redis).
        gunicorn(
            port=args.port, env={"STATS_CACHE_TTL_SECONDS": "0", "REDIS_URL": ""}
        ) as computing,
        gunicorn(port=args.port + 1) as caching,  # as in production: Redis, 60 s
    ):

        def endpoint(server, name: str):
            return lambda: server.get_json(f"/api/dashboard/stats/{name}", token)[0]

        cases = {}
        for name in RAW_SQL:
            cases[f"raw {name}"] = baselines[name]
            # The orchestrator is never cached: measured where its clusters are (Redis).
            server = caching if name == "orchestrator" else computing
            cases[f"computed {name}"] = endpoint(server, name)
            cases[f"cached {name}"] = endpoint(caching, name)
        results = interleaved(cases, repeat=args.requests)

    print()
    print(
        f"system dashboard endpoints — {Contact.objects.count():,} contacts, "
        f"{CallAttempt.objects.count():,} attempts, {args.campaigns} campaigns; "
        f"{args.requests} timed requests each; load average {load_average()}"
    )
    for name in RAW_SQL:
        raw, computed = results[f"raw {name}"], results[f"computed {name}"]
        print(report_line(f"raw SQL: {name}", raw))
        print(report_line(f"HTTP GET …/stats/{name}, computed", computed, raw))
        if name != "orchestrator":  # always live
            print(report_line(f"HTTP GET …/stats/{name}, cached", results[f"cached {name}"]))
        verdict = "ok" if p50(computed) <= TARGET_MS else "MISSED"
        print(
            f"    {counts[name]} queries (1 of them the token lookup; target ≤ {TARGET_QUERIES} "
            f"+ token); computed p50 target ≤ {TARGET_MS} ms: {verdict}"
        )


if __name__ == "__main__":
    main()

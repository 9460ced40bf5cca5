"""Benchmark: a campaign's survey results per question (dashboard/results.py) on PostgreSQL,
uncached (whole set, and broken down by an attribute) and cached, beside the same GROUP BY
statements executed directly, measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_results_bench \\
        .venv/bin/python bench/results.py --contacts 1000000

The database is created if missing and migrated. The campaign — N contacts, 37 % of them
completed with the seven-question survey of campaigns/tests/questionnaire_samples.py (q1 "no"
skips q2–q4; about 3 % of the questions not understood), ~6.6 answers per survey (~2.45M
answers at 1M contacts), an attribute `region` of 20 values — is written by INSERT … SELECT
from generate_series (COPY speed, all in the server), unless a campaign of that size from an
earlier run is there (`--rebuild` writes it again); then VACUUM ANALYZE.

Targets (issue 14): at 1M contacts / ~370k surveys / ~2.5M answers, uncached p50 ≤ 300 ms,
with a breakdown ≤ 1 s.

The selector reads the results rollup (calls/results_buckets.py), built here once from the
answers written in bulk (its time is printed), as the survey saves would have kept it. "Raw
SQL" is the statements the selector sent in one run (captured, with their parameters),
sent again on a psycopg connection of its own, fetching every row: the database's share of the
selector's time; for scale, the statements of the same results counted from every answer
(`rollup=False`) are timed too. The selector runs in this process (ORM + Python, no HTTP);
"cached" reads Redis at REDIS_URL through `campaign_results_cached`.
"""

from __future__ import annotations

import argparse
import time

from _common import (
    database_prepare,
    django_setup,
    interleaved,
    load_average,
    p50,
    raw_sql_timer,
    report_line,
    vacuum_analyze,
)

COMPLETED_PERCENT = 37
REGIONS = 20
TARGET_MS = {"uncached": 300, "breakdown": 1000}

# Everything keyed by the contact's number i, so that every table's ids can be derived
# without reading another: md5(campaign:kind:i)::uuid.
CONTACTS_SQL = """
INSERT INTO contacts_contact (
    id, external_contact_id, phone_number, email, preferred_language, timezone,
    has_prior_consent, do_not_call, state, attempts_count, last_outcome, created_at,
    updated_at, campaign_id, attributes)
SELECT md5(%(c)s || ':c:' || i)::uuid, 'EXT-' || i, '+39347' || lpad(i::text, 7, '0'), '',
       'auto', 'Europe/Rome', false, false,
       CASE WHEN i %% 100 < %(pct)s THEN 'completed' ELSE 'pending' END,
       CASE WHEN i %% 100 < %(pct)s THEN 1 + i %% 3 ELSE 0 END,
       CASE WHEN i %% 100 < %(pct)s THEN 'completed' ELSE '' END,
       now(), now(), %(c)s::uuid,
       jsonb_build_object('region', 'r' || lpad(((i %% 97) %% %(regions)s)::text, 2, '0'))
FROM generate_series(1, %(n)s) AS i
"""
# Completed contacts: their completing attempt (its number 1–3), their survey over 30 days.
COMPLETED = """
FROM generate_series(1, %(n)s) AS i,
     LATERAL (SELECT timestamptz '2026-10-01' + i * (2592000.0 / %(n)s) * interval '1 s' AS t) w
WHERE i %% 100 < %(pct)s
"""
ATTEMPTS_SQL = (
    """
INSERT INTO calls_callattempt (
    call_id, attempt_number, provider, provider_call_id, started_at, answered_at, ended_at,
    outcome, provider_raw_status, error_code, metadata, dialogue_step, transcript, campaign_id,
    contact_id, dialled_at)
SELECT md5(%(c)s || ':a:' || i)::uuid, 1 + i %% 3, 'simulator', '', t - interval '3 min',
       t - interval '170 s', t, 'completed', 'completed', '', '{}', '', '', %(c)s::uuid,
       md5(%(c)s || ':c:' || i)::uuid, t - interval '3 min'
"""
    + COMPLETED
)
RESPONSES_SQL = (
    """
INSERT INTO calls_surveyresponse (
    id, consent_at, completed_at, call_attempt_id, campaign_id, contact_id, answer_values,
    language)
SELECT md5(%(c)s || ':r:' || i)::uuid, t - interval '170 s', t, md5(%(c)s || ':a:' || i)::uuid,
       %(c)s::uuid, md5(%(c)s || ':c:' || i)::uuid, '{}',
       CASE WHEN i %% 3 = 0 THEN 'it' ELSE 'en' END
"""
    + COMPLETED
)
# q1 yes/no ("no", one survey in 8, skips q2–q4), q2 NPS 0–10, q3 a number 0–50, q4 one of
# three options, q5 yes/no, q6 free text, q7 a scale 1–5; one question in 31 not understood.
ANSWERS_SQL = """
INSERT INTO calls_answer (
    position, key, question_type, status, value, raw, mode, confidence, asked, response_id)
SELECT p, 'q' || p, (ARRAY['yes_no', 'scale', 'number', 'single_choice', 'yes_no',
                           'free_text', 'scale'])[p],
       CASE WHEN u THEN 'unanswered' ELSE 'answered' END,
       CASE WHEN u THEN '' ELSE v END, CASE WHEN u THEN '' ELSE v END, 'speech', 0.9,
       CASE WHEN u THEN 2 ELSE 1 END, md5(%(c)s || ':r:' || i)::uuid
FROM generate_series(1, %(n)s) AS i,
     generate_series(1, 7) AS p,
     LATERAL (SELECT (i + p * 13) %% 31 = 0 AS u,
                     CASE p
                         WHEN 1 THEN CASE WHEN i %% 8 = 0 THEN 'no' ELSE 'yes' END
                         WHEN 2 THEN ((i * 7) %% 11)::text
                         WHEN 3 THEN ((i * 11) %% 51)::text
                         WHEN 4 THEN (ARRAY['phone', 'email', 'letter'])[1 + (i / 7) %% 3]
                         WHEN 5 THEN CASE WHEN i %% 5 = 0 THEN 'no' ELSE 'yes' END
                         WHEN 6 THEN (ARRAY['faster support', 'cheaper prices', 'nothing',
                                            'better hours at weekends', 'the app crashes'])
                                     [1 + (i / 3) %% 5] || ' ' || (i %% 1000)
                         ELSE (1 + (i / 5) %% 5)::text
                     END AS v) a
WHERE i %% 100 < %(pct)s
  AND NOT (p BETWEEN 2 AND 4 AND i %% 8 = 0 AND (i + 13) %% 31 <> 0)
"""


def campaign_ensure(contacts: int, *, rebuild: bool):
    from django.db import connection, transaction

    from calls.models import ResultsBucket
    from campaigns.models import Campaign, Question
    from campaigns.tests.questionnaire_samples import TEXTS, seven_questions

    name = f"bench results {contacts}"
    campaign = Campaign.objects.filter(name=name).first()
    if campaign is not None and not rebuild and campaign.contacts.count() == contacts:
        if not ResultsBucket.objects.filter(campaign=campaign).exists():
            rollup_build(campaign)
        return campaign
    if campaign is not None:
        print("deleting the previous campaign…", flush=True)
        with connection.cursor() as cursor:  # faster than the ORM's cascade, row by row
            cursor.execute(
                "DELETE FROM calls_answer WHERE response_id IN "
                "(SELECT id FROM calls_surveyresponse WHERE campaign_id = %s)",
                [campaign.pk],
            )
            for table in ("calls_surveyresponse", "calls_callattempt", "contacts_contact"):
                cursor.execute(f"DELETE FROM {table} WHERE campaign_id = %s", [campaign.pk])
        campaign.delete()
    print(f"writing a campaign of {contacts:,} contacts…", flush=True)
    started = time.perf_counter()
    with transaction.atomic():
        campaign = Campaign.objects.create(
            name=name, languages=["en", "it"], texts=TEXTS, timezone="Europe/Rome"
        )
        for position, data in enumerate(seven_questions(), start=1):
            Question.from_data(campaign, position, data).save()
        params = {"c": str(campaign.pk), "n": contacts, "pct": COMPLETED_PERCENT}
        with connection.cursor() as cursor:
            for label, sql in [
                ("contacts", CONTACTS_SQL),
                ("attempts", ATTEMPTS_SQL),
                ("responses", RESPONSES_SQL),
                ("answers", ANSWERS_SQL),
            ]:
                step = time.perf_counter()
                cursor.execute(sql, {**params, "regions": REGIONS})
                print(
                    f"  {label}: {cursor.rowcount:,} rows in {time.perf_counter() - step:.1f} s",
                    flush=True,
                )
    print(f"written in {time.perf_counter() - started:.1f} s", flush=True)
    rollup_build(campaign)
    return campaign


def rollup_build(campaign) -> None:
    """The results rollup of the campaign written in bulk: what the survey saves would have
    kept (calls/results_buckets.py), counted once from the answers."""
    from calls.results_buckets import results_buckets_rebuild

    started = time.perf_counter()
    rows = results_buckets_rebuild(campaign=campaign)
    print(
        f"results rollup: {rows:,} rows counted in {time.perf_counter() - started:.1f} s; "
        "VACUUM ANALYZE…",
        flush=True,
    )
    vacuum_analyze()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=20, help="timed runs per case")
    parser.add_argument("--rebuild", action="store_true", help="write the campaign again")
    parser.add_argument("--explain", action="store_true", help="print the answers' plans")
    args = parser.parse_args()
    django_setup()
    database_prepare()

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from dashboard.cache import campaign_results_cached
    from dashboard.results import ResultsFilters, campaign_results
    from voicesurvey.stats_cache import campaign_stats_invalidate

    campaign = campaign_ensure(args.contacts, rebuild=args.rebuild)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM calls_answer a JOIN calls_surveyresponse r "
            "ON r.id = a.response_id WHERE r.campaign_id = %s",
            [campaign.pk],
        )
        (answers,) = cursor.fetchone()
    filters = ResultsFilters()

    def statements(by: str | None, *, rollup: bool = True) -> tuple[dict, list[str]]:
        with CaptureQueriesContext(connection) as captured:
            results = campaign_results(campaign=campaign, filters=filters, by=by, rollup=rollup)
        return results, [query["sql"] for query in captured.captured_queries]

    whole, whole_sql = statements(None)
    broken_down, by_sql = statements("region")
    from_answers, answers_sql = statements(None, rollup=False)
    # The rollup gives the figures the answers give.
    assert {**whole, "generated_at": None} == {**from_answers, "generated_at": None}, "rollup"
    # The figures hold together: every answer counted once, every survey in one group.
    assert sum(q["asked"] for q in whole["questions"]) == answers, "answers counted"
    assert all(q["asked"] + q["skipped"] == whole["responses"] for q in whole["questions"])
    groups = broken_down["questions"][0]["breakdown"]
    assert sum(g["responses"] for g in groups) == whole["responses"], "groups"
    if args.explain:
        with connection.cursor() as cursor:
            for sql in whole_sql[1:] + by_sql[1:]:
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                print("\n".join(row[0] for row in cursor.fetchall()), "\n")

    def summed(sqls: list[str]):
        timers = [raw_sql_timer(sql) for sql in sqls]
        return lambda: sum(timer() for timer in timers)

    def timed(by: str | None):
        def run() -> float:
            started = time.perf_counter()
            campaign_results(campaign=campaign, filters=filters, by=by)
            return (time.perf_counter() - started) * 1000

        return run

    def cached() -> float:
        started = time.perf_counter()
        answer = campaign_results_cached(campaign=campaign, filters=filters, by=None)
        elapsed = (time.perf_counter() - started) * 1000
        assert answer["cached"] is True, "expected a cached answer"
        return elapsed

    load_at_start = load_average()
    results = interleaved(
        {
            "raw": summed(whole_sql),
            "selector": timed(None),
            "raw_by": summed(by_sql),
            "selector_by": timed("region"),
            "raw_answers": summed(answers_sql),
        },
        repeat=args.requests,
    )
    campaign_stats_invalidate(campaign_id=campaign.pk)
    campaign_results_cached(campaign=campaign, filters=filters, by=None)  # fill
    results |= interleaved({"cached": cached}, repeat=args.requests)

    print()
    print(
        f"campaign results — {args.contacts:,} contacts, {whole['responses']:,} surveys, "
        f"{answers:,} answers, 7 questions; {args.requests} timed runs per line; "
        f"load average {load_at_start} at the start, {load_average()} at the end"
    )
    print(report_line(f"raw SQL: the selector's {len(whole_sql)} statements", results["raw"]))
    print(report_line("campaign_results() uncached", results["selector"], results["raw"]))
    print(report_line(f"raw SQL, by=region: {len(by_sql)} statements", results["raw_by"]))
    print(
        report_line(
            "campaign_results(by=region) uncached", results["selector_by"], results["raw_by"]
        )
    )
    print(report_line("campaign_results_cached() (Redis)", results["cached"]))
    print(
        report_line(
            f"for scale, raw SQL over every answer (rollup=False): {len(answers_sql)} statements",
            results["raw_answers"],
        )
    )
    for name, key in (("uncached", "selector"), ("breakdown", "selector_by")):
        target = TARGET_MS[name]
        print(f"  target {name} p50 ≤ {target} ms -> {p50(results[key]) / target:.0%} of it")


if __name__ == "__main__":
    main()

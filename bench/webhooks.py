#!/usr/bin/env python
"""Benchmark: webhook ingestion over HTTP — gunicorn with 2 workers on PostgreSQL, load from
this (second) process on loopback. Target: ≥ 300 events/s, p99 ≤ 50 ms, none lost or
duplicated. A plain-SQL baseline of the same writes is measured in the same run.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/webhooks.py [--calls 1500] [--concurrency 4] [--port 8041]

Any data set will do (the database is created if missing and migrated; the bench adds its
own calls).

It creates a campaign of `--calls` contacts, each with a call in flight, starts gunicorn
(`-w 2`, sync workers, production settings), and replays what a provider sends, signed as
the simulator signs: for every call initiated, ringing, then answered (65%) with the whole
dialogue (first prompt, consent, the seven questions of calls/tests/questionnaires.py —
yes/no, an NPS scale, a number, a choice, yes/no, free text, a 1–5 scale — keyed and spoken,
and the goodbye) and the end of the call, or busy
(10%) / no-answer (20%) / failed (5%). 8% of the events are sent twice (a provider's retry)
and for 5% of the calls "ringing" arrives only after the end of the call. Each client thread
owns a share of the calls and interleaves them, so a call's own events keep their order (as a
provider's do) while `--concurrency` requests are in flight at once.

Checked afterwards: every request answered 200; exactly one CallEvent per distinct event (no
loss, no duplicate); every call closed with the outcome its events imply; one survey
response per completed survey, with its seven answers. Baseline: the same number of events
written by one client with plain SQL (per event, one transaction: insert the event unless
present, update the attempt), no HTTP, no Django. The bench campaign is deleted at the end.
"""

from __future__ import annotations

import argparse
import collections
import http.client
import json
import os
import random
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor

from _common import database_prepare, django_setup, percentile, process_cpu_seconds
from _http import gunicorn

# The server verifies what this process signs: both read the secret from the environment.
os.environ.setdefault("SIMULATOR_WEBHOOK_SECRET", "bench-" + uuid.uuid4().hex)
django_setup()

from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from calls.models import Answer, CallAttempt, CallEvent, SurveyResponse  # noqa: E402
from calls.telephony.simulator import SIGNATURE_HEADER, sign  # noqa: E402
from calls.tests.questionnaires import CONSENTS, INTROS, seven_questions  # noqa: E402
from campaigns.models import Campaign, Question  # noqa: E402
from campaigns.questionnaire import question_data  # noqa: E402
from contacts.models import Contact  # noqa: E402

# The replies to consent and the seven questions, in order (q1 "yes": no skip).
ANSWERS = (
    {"digits": "1"},  # consent
    {"speech": "yes, I did", "confidence": 0.91},  # q1 yes/no
    {"digits": "9"},  # q2 0–10
    {"speech": "about three times", "confidence": 0.87},  # q3 number
    {"digits": "2"},  # q4 choice: email
    {"speech": "no, not really", "confidence": 0.83},  # q5 yes/no
    {"speech": "faster support", "confidence": 0.71},  # q6 free text
    {"digits": "4"},  # q7 1–5
)
QUESTIONS = len(ANSWERS) - 1


def build_calls(count: int) -> tuple[Campaign, list[str]]:
    now = timezone.now()
    campaign = Campaign.objects.create(
        name=f"Webhook bench {now:%H:%M:%S}",
        status="running",
        languages=["en"],
        texts={"en": {"intro": INTROS["en"], "consent": CONSENTS["en"]}},
        max_attempts=3,
    )
    Question.objects.bulk_create(
        Question.from_data(campaign, position, question_data(spec))
        for position, spec in enumerate(seven_questions(), start=1)
    )
    contacts = Contact.objects.bulk_create(
        Contact(
            campaign=campaign,
            phone_number=f"+3934{i:08d}",
            timezone="Europe/Rome",
            state="in_progress",
            attempts_count=1,
        )
        for i in range(count)
    )
    attempts = CallAttempt.objects.bulk_create(
        CallAttempt(contact=c, campaign=campaign, attempt_number=1, provider="simulator")
        for c in contacts
    )
    return campaign, [str(a.pk) for a in attempts]


def script(call_id: str, rng: random.Random) -> tuple[list[tuple[str, dict]], str]:
    """The requests a provider sends for one call, and the outcome they imply."""
    events = [("status", {"status": "initiated", "sequence": 1})]
    ringing = ("status", {"status": "ringing", "sequence": 2})
    late = rng.random() < 0.05  # ringing delivered only after the end of the call
    if not late:
        events.append(ringing)
    draw = rng.random()
    if draw < 0.65:
        events.append(("status", {"status": "answered", "sequence": 3}))
        events.append(("dialogue", {"turn": 0}))
        for turn, reply in enumerate(ANSWERS, start=1):
            events.append(("dialogue", {"turn": turn, **reply}))
        events.append(("status", {"status": "completed", "sequence": 4}))
        outcome = "completed"
    else:
        end, outcome = (
            ("busy", "busy")
            if draw < 0.75
            else ("no-answer", "no_answer")
            if draw < 0.95
            else ("failed", "failed")
        )
        events.append(("status", {"status": end, "sequence": 3}))
    if late:
        events.append(ringing)
    sent = []
    for event in events:
        sent.append(event)
        if rng.random() < 0.08:
            sent.append(event)  # the provider retries: same event again
    return [(kind, {"call_id": call_id, **data}) for kind, data in sent], outcome


class Client:
    def __init__(self, port: int):
        self.port = port
        self.latencies: list[float] = []
        self.statuses: collections.Counter = collections.Counter()
        self.lock = threading.Lock()

    def post(self, kind: str, data: dict) -> None:
        body = json.dumps(data).encode()
        path = f"/webhooks/telephony/simulator/{data['call_id']}/{kind}"
        headers = {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body)}
        started = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        finally:
            conn.close()
        elapsed = time.perf_counter() - started
        with self.lock:
            self.latencies.append(elapsed)
            self.statuses[status] += 1

    def run_share(self, scripts: list[list[tuple[str, dict]]]) -> None:
        """Send a share of the calls, interleaved, each call's events in order."""
        for step in range(max(len(s) for s in scripts)):
            for events in scripts:
                if step < len(events):
                    self.post(*events[step])


BASELINE_SQL = """
INSERT INTO calls_callevent (attempt_id, event_key, status, payload, received_at)
VALUES (%s, %s, %s, %s, now()) ON CONFLICT (attempt_id, event_key) DO NOTHING
"""


def baseline(call_ids: list[str], events: int) -> tuple[float, list[float]]:
    """Plain SQL, one client: per event, one transaction inserting it (unless present) and
    updating its attempt. Returns (seconds, latencies)."""
    latencies = []
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for i in range(events):
            call_id = call_ids[i % len(call_ids)]
            t = time.perf_counter()
            cursor.execute("BEGIN")
            cursor.execute(BASELINE_SQL, [call_id, f"baseline:{i}", "ringing", "{}"])
            cursor.execute(
                "UPDATE calls_callattempt SET provider_raw_status = %s WHERE call_id = %s",
                ["ringing", call_id],
            )
            cursor.execute("COMMIT")
            latencies.append(time.perf_counter() - t)
        cursor.execute("DELETE FROM calls_callevent WHERE event_key LIKE 'baseline:%%'")
    return time.perf_counter() - started, latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=1500)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--port", type=int, default=8041)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    database_prepare()

    campaign = None
    try:
        # The server first: if it cannot start, no bench campaign is created.
        with gunicorn(port=args.port) as server:
            rng = random.Random(args.seed)
            campaign, call_ids = build_calls(args.calls)
            scripts, expected = [], {}
            for call_id in call_ids:
                events, outcome = script(call_id, rng)
                scripts.append(events)
                expected[call_id] = outcome
            total = sum(len(s) for s in scripts)
            distinct = sum(len({(k, json.dumps(d, sort_keys=True)) for k, d in s}) for s in scripts)
            print(f"{args.calls} calls, {total} requests ({total - distinct} replays) …")

            client = Client(args.port)
            shares = [scripts[i :: args.concurrency] for i in range(args.concurrency)]
            # gunicorn's master and its workers (user + system time, from /proc).
            server_cpu = process_cpu_seconds(server.process.pid, with_children=True)
            load_before = os.getloadavg()[0]
            started = time.perf_counter()
            with ThreadPoolExecutor(args.concurrency) as pool:
                list(pool.map(client.run_share, shares))
            elapsed = time.perf_counter() - started
            server_cpu = process_cpu_seconds(server.process.pid, with_children=True) - server_cpu
            load_after = os.getloadavg()[0]

        # No loss, no duplicates, the right outcomes.
        stored = CallEvent.objects.filter(attempt__campaign=campaign).count()
        outcomes = dict(
            CallAttempt.objects.filter(campaign=campaign).values_list("call_id", "outcome")
        )
        wrong = [c for c in call_ids if outcomes[uuid.UUID(c)] != expected[c]]
        responses = SurveyResponse.objects.filter(campaign=campaign).count()
        answered = Answer.objects.filter(response__campaign=campaign, status="answered").count()
        completed = sum(1 for o in expected.values() if o == "completed")
        problems = []
        if set(client.statuses) != {200}:
            problems.append(f"non-200 answers: {dict(client.statuses)}")
        if stored != distinct:
            problems.append(f"{stored} events stored for {distinct} distinct events sent")
        if wrong:
            problems.append(f"{len(wrong)} calls ended with the wrong outcome")
        if responses != completed:
            problems.append(f"{responses} survey responses for {completed} completed surveys")
        if answered != completed * QUESTIONS:
            problems.append(f"{answered} answers for {completed} surveys of {QUESTIONS} questions")

        base_seconds, base_latencies = baseline(call_ids, min(total, 3000))
    finally:
        if campaign is not None:
            campaign.delete()  # its contacts, calls, events and stats buckets with it

    lat = [seconds * 1000 for seconds in client.latencies]
    base_lat = [seconds * 1000 for seconds in base_latencies]
    print(f"\nwebhooks over HTTP, gunicorn -w 2, {args.concurrency} concurrent clients:")
    print(f"  {total} requests in {elapsed:.1f} s = {total / elapsed:.0f} events/s")
    print(
        f"  gunicorn workers' CPU: {server_cpu * 1000 / total:.1f} ms per event "
        f"(load average {load_before:.1f} → {load_after:.1f} on {os.cpu_count()} cores)"
    )
    print(
        f"  latency p50 {percentile(lat, 50):.1f} ms   p95 {percentile(lat, 95):.1f} ms   "
        f"p99 {percentile(lat, 99):.1f} ms   max {max(lat):.1f} ms"
    )
    print(
        f"  stored {stored} events for {distinct} distinct sent; "
        f"{len(call_ids) - len(wrong)}/{len(call_ids)} calls with the right outcome; "
        f"{responses} responses"
    )
    print(
        f"  baseline (plain SQL, 1 client, no HTTP): {len(base_latencies) / base_seconds:.0f} "
        f"events/s, p50 {percentile(base_lat, 50):.1f} ms, "
        f"p99 {percentile(base_lat, 99):.1f} ms"
    )
    print("  target ≥ 300 events/s, p99 ≤ 50 ms, zero lost or duplicated")
    if problems:
        sys.exit("PROBLEMS: " + "; ".join(problems))


if __name__ == "__main__":
    main()

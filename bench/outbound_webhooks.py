#!/usr/bin/env python
"""Benchmark: outbound webhooks — a backlog of `--events` outcome events (100k) fanned out to
one subscription and delivered to a local receiver by 2 worker processes on PostgreSQL.
Target: ≥ 500 deliveries/s, no event lost, none twice, none out of order per contact.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vs_bench \\
        .venv/bin/python bench/outbound_webhooks.py [--events 100000] [--per-contact 4]

The receiver (integrations/receiver.py, in a process of its own) verifies every request with
the Standard Webhooks library and records each event's contact and id, before answering.
The workers run the product's sender (`webhook_deliveries_send`: claim with SKIP LOCKED,
sign, POST with keep-alive, record the answers), as the task cluster does, each in its own
process. Baseline, same run: the same receiver hit by 2 processes each posting its share of
the same signed bodies in a plain loop (requests, keep-alive): no database, no claim, no
record. The bench campaign and its events are deleted at the end.
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import multiprocessing
import os
import sys
import tempfile
import time

from _common import database_prepare, django_setup, load_average, vacuum_analyze

os.environ.setdefault("WEBHOOK_ALLOWED_HOSTS", "127.0.0.1")
django_setup()

from django.db import connections  # noqa: E402
from django.utils import timezone  # noqa: E402

from calls.models import SurveyEvent  # noqa: E402
from campaigns.models import Campaign  # noqa: E402
from contacts.models import Contact  # noqa: E402
from integrations.models import WebhookDelivery, WebhookFanoutCursor  # noqa: E402
from integrations.receiver import Receiver  # noqa: E402
from integrations.services import (  # noqa: E402
    webhook_secret_generate,
    webhook_subscription_create,
)

BATCH = 200  # deliveries claimed per round by each worker


def _receive(secret: str, port_queue, stop, out_path: str) -> None:
    """The receiver's process: record (contact id, event id, webhook-id) in arrival order."""
    seen: list[tuple[str, str, str]] = []

    def note(headers: dict, event: dict) -> None:
        data = event["data"]
        seen.append((data["contact"]["id"], data["event_id"], headers["webhook-id"]))

    receiver = Receiver(secret=secret, on_event=note, record=False).start()
    port_queue.put(receiver.port)
    stop.wait()
    receiver.stop()
    with open(out_path, "w") as out:
        json.dump({"events": seen, "rejected": receiver.rejected}, out)


def _deliver(done) -> None:
    """A worker: the product's sender until nothing is due."""
    from integrations.addresses import guarded_session
    from integrations.delivery import webhook_deliveries_send

    session = guarded_session()
    sent = 0
    idle = 0
    while idle < 3:  # a few empty claims in a row: the other worker holds the last ones
        summary = webhook_deliveries_send(now=timezone.now(), session=session, limit=BATCH)
        sent += summary.delivered
        idle = idle + 1 if not summary.claimed else 0
        if not summary.claimed:
            time.sleep(0.05)
    done.put(sent)


def _post_plain(url: str, bodies: list[tuple[dict, bytes]], done) -> None:
    import requests

    session = requests.Session()
    for headers, body in bodies:
        session.post(url, data=body, headers=headers, timeout=5).raise_for_status()
    done.put(len(bodies))


def _scene(events: int, per_contact: int) -> tuple[Campaign, list]:
    campaign = Campaign.objects.create(name=f"bench outbound webhooks {time.time():.0f}")
    contacts = Contact.objects.bulk_create(
        [
            Contact(
                campaign=campaign,
                external_contact_id=f"B-{i:06d}",
                phone_number=f"+39347{i:07d}",
                attributes={"segment": f"s{i % 7}"},
            )
            for i in range(events // per_contact)
        ],
        batch_size=5000,
    )
    start = timezone.now() - dt.timedelta(minutes=30)
    rows = []
    # Interleaved: contact 0, 1, 2 … then each again, so a contact's events are far apart in
    # the backlog and order per contact is a real constraint.
    for n in range(events):
        contact = contacts[n % len(contacts)]
        rows.append(
            SurveyEvent(
                type="survey.completed",
                campaign=campaign,
                contact=contact,
                payload={"outcome": "completed", "attempts": 1, "answers": {"q1": "9"}},
                created_at=start + dt.timedelta(milliseconds=n),
            )
        )
    SurveyEvent.objects.bulk_create(rows, batch_size=5000)
    return campaign, rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--per-contact", type=int, default=4)
    args = parser.parse_args()
    database_prepare()
    print(f"load average: {load_average()}", flush=True)

    print(f"backlog: {args.events} events, {args.per_contact} per contact …", flush=True)
    campaign, events = _scene(args.events, args.per_contact)
    expected_order = collections.defaultdict(list)
    for event in events:
        expected_order[str(event.contact_id)].append(str(event.pk))

    secret = webhook_secret_generate()
    ctx = multiprocessing.get_context("fork")
    port_queue, stop = ctx.Queue(), ctx.Event()
    out_path = tempfile.mktemp(suffix=".json")
    connections.close_all()
    receiver = ctx.Process(target=_receive, args=(secret, port_queue, stop, out_path))
    receiver.start()
    port = port_queue.get(timeout=30)
    url = f"http://127.0.0.1:{port}/hooks"

    subscription, _ = webhook_subscription_create(
        actor=None, fields={"url": url, "event_types": ["survey.completed"]}
    )
    subscription.secret = secret
    subscription.created_at = timezone.now() - dt.timedelta(hours=1)
    subscription.save(update_fields=["secret", "created_at"])
    WebhookFanoutCursor.objects.all().delete()

    try:
        from integrations.fanout import webhook_events_fan_out

        started = time.perf_counter()
        fanned = webhook_events_fan_out(now=timezone.now())
        fan_out_seconds = time.perf_counter() - started
        assert fanned == args.events, fanned
        # As autovacuum would have by then: a table filled in a minute is not analysed yet, and
        # the claim's plans are measured as production runs them.
        vacuum_analyze()

        connections.close_all()
        done = ctx.Queue()
        started = time.perf_counter()
        workers = [ctx.Process(target=_deliver, args=(done,)) for _ in range(2)]
        for worker in workers:
            worker.start()
        delivered = sum(done.get(timeout=3600) for _ in workers)
        deliver_seconds = time.perf_counter() - started
        for worker in workers:
            worker.join()

        # Baseline: the same signed bodies, posted in a plain loop by 2 processes.
        from integrations.delivery import webhook_sign

        bodies = []
        for delivery in WebhookDelivery.objects.filter(subscription=subscription).iterator(5000):
            body = json.dumps(delivery.payload, separators=(",", ":")).encode()
            bodies.append(
                (
                    {
                        "Content-Type": "application/json",
                        **webhook_sign(secret=secret, msg_id=delivery.webhook_id, body=body),
                    },
                    body,
                )
            )
        connections.close_all()
        started = time.perf_counter()
        plain = [ctx.Process(target=_post_plain, args=(url, bodies[i::2], done)) for i in range(2)]
        for process in plain:
            process.start()
        posted = sum(done.get(timeout=3600) for _ in plain)
        plain_seconds = time.perf_counter() - started
        for process in plain:
            process.join()
    finally:
        stop.set()
        receiver.join(timeout=60)

    with open(out_path) as source:
        received = json.load(source)
    os.unlink(out_path)
    product = received["events"][: len(received["events"]) - posted]
    got_order = collections.defaultdict(list)
    for contact_id, event_id, _webhook_id in product:
        got_order[contact_id].append(event_id)
    lost = args.events - len({event_id for _c, event_id, _w in product})
    twice = len(product) - len({event_id for _c, event_id, _w in product})
    out_of_order = sum(1 for c, ids in expected_order.items() if got_order.get(c) != ids)
    pending = (
        WebhookDelivery.objects.filter(subscription=subscription)
        .exclude(status="delivered")
        .count()
    )

    rate = delivered / deliver_seconds
    print()
    print(
        f"  fan-out (events → deliveries)     {fanned / fan_out_seconds:8.0f} events/s"
        f"   ({fan_out_seconds:.1f} s)"
    )
    print(
        f"  delivery, 2 worker processes      {rate:8.0f} deliveries/s"
        f"   ({deliver_seconds:.1f} s)   target ≥ 500"
    )
    print(
        f"  end to end (fan-out + delivery)   "
        f"{args.events / (fan_out_seconds + deliver_seconds):8.0f} events/s"
    )
    print(
        f"  baseline: plain signed POSTs, 2 processes "
        f"{posted / plain_seconds:8.0f} requests/s   ({plain_seconds:.1f} s)"
        f"   product at {rate / (posted / plain_seconds):.0%} of it"
    )
    print(
        f"  delivered {delivered}, lost {lost}, twice {twice}, "
        f"contacts out of order {out_of_order}, not delivered {pending}, "
        f"bad signatures {received['rejected']}"
    )
    print(f"load average: {load_average()}")

    WebhookDelivery.objects.filter(subscription=subscription).delete()
    subscription.delete()
    campaign.delete()
    ok = rate >= 500 and not (lost or twice or out_of_order or pending or received["rejected"])
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()

"""Sending deliveries (docs/integrations.md): claimed in batches by any number of workers
(`SKIP LOCKED` and a lease), in order per contact, signed per Standard Webhooks, retried with
exponential back-off for WEBHOOK_RETRY_HOURS, recorded with their answer."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import time
from typing import cast
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Field, Q
from django.db.models.functions import Coalesce
from django.utils import timezone
from standardwebhooks import Webhook

from integrations.addresses import BlockedAddress, guarded_session
from integrations.fanout import webhook_events_fan_out
from integrations.metrics import webhook_deliveries_total, webhook_delivery_duration_seconds
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from integrations.services import webhook_subscription_disable
from voicesurvey.tracing import trace_headers

logger = logging.getLogger(__name__)

LEASE = dt.timedelta(minutes=2)
# How many of the oldest due deliveries a claim looks at, per delivery it may take: the others
# wait behind an earlier event of their contact.
CANDIDATES_PER_CLAIM = 4  # longer than a batch of sends can take with its timeouts
BACKOFF_FIRST = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
EXCERPT_CHARS = 500
_READ_LIMIT = 64 * 1024  # read no more of an answer than this, whatever the receiver sends
USER_AGENT = "voicesurvey-webhooks/1"
# Answers retried besides 5xx: request timeout, too many requests.
_RETRIED_4XX = {408, 429}
_DELIVERY_FIELDS = [
    "status",
    "attempts",
    "next_attempt_at",
    "locked_until",
    "last_attempt_at",
    "delivered_at",
    "response_code",
    "response_excerpt",
    "latency_ms",
    "error",
]


@dataclasses.dataclass
class SendSummary:
    claimed: int = 0
    delivered: int = 0
    retried: int = 0
    failed: int = 0
    disabled: int = 0

    def add(self, other: SendSummary) -> None:
        for field in dataclasses.fields(self):
            setattr(self, field.name, getattr(self, field.name) + getattr(other, field.name))


@dataclasses.dataclass
class _Answer:
    code: int | None
    excerpt: str
    error: str
    seconds: float
    blocked: bool = False


def backoff(attempts: int) -> dt.timedelta:
    """The wait after the `attempts`-th failed attempt: 30 s, 1 min, 2 min … at most 1 h."""
    return min(BACKOFF_FIRST * 2 ** max(0, attempts - 1), BACKOFF_MAX)


def webhook_sign(
    *, secret: str, msg_id: str, body: bytes, timestamp: dt.datetime | None = None
) -> dict[str, str]:
    """The Standard Webhooks headers of one request."""
    timestamp = timestamp or timezone.now()
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(timestamp.timestamp())),
        "webhook-signature": Webhook(secret).sign(msg_id=msg_id, timestamp=timestamp, data=body),
    }


def webhook_deliveries_claim(*, now: dt.datetime, limit: int) -> list[WebhookDelivery]:
    """Up to `limit` deliveries due now, oldest event first, leased to this worker. A
    delivery waits while an earlier one of the same contact and subscription is pending, so
    each contact's events arrive in order; a claim therefore holds one per contact.

    Three plain statements rather than one with a correlated NOT EXISTS: on a table filled
    faster than it is analysed (a backlog), PostgreSQL planned that one as a nested loop over
    every pending row for every pending row. These are index range reads whatever the
    statistics say: the oldest due deliveries, the pending ones of their contacts, and the
    lock of the heads."""
    subscriptions = {
        s.pk: s
        for s in WebhookSubscription.objects.filter(is_active=True).filter(
            Q(paused_until__isnull=True) | Q(paused_until__lte=now)
        )
    }
    if not subscriptions:
        return []
    due = (
        WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING)
        .filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now))
        .filter(subscription_id__in=list(subscriptions), next_attempt_at__lte=now)
    )
    candidates = list(
        due.order_by("occurred_at", "event_key").values_list(
            "pk", "subscription_id", "contact_id", "occurred_at", "event_key"
        )[: limit * CANDIDATES_PER_CLAIM]
    )
    if not candidates:
        return []
    # The head of each (subscription, contact): its earliest pending delivery, whether due,
    # leased to another worker or waiting for its retry.
    heads: dict[tuple, tuple] = {}
    contact_ids = {c[2] for c in candidates if c[2] is not None}
    if contact_ids:
        for key_sub, key_contact, occurred_at, event_key in WebhookDelivery.objects.filter(
            status=DeliveryStatus.PENDING,
            subscription_id__in={c[1] for c in candidates},
            contact_id__in=contact_ids,
        ).values_list("subscription_id", "contact_id", "occurred_at", "event_key"):
            key = (key_sub, key_contact)
            if key not in heads or (occurred_at, event_key) < heads[key]:
                heads[key] = (occurred_at, event_key)
    eligible = [
        pk
        for pk, sub, contact, occurred_at, event_key in candidates
        if contact is None or heads.get((sub, contact)) == (occurred_at, event_key)
    ][:limit]
    if not eligible:
        return []
    with transaction.atomic():
        # Again under the lock: another worker may have taken some since they were read.
        claimed = list(
            due.filter(pk__in=eligible)
            .select_for_update(skip_locked=True)
            .order_by("occurred_at", "event_key")
        )
        if claimed:
            WebhookDelivery.objects.filter(pk__in=[d.pk for d in claimed]).update(
                locked_until=now + LEASE
            )
    for delivery in claimed:
        delivery.subscription = subscriptions[delivery.subscription_id]
    return claimed


def _blocked(exc: BaseException) -> bool:
    """Whether the address check refused the connection (requests wraps urllib3's error,
    which holds ours as its reason)."""
    seen: BaseException | None = exc
    for _ in range(10):  # a chain of a few wrappers at most
        if seen is None:
            return False
        if isinstance(seen, BlockedAddress) or isinstance(
            getattr(seen, "reason", None), BlockedAddress
        ):
            return True
        nested = seen.args[0] if seen.args and isinstance(seen.args[0], BaseException) else None
        seen = nested or seen.__cause__ or seen.__context__
    return False


def _post(session: requests.Session, delivery: WebhookDelivery) -> _Answer:
    body = json.dumps(delivery.payload, separators=(",", ":"), ensure_ascii=False).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        **webhook_sign(secret=delivery.subscription.secret, msg_id=delivery.webhook_id, body=body),
        **(trace_headers(delivery.trace_id) if delivery.trace_id else {}),
    }
    started = time.perf_counter()
    try:
        with session.post(
            delivery.subscription.url,
            data=body,
            headers=headers,
            timeout=settings.WEBHOOK_TIMEOUT_SECONDS,
            allow_redirects=False,
            stream=True,
        ) as response:
            raw = b""
            for chunk in response.iter_content(8192):
                raw += chunk
                if len(raw) >= _READ_LIMIT:
                    break
            excerpt = raw.decode("utf-8", "replace")[:EXCERPT_CHARS]
            return _Answer(response.status_code, excerpt, "", time.perf_counter() - started)
    except requests.Timeout:
        return _Answer(None, "", "Timed out.", time.perf_counter() - started)
    except requests.RequestException as exc:
        seconds = time.perf_counter() - started
        if _blocked(exc):
            return _Answer(
                None,
                "",
                "Blocked: the host resolves to an address webhooks may not reach "
                "(WEBHOOK_ALLOWED_HOSTS).",
                seconds,
                blocked=True,
            )
        return _Answer(None, "", f"Connection error: {type(exc).__name__}.", seconds)


def _subscription_succeeded(subscription: WebhookSubscription) -> None:
    """A delivery went through: the failures in a row start again from zero."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=0, failing_since=None, paused_until=None
    )
    subscription.consecutive_failures, subscription.failing_since = 0, None
    subscription.paused_until = None


def _subscription_failed(
    subscription: WebhookSubscription, *, now: dt.datetime, pause_until: dt.datetime | None
) -> bool:
    """Count a failed attempt; disable the subscription past the threshold. True if it was."""
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        consecutive_failures=F("consecutive_failures") + 1,
        failing_since=Coalesce(F("failing_since"), now),
        paused_until=pause_until,
    )
    subscription.refresh_from_db(
        fields=["consecutive_failures", "failing_since", "paused_until", "is_active"]
    )
    failing_for = now - (subscription.failing_since or now)
    too_many = subscription.consecutive_failures >= settings.WEBHOOK_DISABLE_AFTER_FAILURES
    too_long = failing_for >= dt.timedelta(hours=settings.WEBHOOK_DISABLE_AFTER_HOURS)
    if subscription.is_active and (too_many or too_long):
        reason = (
            f"{subscription.consecutive_failures} deliveries failed in a row"
            + (f" over {failing_for.total_seconds() / 3600:.0f} h" if too_long else "")
            + "."
        )
        webhook_subscription_disable(subscription=subscription, reason=reason, actor=None, now=now)
        return True
    return False


def webhook_deliveries_send(
    *, now: dt.datetime, session: requests.Session, limit: int = 100
) -> SendSummary:
    """Claim up to `limit` due deliveries and send them; record each answer."""
    summary = SendSummary()
    claimed = webhook_deliveries_claim(now=now, limit=limit)
    summary.claimed = len(claimed)
    stopped: set = set()  # subscriptions paused or disabled during this batch
    # One object per subscription, so that its failure count is shared by the batch.
    subscriptions: dict = {}
    for delivery in claimed:
        subscription = subscriptions.setdefault(delivery.subscription_id, delivery.subscription)
        delivery.locked_until = None
        if subscription.pk in stopped:
            continue  # released untried: it keeps its place in the order
        answer = _post(session, delivery)
        webhook_delivery_duration_seconds.observe(answer.seconds)
        delivery.attempts += 1
        delivery.last_attempt_at = now
        delivery.response_code = answer.code
        delivery.response_excerpt = answer.excerpt
        delivery.latency_ms = round(answer.seconds * 1000)
        delivery.error = answer.error
        code = answer.code
        host = urlsplit(subscription.url).hostname
        if code is not None and 200 <= code < 300:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                DeliveryStatus.DELIVERED,
                now,
                None,
            )
            summary.delivered += 1
            webhook_deliveries_total.labels(result="delivered").inc()
            if subscription.consecutive_failures or subscription.paused_until:
                _subscription_succeeded(subscription)
            continue
        if code == 410:
            # Gone: the receiver asks us to stop. The event stays pending, in case the
            # subscription is enabled again.
            delivery.next_attempt_at = now
            stopped.add(subscription.pk)
            webhook_subscription_disable(
                subscription=subscription,
                reason="The receiver answered 410 Gone.",
                actor=None,
                now=now,
            )
            summary.disabled += 1
            webhook_deliveries_total.labels(result="disabled").inc()
            logger.warning(
                "webhook subscription %s disabled: %s answered 410", subscription.pk, host
            )
            continue
        retry = code is None or code >= 500 or code in _RETRIED_4XX
        if answer.blocked:
            retry = False
        next_at = now + backoff(delivery.attempts)
        if retry and delivery.retry_until is not None and next_at > delivery.retry_until:
            retry = False
            delivery.error = (delivery.error + " Gave up: retried for the whole retry period.")[
                :300
            ].strip()
        if retry:
            delivery.next_attempt_at = next_at
            stopped.add(subscription.pk)
            summary.retried += 1
            webhook_deliveries_total.labels(result="retry").inc()
        else:
            delivery.status, delivery.next_attempt_at = DeliveryStatus.FAILED, None
            if code is not None and not delivery.error:
                delivery.error = (
                    f"Redirect not followed ({code})." if 300 <= code < 400 else f"HTTP {code}."
                )
            summary.failed += 1
            webhook_deliveries_total.labels(result="failed").inc()
        logger.info(
            "webhook delivery %s to %s: %s",
            delivery.pk,
            host,
            code if code is not None else delivery.error,
        )
        if _subscription_failed(subscription, now=now, pause_until=next_at if retry else None):
            stopped.add(subscription.pk)
            summary.disabled += 1
            webhook_deliveries_total.labels(result="disabled").inc()
    _deliveries_record(claimed)
    return summary


def _deliveries_record(deliveries: list[WebhookDelivery]) -> None:
    """Write the batch's answers: one statement, its rows sent together (psycopg pipelines
    executemany). bulk_update's CASE per field and row cost more than the sends themselves."""
    if not deliveries:
        return
    table = connection.ops.quote_name(WebhookDelivery._meta.db_table)
    # Concrete columns, all of them (cast for the type checker: get_field may name a relation).
    fields = [cast(Field, WebhookDelivery._meta.get_field(name)) for name in _DELIVERY_FIELDS]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in fields)
    pk = WebhookDelivery._meta.pk
    assert pk is not None
    rows = [
        [f.get_db_prep_save(getattr(d, f.attname), connection) for f in fields]
        + [pk.get_db_prep_value(d.pk, connection)]
        for d in deliveries
    ]
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments} WHERE {connection.ops.quote_name(pk.column)} = %s",
            rows,
        )


@dataclasses.dataclass
class DrainSummary:
    fanned_out: int = 0
    sent: SendSummary = dataclasses.field(default_factory=SendSummary)


def webhooks_drain(
    *,
    now: dt.datetime | None = None,
    time_budget_seconds: float | None = None,
    session: requests.Session | None = None,
    batch_size: int = 100,
) -> DrainSummary:
    """Fan new events out, then send what is due until nothing is or the time budget is spent.
    `now` fixes the clock (tests drive retries with it); else the clock is read each batch."""
    summary = DrainSummary()
    summary.fanned_out = webhook_events_fan_out(now=now or timezone.now())
    session = session or guarded_session()
    deadline = time.monotonic() + (
        time_budget_seconds if time_budget_seconds is not None else settings.WEBHOOK_DRAIN_SECONDS
    )
    while time.monotonic() < deadline:
        sent = webhook_deliveries_send(now=now or timezone.now(), session=session, limit=batch_size)
        summary.sent.add(sent)
        if not sent.claimed:
            break
    return summary

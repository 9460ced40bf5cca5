"""The product's Prometheus metrics, each defined once here and incremented at the one place
its operation lives (README, "Operations"; docs/operations.md, "Metrics"). The outbound
webhooks' own two are in integrations/metrics.py.

Conventions: a `voicesurvey_` prefix, counters end in `_total`, durations are `_seconds`, and
labels take a handful of values each — never a campaign id, a call id or a phone number.

Several processes report together (prometheus-client's multiprocess mode): with
`PROMETHEUS_MULTIPROC_DIR` in the environment of the gunicorn workers, the task clusters'
workers and `run_scheduler`, each process writes its counters and histograms to files there,
and /metrics adds them up (`MultiProcessCollector`); without it, one process's own registry.

The dial queue's gauges are not kept by any process: /metrics reads them from the database
when it is scraped (`QueueFigures`, a few indexed aggregates). A gauge set by the scheduler
would be as old as the last tick, would be wrong once a campaign is paused between ticks,
and in multiprocess mode would need a per-process aggregation rule (`livemax`…) whose answer
after a restart is the last value of a dead process. The database is the truth, and asking
it at scrape time costs one query per figure every scrape interval.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Callable, Iterator

from django.conf import settings
from django.db import DatabaseError
from django.utils import timezone
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

# --- Calls and the scheduler (calls/scheduler.py, calls/outcomes.py) -----------------------------

calls_placed_total = Counter(
    "voicesurvey_calls_placed_total",
    "Calls handed to the telephony provider and placed by it, by provider.",
    ["provider"],
)
call_outcomes_total = Counter(
    "voicesurvey_call_outcomes_total",
    "Call attempts closed with an outcome that counts as an attempt (completed, refused, "
    "no_answer, busy, failed).",
    ["outcome"],
)
call_attempts_given_back_total = Counter(
    "voicesurvey_call_attempts_given_back_total",
    "Call attempts closed without using one of the contact's attempts, by reason "
    "(provider_unavailable, never_dialled, calling_hours_ended).",
    ["reason"],
)
provider_errors_total = Counter(
    "voicesurvey_provider_errors_total",
    "Failures to place a call, by provider and kind: rejected (the provider refused the "
    "number), unavailable (an outage: dialling pauses), error (any other fault, also pausing).",
    ["provider", "kind"],
)
scheduler_ticks_total = Counter(
    "voicesurvey_scheduler_ticks_total",
    "Scheduler ticks run, by how they ended (finished, failed).",
    ["status"],
)
scheduler_tick_duration_seconds = Histogram(
    "voicesurvey_scheduler_tick_duration_seconds",
    "Wall time of one scheduler tick, pacing waits included.",
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120),
)
scheduler_calls_per_tick = Histogram(
    "voicesurvey_scheduler_calls_per_tick",
    "Calls placed by one scheduler tick.",
    buckets=(0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500),
)

# --- Provider webhooks (calls/webhooks.py) -------------------------------------------------------

telephony_webhooks_total = Counter(
    "voicesurvey_telephony_webhooks_total",
    "Inbound telephony webhook requests, by provider (other: not one we know), kind (status, "
    "dialogue) and the HTTP status answered.",
    ["provider", "kind", "code"],
)
telephony_webhook_duration_seconds = Histogram(
    "voicesurvey_telephony_webhook_duration_seconds",
    "Time to handle one inbound telephony webhook, by provider and kind.",
    ["provider", "kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)

# --- Exports (exports/services.py) ---------------------------------------------------------------

exports_total = Counter(
    "voicesurvey_exports_total",
    "Exports finished, by status (completed, failed) and format.",
    ["status", "format"],
)
export_duration_seconds = Histogram(
    "voicesurvey_export_duration_seconds",
    "Time from an export's start by a worker to its end, by status (completed, failed).",
    ["status"],
    buckets=(0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800),
)

# --- Emails (calls/services.py) ------------------------------------------------------------------

emails_total = Counter(
    "voicesurvey_emails_total",
    "Follow-up emails tried, by result: sent, retry (a sending error, tried again later), "
    "failed (for good: a template error or the last try).",
    ["result"],
)

# --- The statistics cache (dashboard/cache.py) ---------------------------------------------------

stats_cache_lookups_total = Counter(
    "voicesurvey_stats_cache_lookups_total",
    "Dashboard statistics read through the cache, by block (campaign_stats, campaign_results, "
    "system) and result (hit, miss; a cache outage is a miss).",
    ["block", "result"],
)

# --- Login (voicesurvey/auth_audit.py) -----------------------------------------------------------

login_failures_total = Counter(
    "voicesurvey_login_failures_total",
    "Failed username/password logins (Django's user_login_failed).",
)
login_lockouts_total = Counter(
    "voicesurvey_login_lockouts_total",
    "Logins refused because django-axes locked the account or address out.",
)


# --- Read at scrape time -------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class QueueFigures:
    due: int  # contacts the scheduler would dial now (in their calling hours)
    oldest_due_since: dt.datetime | None
    in_flight: int  # call attempts without an outcome
    oldest_in_flight_since: dt.datetime | None
    last_tick_at: dt.datetime | None  # when the latest scheduler tick started


# Registered by the dashboard app (dashboard/apps.py), which reads the queue the same way for
# its system page; the core cannot import it (docs/architecture.md §3).
_queue_figures_read: Callable[[dt.datetime], QueueFigures] | None = None


def on_queue_figures(read: Callable[[dt.datetime], QueueFigures]) -> None:
    global _queue_figures_read
    _queue_figures_read = read


def _age(now: dt.datetime, since: dt.datetime | None) -> float:
    return max(0.0, (now - since).total_seconds()) if since else 0.0


class QueueCollector(Collector):
    """The dial queue's gauges, read from the database at each scrape."""

    def describe(self) -> list[GaugeMetricFamily]:
        return list(self._families(None, timezone.now()))

    def collect(self) -> Iterator[GaugeMetricFamily]:
        if _queue_figures_read is None:
            return iter(())
        now = timezone.now()
        try:
            figures = _queue_figures_read(now)
        except DatabaseError as exc:  # the counters are still worth serving
            logger.warning("metrics: queue figures unavailable: %s", type(exc).__name__)
            return iter(())
        return self._families(figures, now)

    def _families(self, f: QueueFigures | None, now: dt.datetime) -> Iterator[GaugeMetricFamily]:
        values: dict[str, float | None] = {}
        if f is not None:
            values = {
                "due": f.due,
                "due_age": _age(now, f.oldest_due_since),
                "in_flight": f.in_flight,
                "in_flight_age": _age(now, f.oldest_in_flight_since),
                "last_tick": f.last_tick_at.timestamp() if f.last_tick_at else None,
            }
        for key, name, text in _QUEUE_GAUGES:
            family = GaugeMetricFamily(name, text)
            value = values.get(key)
            if value is not None:
                family.add_metric([], value)
            yield family


_QUEUE_GAUGES = [
    (
        "due",
        "voicesurvey_dial_queue_due",
        "Contacts the scheduler would dial now: running campaign, due, in calling hours.",
    ),
    (
        "due_age",
        "voicesurvey_dial_queue_oldest_due_age_seconds",
        "How long the longest-waiting due contact has waited (0 when none is due).",
    ),
    ("in_flight", "voicesurvey_calls_in_flight", "Call attempts claimed or placed, not closed."),
    (
        "in_flight_age",
        "voicesurvey_calls_in_flight_oldest_age_seconds",
        "Age of the oldest call attempt still open (0 when none is).",
    ),
    (
        "last_tick",
        "voicesurvey_scheduler_last_tick_timestamp_seconds",
        "Unix time at which the latest scheduler tick started (absent before the first).",
    ),
]


_scrape_time = CollectorRegistry(auto_describe=False)
_scrape_time.register(QueueCollector())


def metrics_exposition() -> bytes:
    """What /metrics serves: every process's metrics (multiprocess mode) or this process's,
    then the gauges read at scrape time."""
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if directory:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry, path=directory)
    else:
        registry = REGISTRY
    return generate_latest(registry) + generate_latest(_scrape_time)

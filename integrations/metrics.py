"""The outbound webhooks' Prometheus metrics (served by /metrics with the others)."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

webhook_deliveries_total = Counter(
    "voicesurvey_webhook_deliveries_total",
    "Outbound webhook delivery attempts by result: delivered, retry (to be tried again), "
    "failed (for good) and disabled (the attempt disabled its subscription).",
    ["result"],
)
webhook_delivery_duration_seconds = Histogram(
    "voicesurvey_webhook_delivery_duration_seconds",
    "Time from sending an outbound webhook to its answer (or error).",
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)

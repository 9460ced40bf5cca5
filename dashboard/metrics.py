"""The dial queue's gauges for /metrics (voicesurvey/metrics.py), read from the database at
each scrape, the way the system dashboard reads its queue block (live here, not cached)."""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Min

from calls.models import CallAttempt, SchedulerRun
from dashboard.selectors import dial_queue_due
from voicesurvey.metrics import QueueFigures


def queue_figures_read(now: dt.datetime) -> QueueFigures:
    """Three queries: the due contacts (one grouped query, dashboard/selectors.py), the open
    attempts (the partial index on attempts without an outcome), the latest tick (the index
    on started_at)."""
    due, due_since = dial_queue_due(now=now)
    in_flight = CallAttempt.objects.filter(outcome__isnull=True).aggregate(
        count=Count("pk"), since=Min("started_at")
    )
    last_tick_at = (
        SchedulerRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    )
    return QueueFigures(
        due=due,
        oldest_due_since=due_since,
        in_flight=in_flight["count"],
        oldest_in_flight_since=in_flight["since"],
        last_tick_at=last_tick_at,
    )

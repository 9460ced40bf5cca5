"""Dashboard pages: the system dashboard, and the campaign statistics panel (a partial that the
campaign page includes, and that refreshes itself through htmx every 60 s).

Partials answer htmx requests; when the session has expired, `require_capability` answers
them 401 with `HX-Redirect` to the login page, so htmx loads the whole page there instead of
swapping a login form into a panel.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.shortcuts import get_object_or_404, render
from django.utils import timezone

from campaigns.models import Campaign
from dashboard import selectors
from dashboard.cache import SYSTEM_BLOCKS, campaign_stats_cached, system_stats_cached
from voicesurvey.permissions import Capability, require_capability

REFRESH_SECONDS = 60


# --- system dashboard ---------------------------------------------------------------------------


def _system_context() -> dict:
    now = timezone.now()
    blocks = {name: system_stats_cached(name) for name in SYSTEM_BLOCKS}
    queue, queue_computed_at = blocks["queue"]
    oldest = queue["oldest_pending_age_seconds"]
    calls_per_hour = selectors.scheduler_calls_per_hour(hours=24, now=now)
    return {
        # The cached blocks are at most STATS_CACHE_TTL_SECONDS old; say how old they are.
        "generated_at": min(computed_at for _figures, computed_at in blocks.values()),
        "overview": blocks["overview"][0],
        "queue": queue,
        "queue_computed_at": queue_computed_at,
        "oldest_pending_since": (
            None if oldest is None else queue_computed_at - dt.timedelta(seconds=oldest)
        ),
        "orchestrator": selectors.system_orchestrator(now=now),
        "platforms": blocks["platforms"][0],
        "campaigns": blocks["campaigns"][0],
        "calls_per_hour": calls_per_hour,
        "calls_per_hour_chart": {
            "type": "bar",
            "labels": [f"{p['hour']:%H:%M}" for p in calls_per_hour],
            "datasets": [
                {"label": "Calls placed", "data": [p["calls_placed"] for p in calls_per_hour]}
            ],
        },
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_capability(Capability.VIEW)
def system_dashboard(request):
    return render(request, "dashboard/system.html", _system_context())


@require_capability(Capability.VIEW)
def system_dashboard_panel(request):
    return render(request, "dashboard/_system_panel.html", _system_context())


# --- campaign statistics panel ------------------------------------------------------------------


def _series_chart(points: list[dict], label_format: str) -> dict:
    return {
        "type": "bar",
        "labels": [p["timestamp"].strftime(label_format) for p in points],
        "datasets": [
            {"label": "Attempts", "data": [p["attempts"] for p in points]},
            {"label": "Completed", "data": [p["completed"] for p in points]},
        ],
    }


def _series_table(points: list[dict], label_format: str) -> list[dict]:
    return [{**p, "label": p["timestamp"].strftime(label_format)} for p in points]


def campaign_stats_panel_context(campaign: Campaign) -> dict:
    """What `dashboard/_campaign_stats.html` needs: the same cached figures as the API's
    default query (one computation for both), and the charts and tables drawn from them.
    Times are the campaign's local times; the zone's abbreviation tells the two 02:00 hours
    of an autumn DST change apart."""
    stats = campaign_stats_cached(
        campaign=campaign,
        include_time_series=True,
        time_series_hours=selectors.DEFAULT_TIME_SERIES_HOURS,
        time_series_days=selectors.DEFAULT_TIME_SERIES_DAYS,
    )
    hourly, daily = stats["time_series_hourly"], stats["time_series_daily"]
    panel_id = f"campaign-stats-{campaign.pk.hex}"
    zone = zoneinfo.ZoneInfo(campaign.timezone)
    return {
        "campaign": campaign,
        "stats": stats,
        "generated_at_local": stats["generated_at"].astimezone(zone),
        "panel_id": panel_id,
        "hourly_chart_id": f"{panel_id}-hourly",
        "hourly_chart": _series_chart(hourly, "%a %H:%M"),
        "daily_chart_id": f"{panel_id}-daily",
        "daily_chart": _series_chart(daily, "%d %b"),
        "series_tables": [
            ("Hour", _series_table(hourly, "%a %Y-%m-%d %H:%M %Z")),
            ("Day", _series_table(daily, "%a %Y-%m-%d")),
        ],
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_capability(Capability.VIEW)
def campaign_stats_panel(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(request, "dashboard/_campaign_stats.html", campaign_stats_panel_context(campaign))

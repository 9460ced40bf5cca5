"""Issue 15: the system dashboard's figures are the sum of the campaigns' own, on the demo data
set (every status: running, paused, completed, a draft, a scheduled and a cancelled campaign,
calls in flight, a day of calls)."""

from __future__ import annotations

import pytest
from django.utils import timezone

from calls.spend import campaigns_spend
from campaigns.models import Campaign, CampaignStatus
from dashboard import selectors
from demo.builders import demo_seed

pytestmark = pytest.mark.django_db

LIVE = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING, CampaignStatus.PAUSED)


@pytest.fixture
def demo():
    now = timezone.now()
    demo_seed(contacts=1500, campaigns=7, seed=5, now=now)
    campaigns = list(Campaign.objects.order_by("created_at"))
    stats = {
        c.pk: selectors.campaign_stats(campaign=c, include_time_series=True, now=now)
        for c in campaigns
    }
    return now, campaigns, stats


def total(stats, *path, campaigns=None):
    def figure(one):
        for key in path:
            one = one[key]
        return one

    return sum(figure(s) for pk, s in stats.items() if campaigns is None or pk in campaigns)


def test_the_overview_is_the_sum_of_the_campaigns(demo):
    _now, campaigns, stats = demo
    overview = selectors.system_overview()
    live = {c.pk for c in campaigns if c.status in LIVE}
    assert {c.status for c in campaigns} == set(CampaignStatus.values)  # every kind is there
    assert overview["total_campaigns"] == len(campaigns)
    assert overview["total_contacts"] == total(stats, "contacts", "total")
    assert overview["total_call_attempts"] == total(stats, "call_outcomes", "total_attempts")
    assert overview["failed_calls"] == total(stats, "call_outcomes", "failed")
    # Pending contacts of the live campaigns only: the cancelled one's and the draft's are
    # not waiting for anything.
    assert overview["pending_contacts"] == total(stats, "contacts", "pending", campaigns=live)
    cancelled_and_draft = {
        c.pk for c in campaigns if c.status in (CampaignStatus.CANCELLED, CampaignStatus.DRAFT)
    }
    assert total(stats, "contacts", "pending", campaigns=cancelled_and_draft) > 0
    assert overview["pending_contacts"] < total(stats, "contacts", "pending")
    finished = ("completed", "refused", "no_answer", "busy", "failed")
    assert overview["in_progress_calls"] == sum(
        s["call_outcomes"]["total_attempts"] - sum(s["call_outcomes"][o] for o in finished)
        for s in stats.values()
    )


def test_calls_in_24_hours_and_per_hour_are_the_campaigns_hourly_figures(demo):
    now, campaigns, stats = demo
    # Demo campaigns are in Rome and London: whole-hour offsets, so their local hours are
    # the UTC hours of the system's chart.
    per_hour = selectors.system_calls_per_hour(hours=24, now=now)
    campaigns_per_hour = [
        sum(s["time_series_hourly"][i]["attempts"] for s in stats.values()) for i in range(24)
    ]
    assert [p["calls_placed"] for p in per_hour] == campaigns_per_hour
    assert sum(campaigns_per_hour) > 0  # the demo has a day of calls
    orchestrator = selectors.system_orchestrator(now=now)
    assert orchestrator["actions_last_24h"] == sum(campaigns_per_hour)


def test_queue_and_platforms_add_up(demo):
    now, _campaigns, stats = demo
    queue = selectors.system_queue(now=now)
    assert queue["success"] == total(stats, "call_outcomes", "completed")
    assert queue["failed"] == total(stats, "call_outcomes", "failed")
    platforms = selectors.system_platforms()
    assert sum(p["calls_placed"] for p in platforms.values()) == total(
        stats, "call_outcomes", "total_attempts"
    )


def test_the_spend_is_the_sum_of_the_campaigns(demo):
    _now, campaigns, _stats = demo
    system = selectors.system_campaigns()
    spends = campaigns_spend(campaigns)
    assert system["billed_minutes"] == sum(s.billed_minutes for s in spends.values())
    assert system["billed_minutes"] > 0
    # Each campaign's spend is rounded to the cent, the total once.
    assert abs(system["total_budget_spent"] - float(sum(s.spent for s in spends.values()))) <= (
        0.005 * len(campaigns)
    )
    assert system["currency"] == "EUR"

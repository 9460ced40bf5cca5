"""Progress, pace, estimated finish (calls/progress.py) and cost and budget (calls/spend.py),
worked out by hand on one London campaign (09:00–20:00, Monday to Saturday; December: UTC)."""

import datetime as dt
from decimal import Decimal

import pytest

from calls.dialling import Reason, campaign_dialling_status
from calls.progress import campaign_progress, campaigns_progress
from calls.scheduler import scheduler_tick
from calls.spend import campaign_spend
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

UTC = dt.UTC
MONDAY_10AM = dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


def at(hh, mm, ss=0):
    return dt.datetime(2026, 12, 7, hh, mm, ss, tzinfo=UTC)


def closed(contact, number, outcome, started, talk_seconds=None):
    """A closed attempt started at `started`; answered ones talk `talk_seconds`."""
    answered = started + dt.timedelta(seconds=10) if talk_seconds is not None else None
    ended = (answered + dt.timedelta(seconds=talk_seconds)) if answered else started
    return CallAttemptFactory(
        contact=contact,
        attempt_number=number,
        outcome=outcome,
        started_at=started,
        answered_at=answered,
        ended_at=ended + dt.timedelta(seconds=20),
    )


@pytest.fixture
def campaign(provider_config):
    """11 contacts: 6 done (2 completed, 2 refused, 1 excluded, 1 not reached with its 3
    attempts used), 5 left (3 never called, 1 with 1 attempt of 3 left, 1 on a call now).
    8 closed attempts, 4 answered (p = 0.5), started in two quarter hours of the last hour;
    each answered call talks 61 s, billed 2 minutes: 8 minutes."""
    campaign = CampaignFactory(status="running", timezone="Europe/London", max_attempts=3)

    def contact(state, attempts=0, **fields):
        return ContactFactory(
            campaign=campaign,
            state=state,
            attempts_count=attempts,
            timezone="Europe/London",
            **fields,
        )

    c1, c2 = contact("completed", 2), contact("completed", 1)
    r1, r2 = contact("refused", 1), contact("refused", 1)
    contact("excluded")
    nr = contact("not_reached", 3)
    for _ in range(3):
        contact("pending")
    contact("pending", 2)
    in_call = contact("in_progress", 1)
    closed(c1, 1, "busy", at(9, 40))
    closed(c1, 2, "completed", at(9, 50), talk_seconds=61)
    closed(c2, 1, "completed", at(9, 40), talk_seconds=61)
    closed(r1, 1, "refused", at(9, 50), talk_seconds=61)
    closed(r2, 1, "refused", at(9, 50), talk_seconds=61)
    for number, minute in ((1, 40), (2, 41), (3, 50)):
        closed(nr, number, "no_answer", at(9, minute))
    CallAttemptFactory(contact=in_call, started_at=at(9, 55))  # in flight
    return campaign


def test_progress_pace_and_estimated_finish(campaign):
    progress = campaign_progress(campaign, now=MONDAY_10AM)
    assert (progress.contacts_total, progress.contacts_done, progress.contacts_left) == (11, 6, 5)
    assert progress.percent_done == 54.5
    assert progress.calls_last_hour == 9  # 8 closed + 1 in flight
    # 8 attempts in two active quarter hours: 16 an hour.
    assert progress.calls_per_hour == 16.0
    # p = 0.5: three contacts with 3 attempts left take (1 − 0.5³) / 0.5 = 1.75 each, the one
    # with 1 left takes 1: 6.25, about 6 attempts; at 16 an hour, 0.375 calling hours.
    assert progress.attempts_left == 6
    assert progress.calling_hours_left == 0.4
    assert progress.estimated_finish == at(10, 22, 30)


def test_the_estimate_walks_the_calling_hours(campaign):
    # 19:50: ten minutes left today, the other 12.5 minutes on Tuesday from 09:00. (Saturday
    # 19:50 would go on on Monday: Sunday is no call day.)
    evening = at(19, 50)
    assert campaign_progress(campaign, now=evening).estimated_finish == dt.datetime(
        2026, 12, 8, 9, 12, 30, tzinfo=UTC
    )
    saturday = dt.datetime(2026, 12, 12, 19, 50, tzinfo=UTC)
    # (The pace of the last 24 hours is gone by Saturday: the whole life's is the same here.)
    assert campaign_progress(campaign, now=saturday).estimated_finish == dt.datetime(
        2026, 12, 14, 9, 12, 30, tzinfo=UTC
    )


def test_never_before_the_last_retry_scheduled(campaign):
    late = dt.datetime(2026, 12, 7, 15, 0, tzinfo=UTC)
    ContactFactory(campaign=campaign, attempts_count=1, next_attempt_at=late)
    assert campaign_progress(campaign, now=MONDAY_10AM).estimated_finish == late


def test_no_estimate_without_a_pace_or_when_not_running():
    fresh = CampaignFactory(status="running")
    ContactFactory(campaign=fresh)
    progress = campaign_progress(fresh, now=MONDAY_10AM)
    assert (progress.calls_per_hour, progress.estimated_finish) == (None, None)
    assert progress.attempts_left == 3  # nothing answered yet: the most it can take
    draft = CampaignFactory()
    assert campaign_progress(draft, now=MONDAY_10AM).percent_done is None


def test_many_campaigns_in_three_queries(campaign, django_assert_num_queries):
    others = [CampaignFactory(status="running") for _ in range(3)]
    # Contacts by campaign, state and attempts; the last hour's attempts; the stats buckets.
    with django_assert_num_queries(3):
        progress = campaigns_progress([campaign, *others], now=MONDAY_10AM)
    assert progress[campaign.pk].contacts_total == 11
    assert progress[others[0].pk].contacts_total == 0


def test_cost(campaign, provider_config):
    provider_config.cost_per_minute = Decimal("0.25")
    provider_config.save()
    spend = campaign_spend(campaign)
    assert spend.billed_minutes == 8
    assert spend.spent == Decimal("2.00")
    assert spend.completed_surveys == 2
    assert spend.per_completed_survey == Decimal("1.00")
    assert spend.as_dict() == {
        "currency": "EUR",
        "billed_minutes": 8,
        "spent": "2.00",
        "completed_surveys": 2,
        "per_completed_survey": "1.00",
        "budget": None,
        "budget_left": None,
        "budget_reached": False,
    }


def test_the_currency_is_a_setting(campaign, settings):
    settings.CALL_COST_CURRENCY = "GBP"
    assert campaign_spend(campaign).currency == "GBP"


def test_a_spent_budget_pauses_the_campaign_at_the_next_tick(campaign, provider_config, network):
    provider_config.cost_per_minute = Decimal("0.25")
    provider_config.save()
    campaign.budget = Decimal("2.00")  # spent: 8 minutes × 0.25
    campaign.save()
    SchedulerRunFactory(started_at=MONDAY_10AM - dt.timedelta(seconds=30))
    assert campaign_dialling_status(campaign, now=MONDAY_10AM).reason == Reason.BUDGET_REACHED

    run = scheduler_tick(now=MONDAY_10AM, provider=network)

    campaign.refresh_from_db()
    assert campaign.status == "paused"
    assert network.calls == []  # nobody dialled
    assert run.details["paused_over_budget"] == [str(campaign.pk)]
    entry = AuditLog.objects.get(action="campaign.pause", object_id=str(campaign.pk))
    assert entry.actor is None
    assert entry.details["reason"] == "budget"
    assert (entry.details["budget"], entry.details["spent"]) == ("2.00", "2.00")
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.BUDGET_REACHED
    assert status.message == (
        "Paused by the system: its budget of 2.00 EUR is spent (2.00 EUR). Raise the budget, "
        "then resume it."
    )


def test_a_budget_not_yet_spent_lets_it_dial(campaign, provider_config, network):
    provider_config.cost_per_minute = Decimal("0.25")
    provider_config.save()
    campaign.budget = Decimal("2.01")
    campaign.save()
    scheduler_tick(now=MONDAY_10AM, provider=network)
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert len(network.calls) == 4  # the four contacts left to dial
    assert not AuditLog.objects.filter(action="campaign.pause").exists()

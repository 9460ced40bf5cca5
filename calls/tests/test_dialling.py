"""Why a running campaign dials or not (calls/dialling.py), worked out by hand: a London
campaign calling 09:00–20:00, Monday to Saturday; December, so London is on UTC."""

import datetime as dt

import pytest

from calls.dialling import Reason, campaign_dialling_status, moment_label
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.services import campaign_pause
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
SUNDAY_3PM = dt.datetime(2026, 12, 6, 15, 0, tzinfo=UTC)
MONDAY_7AM = dt.datetime(2026, 12, 7, 7, 0, tzinfo=UTC)
MONDAY_10AM = dt.datetime(2026, 12, 7, 10, 0, tzinfo=UTC)


@pytest.fixture
def campaign(provider_config):
    return CampaignFactory(status="running", timezone="Europe/London")


def at(hour, minute):
    """Monday 7 December 2026, UTC (London's time too)."""
    return dt.datetime(2026, 12, 7, hour, minute, tzinfo=UTC)


def ticked(moment):
    """A scheduler that ticked half a minute before `moment`."""
    SchedulerRunFactory(started_at=moment - dt.timedelta(seconds=30))


def contacts(campaign, n, zone="Europe/London", **fields):
    return [ContactFactory(campaign=campaign, timezone=zone, **fields) for _ in range(n)]


def test_outside_calling_hours_names_the_next_window_and_the_zone(campaign):
    ticked(SUNDAY_3PM)
    contacts(campaign, 3)
    status = campaign_dialling_status(campaign, now=SUNDAY_3PM)
    assert status.reason == Reason.OUTSIDE_CALLING_HOURS
    assert not status.dialling
    assert status.message == (
        "Outside calling hours for all 3 contacts left to dial — next window Mon 09:00 "
        "Europe/London."
    )
    assert status.next_dial_at == dt.datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
    assert (status.contacts_left, status.due_now, status.in_flight) == (3, 0, 0)


def test_the_next_window_of_any_zone_in_the_campaigns_zone(campaign):
    # At 07:00 UTC London opens at 09:00; New York (02:00 there) at 14:00 UTC.
    ticked(MONDAY_7AM)
    contacts(campaign, 1)
    contacts(campaign, 2, zone="America/New_York")
    status = campaign_dialling_status(campaign, now=MONDAY_7AM)
    assert status.message == (
        "Outside calling hours for all 3 contacts left to dial — next window 09:00 Europe/London."
    )
    campaign.timezone = "America/New_York"  # the page's zone is the campaign's
    status = campaign_dialling_status(campaign, now=MONDAY_7AM)
    assert status.message.endswith("next window 04:00 America/New_York.")


def test_waiting_for_retries(campaign):
    ticked(MONDAY_10AM)
    for retry in (
        dt.datetime(2026, 12, 7, 14, 20, tzinfo=UTC),
        MONDAY_10AM + dt.timedelta(hours=5),
    ):
        contacts(campaign, 1, attempts_count=1, next_attempt_at=retry)
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.WAITING_FOR_RETRIES
    assert status.message == (
        "Waiting for retries: 2 contacts in calling hours are due later (next at 14:20 "
        "Europe/London)."
    )
    assert status.next_dial_at == dt.datetime(2026, 12, 7, 14, 20, tzinfo=UTC)


def test_dialling(campaign):
    ticked(MONDAY_10AM)
    contacts(campaign, 2)
    CallAttemptFactory(contact=ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS))
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.dialling
    assert status.reason == Reason.DIALLING
    assert status.message == "Dialling: 2 contacts due now, 1 in progress."
    assert (status.contacts_left, status.due_now, status.in_flight) == (2, 2, 1)


def test_the_concurrency_limit(campaign, provider_config):
    ticked(MONDAY_10AM)
    contacts(campaign, 1)
    # Ten calls in flight, of another campaign: the limit is the provider's, shared.
    other = CampaignFactory(status="running")
    for _ in range(provider_config.max_concurrent_calls):
        CallAttemptFactory(contact=ContactFactory(campaign=other, state=ContactState.IN_PROGRESS))
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.CONCURRENCY_LIMIT
    assert status.message == (
        "Limit of 10 concurrent calls reached: 1 contact due now wait for a free line."
    )


def test_a_provider_outage(campaign, provider_config):
    ticked(MONDAY_10AM)
    contacts(campaign, 1)
    provider_config.dialling_paused_until = MONDAY_10AM + dt.timedelta(minutes=5)
    provider_config.save()
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.PROVIDER_OUTAGE
    assert status.message == "Dialling paused: provider outage, until 10:05 Europe/London."


def test_a_scheduler_that_does_not_run(campaign):
    contacts(campaign, 1)
    assert campaign_dialling_status(campaign, now=MONDAY_10AM).message.startswith(
        "The scheduler has not run yet"
    )
    SchedulerRunFactory(started_at=MONDAY_10AM - dt.timedelta(hours=2))
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.SCHEDULER_STOPPED
    assert status.message.startswith("The scheduler has not run since 08:00 Europe/London")


def test_nothing_left_and_finishing(campaign):
    ticked(MONDAY_10AM)
    contacts(campaign, 1, state=ContactState.COMPLETED)
    assert campaign_dialling_status(campaign, now=MONDAY_10AM).reason == Reason.NOTHING_LEFT
    CallAttemptFactory(contact=ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS))
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.FINISHING
    assert status.message == (
        "No contact left to dial; 1 call in progress. It completes when they end."
    )


def test_a_paused_campaign_says_who_paused_it(campaign, manager_user):
    campaign_pause(campaign=campaign, actor=manager_user)
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.reason == Reason.PAUSED
    assert status.message.startswith("Paused by max at ")


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        ("draft", Reason.DRAFT),
        ("completed", Reason.COMPLETED),
        ("cancelled", Reason.CANCELLED),
    ],
)
def test_campaigns_that_do_not_run(status, reason):
    campaign = CampaignFactory(status=status)
    assert campaign_dialling_status(campaign, now=MONDAY_10AM).reason == reason


def test_a_scheduled_campaign_says_when_it_starts():
    campaign = CampaignFactory(
        status="scheduled",
        timezone="Europe/Rome",
        starts_at=dt.datetime(2026, 12, 9, 8, 0, tzinfo=UTC),
    )
    status = campaign_dialling_status(campaign, now=MONDAY_10AM)
    assert status.message == "Scheduled: calling starts Wed 09:00 Europe/Rome."


def test_moment_labels():
    zone = "Europe/London"
    assert moment_label(MONDAY_10AM, zone=zone, now=MONDAY_7AM) == "10:00 Europe/London"
    later = MONDAY_10AM + dt.timedelta(days=10)
    assert moment_label(later, zone=zone, now=MONDAY_7AM) == "Thu 17 Dec 10:00 Europe/London"

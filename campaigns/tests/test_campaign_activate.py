"""campaign_activate: every problem at once, by field; running now, or scheduled for later."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from campaigns.lifecycle import TransitionError
from campaigns.services import campaign_activate, campaign_start_due
from campaigns.tests.factories import CampaignFactory, three_questions
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_a_ready_draft_runs(manager_user):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign)
    campaign_activate(campaign=campaign, actor=manager_user)
    assert campaign.status == "running"
    campaign.refresh_from_db()
    assert campaign.status == "running"
    log = AuditLog.objects.get(action="campaign.activate")
    assert (log.actor, log.details) == (manager_user, {"from": "draft", "to": "running"})


def test_a_future_start_schedules_it_and_it_runs_at_its_time(manager_user):
    now = timezone.now()
    campaign = CampaignFactory(starts_at=now + dt.timedelta(hours=2))
    ContactFactory(campaign=campaign)
    campaign_activate(campaign=campaign, actor=manager_user, now=now)
    campaign.refresh_from_db()
    assert campaign.status == "scheduled"
    assert campaign_start_due(now=now + dt.timedelta(hours=1)) == []
    assert campaign_start_due(now=now + dt.timedelta(hours=2)) == [campaign]
    campaign.refresh_from_db()
    assert campaign.status == "running"


def test_a_past_start_runs_at_once(manager_user):
    campaign = CampaignFactory(starts_at=timezone.now() - dt.timedelta(days=1))
    ContactFactory(campaign=campaign)
    campaign_activate(campaign=campaign, actor=manager_user)
    assert campaign.status == "running"


def test_every_problem_comes_back_by_field(manager_user):
    questions = three_questions()
    questions[2]["text"] = {"en": ""}
    campaign = CampaignFactory(texts={"en": {"intro": ""}}, questions=questions, call_days=[])
    with pytest.raises(ValidationError) as excinfo:
        campaign_activate(campaign=campaign, actor=manager_user)
    assert set(excinfo.value.message_dict) == {
        "contacts",
        "texts.en.intro",
        "questions.3.text.en",
        "call_days",
    }
    campaign.refresh_from_db()
    assert campaign.status == "draft"
    assert not AuditLog.objects.filter(action__startswith="campaign.").exists()


@pytest.mark.parametrize(
    "contact",
    [
        {"state": ContactState.EXCLUDED},
        {"do_not_call": True},
        {"state": ContactState.COMPLETED, "attempts_count": 1},
        {"state": ContactState.NOT_REACHED, "attempts_count": 3},
    ],
)
def test_contacts_that_cannot_be_dialled_do_not_count(manager_user, contact):
    campaign = CampaignFactory(max_attempts=3)
    ContactFactory(campaign=campaign, **contact)
    with pytest.raises(ValidationError) as excinfo:
        campaign_activate(campaign=campaign, actor=manager_user)
    assert list(excinfo.value.message_dict) == ["contacts"]


def test_a_not_reached_contact_with_attempts_left_counts(manager_user):
    campaign = CampaignFactory(max_attempts=3)
    ContactFactory(campaign=campaign, state=ContactState.NOT_REACHED, attempts_count=2)
    campaign_activate(campaign=campaign, actor=manager_user)
    assert campaign.status == "running"


@pytest.mark.parametrize("status", ["scheduled", "running", "paused", "completed", "cancelled"])
def test_only_a_draft_is_activated(manager_user, status):
    campaign = CampaignFactory(status=status)
    ContactFactory(campaign=campaign)
    with pytest.raises(TransitionError):
        campaign_activate(campaign=campaign, actor=manager_user)
    campaign.refresh_from_db()
    assert campaign.status == status

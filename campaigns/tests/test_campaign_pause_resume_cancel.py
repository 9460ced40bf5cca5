"""campaign_pause, campaign_resume, campaign_cancel: the lifecycle table, applied and logged."""

import pytest

from calls.tests.factories import CallAttemptFactory
from campaigns.lifecycle import TransitionError
from campaigns.services import campaign_cancel, campaign_pause, campaign_resume
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_pause_then_resume(manager_user):
    campaign = CampaignFactory(status="running")
    campaign_pause(campaign=campaign, actor=manager_user)
    campaign.refresh_from_db()
    assert campaign.status == "paused"
    campaign_resume(campaign=campaign, actor=manager_user)
    campaign.refresh_from_db()
    assert campaign.status == "running"
    logs = AuditLog.objects.filter(action__startswith="campaign.").order_by("created_at", "id")
    assert list(logs.values_list("action", "details")) == [
        ("campaign.pause", {"from": "running", "to": "paused"}),
        ("campaign.resume", {"from": "paused", "to": "running"}),
    ]


@pytest.mark.parametrize("status", ["draft", "scheduled", "running", "paused"])
def test_cancel_from_any_status_that_is_not_final(manager_user, status):
    campaign = CampaignFactory(status=status)
    campaign_cancel(campaign=campaign, actor=manager_user)
    campaign.refresh_from_db()
    assert campaign.status == "cancelled"


def test_a_call_in_flight_is_left_to_finish(manager_user):
    campaign = CampaignFactory(status="running")
    contact = ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS, attempts_count=1)
    attempt = CallAttemptFactory(contact=contact)
    campaign_pause(campaign=campaign, actor=manager_user)
    attempt.refresh_from_db(), contact.refresh_from_db()
    assert attempt.outcome is None
    assert contact.state == ContactState.IN_PROGRESS


@pytest.mark.parametrize(
    ("service", "status", "message"),
    [
        (campaign_pause, "draft", "Cannot pause a draft campaign (only from: running)."),
        (campaign_resume, "running", "Cannot resume a running campaign (only from: paused)."),
        (campaign_cancel, "completed", "a completed campaign cannot change"),
        (campaign_cancel, "cancelled", "a cancelled campaign cannot change"),
    ],
)
def test_a_transition_the_status_does_not_allow(manager_user, service, status, message):
    campaign = CampaignFactory(status=status)
    with pytest.raises(TransitionError, match=message.replace("(", r"\(").replace(")", r"\)")):
        service(campaign=campaign, actor=manager_user)
    campaign.refresh_from_db()
    assert campaign.status == status
    assert not AuditLog.objects.filter(action__startswith="campaign.").exists()

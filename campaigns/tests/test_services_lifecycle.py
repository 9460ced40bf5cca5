import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import CampaignStatus
from campaigns.services import campaign_complete_if_finished, campaign_start_due
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_scheduled_campaigns_start_when_due():
    now = timezone.now()
    due = CampaignFactory(status=CampaignStatus.SCHEDULED, starts_at=now - dt.timedelta(minutes=1))
    later = CampaignFactory(status=CampaignStatus.SCHEDULED, starts_at=now + dt.timedelta(hours=1))
    assert campaign_start_due(now=now) == [due]
    due.refresh_from_db(), later.refresh_from_db()
    assert (due.status, later.status) == (CampaignStatus.RUNNING, CampaignStatus.SCHEDULED)
    log = AuditLog.objects.get(action="campaign.start")
    assert log.details == {"from": "scheduled", "to": "running"}
    assert log.actor is None


@pytest.mark.parametrize(
    ("state", "attempts", "completes"),
    [
        (ContactState.PENDING, 0, False),
        (ContactState.IN_PROGRESS, 1, False),
        (ContactState.NOT_REACHED, 1, False),  # attempts left (max 3)
        (ContactState.NOT_REACHED, 3, True),
        (ContactState.COMPLETED, 1, True),
        (ContactState.EXCLUDED, 0, True),
    ],
)
def test_running_campaign_completes_when_nothing_is_left(state, attempts, completes):
    campaign = CampaignFactory(status=CampaignStatus.RUNNING, max_attempts=3)
    ContactFactory(campaign=campaign, state=ContactState.COMPLETED)
    ContactFactory(campaign=campaign, state=state, attempts_count=attempts)
    assert campaign_complete_if_finished(campaign=campaign) is completes
    campaign.refresh_from_db()
    assert campaign.status == (CampaignStatus.COMPLETED if completes else CampaignStatus.RUNNING)


@pytest.mark.parametrize("status", [CampaignStatus.PAUSED, CampaignStatus.DRAFT])
def test_only_running_campaigns_complete(status):
    campaign = CampaignFactory(status=status)
    assert campaign_complete_if_finished(campaign=campaign) is False

"""POST /api/campaigns/{id}/stats/invalidate — admin only, 204, and the next read recomputes."""

import uuid

import pytest

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def stats_url(campaign, query=""):
    return f"/api/campaigns/{campaign.pk}/stats" + (f"?{query}" if query else "")


def invalidate_url(campaign_id):
    return f"/api/campaigns/{campaign_id}/stats/invalidate"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 204), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, status):
    campaign = CampaignFactory()
    response = persona_api.post(invalidate_url(campaign.pk))
    assert response.status_code == status
    if status == 204:
        assert response.content == b""
    else:
        assert "detail" in response.json()


def test_denied_attempts_are_audit_logged(manager_api):
    manager_api.post(invalidate_url(CampaignFactory().pk))
    denial = AuditLog.objects.get(action="access.denied")
    assert denial.actor_username == "max"
    assert denial.details["capability"] == "administer"


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_missing_campaign_is_404(admin_api, campaign_id):
    assert admin_api.post(invalidate_url(campaign_id)).status_code == 404


def test_get_is_not_allowed(admin_api):
    assert admin_api.get(invalidate_url(CampaignFactory().pk)).status_code == 405


def test_every_cached_query_of_the_campaign_is_recomputed(admin_api):
    campaign, other = CampaignFactory(), CampaignFactory()
    queries = ["", "time_series_hours=3", "include_time_series=false"]
    for query in queries:
        admin_api.get(stats_url(campaign, query))
    admin_api.get(stats_url(other))
    CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome=CallOutcome.BUSY)
    assert admin_api.get(stats_url(campaign)).json()["call_outcomes"]["busy"] == 0  # cached

    assert admin_api.post(invalidate_url(campaign.pk)).status_code == 204

    for query in queries:
        body = admin_api.get(stats_url(campaign, query)).json()
        assert body["cached"] is False, query
        assert body["call_outcomes"]["busy"] == 1, query
    # Other campaigns keep their entries.
    assert admin_api.get(stats_url(other)).json()["cached"] is True

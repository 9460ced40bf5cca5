"""Cloning a campaign: a new draft with its script, questionnaire and settings, no contacts;
the service, the page button and `POST /api/campaigns/{id}/clone`."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.selectors import campaign_questionnaire_data
from campaigns.services import campaign_clone
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def source():
    campaign = Campaign.objects.get(pk=CampaignFactory(status="completed", max_attempts=4).pk)
    ContactFactory(campaign=campaign)
    return campaign


def test_the_clone_is_a_draft_with_the_script_and_settings_and_no_contacts(source, manager_user):
    clone = campaign_clone(campaign=source, actor=manager_user)
    assert clone.pk != source.pk
    assert clone.status == "draft"
    assert clone.name == f"{source.name} (copy)"
    for field in ("language", "languages", "texts", "timezone", "max_attempts", "call_days"):
        assert getattr(clone, field) == getattr(source, field)
    assert campaign_questionnaire_data(clone) == campaign_questionnaire_data(source)
    assert not clone.contacts.exists()
    assert clone.created_by == manager_user
    assert AuditLog.objects.filter(action="campaign.clone", object_id=str(clone.pk)).exists()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 201), ("manager", 201), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_api_role_matrix(persona_api, source, status):
    response = persona_api.post(f"/api/campaigns/{source.pk}/clone", {"name": "Again"})
    assert response.status_code == status
    if status == 201:
        assert response.json()["name"] == "Again"
        assert response.json()["status"] == "draft"


def test_api_unknown_campaign_is_404(manager_api):
    response = manager_api.post("/api/campaigns/0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a/clone")
    assert response.status_code == 404


def test_api_a_name_too_long_is_a_400(manager_api, source):
    response = manager_api.post(f"/api/campaigns/{source.pk}/clone", {"name": "x" * 201})
    assert response.status_code == 400
    assert "name" in response.json()


@pytest.mark.parametrize(
    ("persona", "status"), [("manager", 302), ("viewer", 403)], indirect=["persona"]
)
def test_page_button(persona_client, source, status):
    page = persona_client.get(reverse("campaign_detail", args=[source.pk])).content.decode()
    assert (reverse("campaign_clone", args=[source.pk]) in page) == (status == 302)
    response = persona_client.post(reverse("campaign_clone", args=[source.pk]))
    assert response.status_code == status
    if status == 302:
        clone = Campaign.objects.exclude(pk=source.pk).get()
        assert response["Location"] == reverse("campaign_detail", args=[clone.pk])

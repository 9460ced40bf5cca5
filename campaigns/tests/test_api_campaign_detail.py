"""`GET/PUT/PATCH/DELETE /api/campaigns/{id}`: read, edit as far as the status allows, and
DELETE as cancel."""

import uuid

import pytest

from campaigns.tests.factories import CampaignFactory, three_questions
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def url(campaign_id):
    return f"/api/campaigns/{campaign_id}"


@pytest.mark.parametrize(
    ("persona", "read", "write"),
    [("admin", 200, 200), ("manager", 200, 200), ("viewer", 200, 403), ("anonymous", 401, 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, read, write):
    campaign = CampaignFactory(name="Before")
    assert persona_api.get(url(campaign.pk)).status_code == read
    assert (
        persona_api.patch(url(campaign.pk), {"name": "After"}, format="json").status_code == write
    )
    body = persona_api.get(url(campaign.pk)).json() if read == 200 else None
    if body:
        assert body["name"] == ("After" if write == 200 else "Before")
    put = persona_api.put(url(campaign.pk), {"name": "Put"}, format="json")
    assert put.status_code == write
    deleted = persona_api.delete(url(campaign.pk))
    assert deleted.status_code == (204 if write == 200 else write)
    campaign.refresh_from_db()
    assert campaign.status == ("cancelled" if write == 200 else "draft")


@pytest.mark.parametrize("persona", ["admin", "manager", "viewer"], indirect=True)
def test_an_unknown_campaign_is_a_404(persona_api, persona):
    missing = url(uuid.uuid4())
    assert persona_api.get(missing).status_code == 404
    if persona.role != "viewer":
        assert persona_api.patch(missing, {"name": "x"}, format="json").status_code == 404
        assert persona_api.delete(missing).status_code == 404


def test_a_malformed_id_is_a_404(viewer_api):
    assert viewer_api.get("/api/campaigns/not-a-uuid").status_code == 404


def test_reads_one_campaign_in_one_query(viewer_api, django_assert_num_queries):
    campaign = CampaignFactory()
    # 1: the campaign, its creator and its counts; 2: its questions.
    with django_assert_num_queries(2):
        body = viewer_api.get(url(campaign.pk)).json()
    assert body["id"] == str(campaign.pk)
    assert [q["type"] for q in body["questions"]] == ["scale", "number", "free_text"]


def test_a_running_campaign_accepts_back_what_it_showed(manager_api):
    campaign = CampaignFactory(status="running")
    shown = manager_api.get(url(campaign.pk)).json()
    response = manager_api.put(
        url(campaign.pk), {**shown, "name": "Renamed", "max_attempts": 5}, format="json"
    )
    assert response.status_code == 200, response.json()
    assert (response.json()["name"], response.json()["max_attempts"]) == ("Renamed", 5)


def test_a_running_campaign_refuses_script_changes_by_field(manager_api):
    campaign = CampaignFactory(status="running")
    questions = three_questions()
    questions[1]["text"] = {"en": "New?"}
    response = manager_api.patch(
        url(campaign.pk), {"questions": questions, "language": "it"}, format="json"
    )
    assert response.status_code == 400
    assert response.json() == {
        "language": ["Cannot be changed while the campaign is running."],
        "questions": ["Cannot be changed while the campaign is running."],
    }
    # The fixed script's old field, still accepted, is the questionnaire.
    response = manager_api.patch(url(campaign.pk), {"question_2_text": "New?"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"questions": ["Cannot be changed while the campaign is running."]}


def test_a_final_campaign_cannot_be_edited_or_deleted(manager_api):
    campaign = CampaignFactory(status="completed")
    assert manager_api.patch(url(campaign.pk), {"name": "x"}, format="json").json() == {
        "name": ["A completed campaign cannot change."]
    }
    response = manager_api.delete(url(campaign.pk))
    assert response.status_code == 400
    assert response.json() == {
        "detail": "The campaign is completed; a completed campaign cannot change."
    }


def test_delete_is_an_audit_logged_cancel(manager_api, manager_user):
    campaign = CampaignFactory(status="running")
    assert manager_api.delete(url(campaign.pk)).status_code == 204
    log = AuditLog.objects.get(action="campaign.cancel")
    assert (log.actor, log.details) == (manager_user, {"from": "running", "to": "cancelled"})
    # Still there, cancelled: a soft delete.
    assert manager_api.get(url(campaign.pk)).json()["status"] == "cancelled"

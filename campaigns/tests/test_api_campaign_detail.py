"""`GET/PUT/PATCH/DELETE /api/campaigns/{id}`: read, edit as far as the status allows, and
DELETE as cancel."""

import datetime as dt
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
    # 1: the campaign, its creator and its counts; 2: its questions. The engine's reading
    # (calls/dialling.py; none for a draft's dialling): 3–5 its progress (contacts by state and
    # attempts, the last hour's attempts, the stats buckets); 6–7 its cost (the price per
    # minute, the billed minutes).
    with django_assert_num_queries(7):
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


def test_a_running_campaign_says_whether_it_dials_its_progress_and_cost(viewer_api, settings):
    from calls.selectors import provider_config_get
    from calls.tests.factories import SchedulerRunFactory
    from contacts.tests.factories import ContactFactory

    settings.CALL_COST_CURRENCY = "GBP"
    provider_config_get()
    # Open at any hour of any day, so that the contacts are due now whenever the test runs.
    campaign = CampaignFactory(
        status="running",
        timezone="Europe/London",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
        budget="25.00",
    )
    for _ in range(3):
        ContactFactory(campaign=campaign)
    ContactFactory(campaign=campaign, state="completed", attempts_count=1)
    SchedulerRunFactory()
    body = viewer_api.get(url(campaign.pk)).json()
    assert body["dialling"] == {
        "dialling": True,
        "reason": "dialling",
        "message": "Dialling: 3 contacts due now, 0 in progress.",
        "next_dial_at": body["dialling"]["next_dial_at"],
        "contacts_left": 3,
        "due_now": 3,
        "in_flight": 0,
    }
    assert body["dialling"]["next_dial_at"] is not None
    assert body["progress"] == {
        "contacts_total": 4,
        "contacts_done": 1,
        "contacts_left": 3,
        "percent_done": 25.0,
        "calls_last_hour": 0,
        "calls_per_hour": None,  # no call yet: no pace, no estimate
        "attempts_left": 9,  # nobody answered yet: the most it can take, 3 × 3
        "calling_hours_left": None,
        "estimated_finish": None,
    }
    assert body["cost"] == {
        "currency": "GBP",
        "billed_minutes": 0,
        "spent": "0.00",
        "completed_surveys": 0,
        "per_completed_survey": None,
        "budget": "25.00",
        "budget_left": "25.00",
        "budget_reached": False,
    }
    assert body["budget"] == "25.00"


def test_a_draft_says_it_does_not_dial(viewer_api):
    body = viewer_api.get(url(CampaignFactory().pk)).json()
    assert body["dialling"]["reason"] == "draft"
    assert body["dialling"]["dialling"] is False


def test_the_budget_can_be_changed_while_running_and_is_never_negative(manager_api):
    campaign = CampaignFactory(status="running")
    response = manager_api.patch(url(campaign.pk), {"budget": "12.50"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["budget"] == "12.50"
    response = manager_api.patch(url(campaign.pk), {"budget": "-1"}, format="json")
    assert response.status_code == 400
    assert "budget" in response.json()
    assert manager_api.patch(url(campaign.pk), {"budget": None}, format="json").status_code == 200
    campaign.refresh_from_db()
    assert campaign.budget is None
    audit = AuditLog.objects.filter(action="campaign.update", object_id=str(campaign.pk))
    assert audit.count() == 2

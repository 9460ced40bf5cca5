"""`POST /api/campaigns/{id}/activate|pause|resume|cancel`."""

import uuid

import pytest

from campaigns.tests.factories import CampaignFactory, three_questions
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def url(campaign_id, action):
    return f"/api/campaigns/{campaign_id}/{action}"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("activate", "draft", "running"),
        ("pause", "running", "paused"),
        ("resume", "paused", "running"),
        ("cancel", "paused", "cancelled"),
    ],
)
def test_role_matrix(persona_api, persona, status, action, before, after):
    campaign = CampaignFactory(status=before)
    ContactFactory(campaign=campaign)
    response = persona_api.post(url(campaign.pk, action))
    assert response.status_code == status
    campaign.refresh_from_db()
    assert campaign.status == (after if status == 200 else before)
    if status == 200:
        assert response.json()["status"] == after


def test_activation_lists_every_problem_by_field(manager_api):
    questions = three_questions()
    questions[0]["text"] = {"en": ""}
    campaign = CampaignFactory(texts={"en": {"intro": ""}}, questions=questions, call_days=[])
    response = manager_api.post(url(campaign.pk, "activate"))
    assert response.status_code == 400
    assert set(response.json()) == {
        "contacts",
        "texts.en.intro",
        "questions.1.text.en",
        "call_days",
    }
    assert response.json()["questions.1.text.en"] == ["Question 1 has no English text."]


def test_a_transition_the_status_does_not_allow_is_a_400_with_the_reason(manager_api):
    campaign = CampaignFactory(status="draft")
    response = manager_api.post(url(campaign.pk, "pause"))
    assert response.status_code == 400
    assert response.json() == {"detail": "Cannot pause a draft campaign (only from: running)."}


def test_an_unknown_campaign_is_a_404(manager_api):
    assert manager_api.post(url(uuid.uuid4(), "activate")).status_code == 404


def test_only_post(manager_api):
    campaign = CampaignFactory(status="running")
    assert manager_api.get(url(campaign.pk, "pause")).status_code == 405

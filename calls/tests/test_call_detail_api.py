"""GET /api/calls/{call_id}: managers and admins read a call; viewers 403, anonymous 401."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from calls import dialogue
from calls.tests.factories import CallAttemptFactory, CallEventFactory, SurveyResponseFactory
from campaigns.tests.factories import THREE_QUESTIONS
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def call():
    started = timezone.now() - dt.timedelta(minutes=5)
    contact = ContactFactory(phone_number="+393331234567", state="completed", attempts_count=2)
    attempt = CallAttemptFactory(
        contact=contact,
        attempt_number=2,
        provider_call_id="SIM-42",
        started_at=started,
        answered_at=started + dt.timedelta(seconds=8),
        ended_at=started + dt.timedelta(seconds=98),
        outcome="completed",
        provider_raw_status="completed",
        dialogue_step="ended",
        transcript="consent: Hello…\ncallee: keyed 1 → yes",
    )
    SurveyResponseFactory(contact=contact, campaign=contact.campaign, call_attempt=attempt)
    CallEventFactory(attempt=attempt, event_key="status:ringing:2", status="ringing")
    CallEventFactory(attempt=attempt, event_key="status:answered:3", status="answered")
    return attempt


def url(call_id):
    return f"/api/calls/{call_id}"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, call, status):
    assert persona_api.get(url(call.pk)).status_code == status


def test_a_missing_call_is_404(manager_api):
    response = manager_api.get(url(uuid.uuid4()))
    assert response.status_code == 404
    assert response.json() == {"detail": "No such call."}


def test_the_call_in_full(manager_api, call):
    data = manager_api.get(url(call.pk)).json()
    assert data["call_id"] == str(call.pk)
    assert data["campaign"] == {"id": str(call.campaign_id), "name": call.campaign.name}
    assert data["contact"]["phone_number"] == "+393331234567"
    assert data["contact"]["state"] == "completed"
    assert (data["attempt_number"], data["outcome"], data["provider"]) == (
        2,
        "completed",
        "simulator",
    )
    assert (data["provider_call_id"], data["error_code"]) == ("SIM-42", "")
    assert data["duration_seconds"] == 90
    assert data["transcript"].endswith("keyed 1 → yes")
    assert [a["answer"] for a in data["answers"]] == ["8", "2", "faster support"]
    assert data["answers"][0] == {
        "number": 1,
        "key": "q1",
        "question": THREE_QUESTIONS["en"][0],
        "question_type": "scale",
        "status": "answered",
        "answer": "8",
        "raw": "8",
        "mode": "speech",
        "confidence": 0.9,
        "asked": 1,
    }
    assert [a["question_type"] for a in data["answers"]] == ["scale", "number", "free_text"]
    assert [e["status"] for e in data["events"]] == ["ringing", "answered"]


def test_a_call_in_flight_shows_what_the_dialogue_heard_so_far(manager_api):
    heard = dialogue.Answer(
        key="q1",
        position=1,
        status="answered",
        value="7",
        raw="seven",
        mode="speech",
        confidence=0.91,
        asked=2,
        question_type="scale",
    )
    state = dialogue.State(position=1, turn=4, answers=(heard,), consented=True, step="q2")
    attempt = CallAttemptFactory(metadata={"dialogue": state.to_dict()})
    data = manager_api.get(url(attempt.pk)).json()
    assert data["outcome"] is None
    assert data["ended_at"] is None
    assert [
        (a["key"], a["question"], a["answer"], a["raw"], a["confidence"], a["asked"])
        for a in data["answers"]
    ] == [("q1", THREE_QUESTIONS["en"][0], "7", "seven", 0.91, 2)]


def test_query_count(admin_api, call, django_assert_num_queries):
    # 1 the attempt with its campaign and contact, 2 its survey response, 3 the campaign's
    # questions (their text in the call's language), 4 the response's answers, 5 its events.
    with django_assert_num_queries(5):
        assert admin_api.get(url(call.pk)).status_code == 200

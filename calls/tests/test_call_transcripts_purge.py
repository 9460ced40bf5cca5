"""call_transcripts_purge: a call's words go after the retention period; its results stay."""

import datetime as dt

import pytest
from django.utils import timezone

from calls.models import CallEvent
from calls.selectors import provider_config_get
from calls.services import call_transcripts_purge
from calls.tests.factories import CallAttemptFactory, CallEventFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
SPOKEN = {"SpeechResult": "eight, and the support was slow", "Confidence": "0.91"}


# A call's stored dialogue state: its answers keep what was heard while the call goes on.
STATE = {
    "step": "ended",
    "answers": [
        {"key": "q1", "position": 1, "status": "answered", "value": "8", "raw": "eight"},
        {"key": "q3", "position": 3, "status": "answered", "value": "slow", "raw": "so slow"},
    ],
}


def call(days_ago, *, transcript="q1: eight | q3: the support was slow"):
    ended = NOW - dt.timedelta(days=days_ago)
    attempt = CallAttemptFactory(
        outcome="completed",
        started_at=ended - dt.timedelta(minutes=3),
        answered_at=ended - dt.timedelta(minutes=2),
        ended_at=ended,
        transcript=transcript,
        metadata={"dialogue": STATE, "status_rank": 3},
    )
    CallEventFactory(attempt=attempt, status="dialogue", event_key="dialogue:2", payload=SPOKEN)
    CallEventFactory(attempt=attempt, status="completed", payload={"CallStatus": "completed"})
    return attempt


def test_purges_the_words_of_calls_past_the_retention_period():
    config = provider_config_get()
    config.transcript_retention_days = 30
    config.save()
    old, recent = call(31), call(29)
    response = SurveyResponseFactory(
        contact=old.contact, call_attempt=old, answer_values={"q3": "slow"}
    )
    kept = SurveyResponseFactory(
        contact=recent.contact, call_attempt=recent, answer_values={"q3": "slow"}
    )

    assert call_transcripts_purge(now=NOW) == 1

    old.refresh_from_db(), recent.refresh_from_db(), response.refresh_from_db()
    assert old.transcript == ""
    assert recent.transcript.startswith("q1: eight")
    assert CallEvent.objects.get(attempt=old, status="dialogue").payload == {}
    assert CallEvent.objects.get(attempt=recent, status="dialogue").payload == SPOKEN
    # What the call established stays: the status event, the outcome, the answers.
    assert CallEvent.objects.get(attempt=old, status="completed").payload != {}
    assert old.outcome == "completed"
    assert response.answer_values == {"q3": "slow"}
    assert list(response.answers.values_list("key", "value")) == [("q3", "slow")]
    # … but not the raw words heard beside it, kept only for a recent call.
    assert list(response.answers.values_list("raw", flat=True)) == [""]
    assert list(kept.answers.values_list("raw", flat=True)) == ["slow"]
    # … nor in the call's stored dialogue state, whose values stay.
    state = old.metadata["dialogue"]
    assert [(a["value"], a["raw"]) for a in state["answers"]] == [("8", ""), ("slow", "")]
    assert old.metadata["status_rank"] == 3
    assert recent.metadata["dialogue"] == STATE


def test_calls_in_flight_and_already_purged_calls_are_left_alone():
    in_flight = CallAttemptFactory(started_at=NOW - dt.timedelta(days=200), transcript="hello")
    call(100, transcript="")
    assert call_transcripts_purge(now=NOW) == 0
    in_flight.refresh_from_db()
    assert in_flight.transcript == "hello"
    # The empty-transcript call still had its dialogue event's words erased.
    assert not CallEvent.objects.filter(status="dialogue").exclude(payload={}).exists()

"""The campaign lifecycle table, checked exhaustively: every (status, action) pair."""

import datetime as dt

import pytest

from campaigns.lifecycle import (
    TransitionError,
    activation_problems,
    allowed_actions,
    editable_fields,
    next_status,
)
from campaigns.models import Campaign
from campaigns.models import CampaignStatus as S
from campaigns.questionnaire import QuestionSpec

ALLOWED = {
    (S.DRAFT, "activate"): S.RUNNING,
    (S.DRAFT, "schedule"): S.SCHEDULED,
    (S.SCHEDULED, "start"): S.RUNNING,
    (S.RUNNING, "pause"): S.PAUSED,
    (S.PAUSED, "resume"): S.RUNNING,
    (S.RUNNING, "complete"): S.COMPLETED,
    (S.DRAFT, "cancel"): S.CANCELLED,
    (S.SCHEDULED, "cancel"): S.CANCELLED,
    (S.RUNNING, "cancel"): S.CANCELLED,
    (S.PAUSED, "cancel"): S.CANCELLED,
}
ACTIONS = ["activate", "schedule", "start", "pause", "resume", "complete", "cancel"]


@pytest.mark.parametrize("action", ACTIONS)
@pytest.mark.parametrize("status", list(S))
def test_every_transition(status, action):
    if (status, action) in ALLOWED:
        assert next_status(status, action) == ALLOWED[(status, action)]
    else:
        with pytest.raises(TransitionError) as excinfo:
            next_status(status, action)
        assert str(status) in str(excinfo.value)


def test_final_statuses_explain_themselves():
    with pytest.raises(TransitionError, match="a completed campaign cannot change"):
        next_status(S.COMPLETED, "resume")


def test_editable_fields_by_status():
    assert editable_fields(S.DRAFT) is None
    assert editable_fields(S.SCHEDULED) is None
    assert "name" in editable_fields(S.RUNNING)
    assert {"texts", "languages", "questions"}.isdisjoint(editable_fields(S.PAUSED))
    assert editable_fields(S.COMPLETED) == frozenset() == editable_fields(S.CANCELLED)


@pytest.mark.parametrize(
    ("status", "actions"),
    [
        (S.DRAFT, ["activate", "cancel"]),
        (S.SCHEDULED, ["cancel"]),
        (S.RUNNING, ["pause", "cancel"]),
        (S.PAUSED, ["resume", "cancel"]),
        (S.COMPLETED, []),
        (S.CANCELLED, []),
    ],
)
def test_allowed_actions_by_status(status, actions):
    assert allowed_actions(status) == actions


def _questions(*texts):
    return tuple(
        QuestionSpec(key=f"q{n}", type="free_text", texts={"en": text})
        for n, text in enumerate(texts, start=1)
    )


READY_QUESTIONS = _questions("One?", "Two?", "Three?")


def _ready(**changes):
    fields = {
        "language": "en",
        "languages": ["en"],
        "texts": {"en": {"intro": "Hello, a short survey."}},
        "max_attempts": 3,
        "call_window_start": dt.time(9),
        "call_window_end": dt.time(20),
        "call_days": [1, 2, 3],
        "timezone": "Europe/Rome",
    }
    return Campaign(**{**fields, **changes})


def test_a_ready_campaign_has_no_problems():
    assert activation_problems(_ready(), questions=READY_QUESTIONS, has_dialable_contact=True) == {}


@pytest.mark.parametrize(
    ("changes", "questions", "dialable", "field", "message"),
    [
        ({}, READY_QUESTIONS, False, "contacts", "No contact can be dialled"),
        (
            {"texts": {"en": {"intro": "  "}}},
            READY_QUESTIONS,
            True,
            "texts.en.intro",
            "Introduction is missing in English",
        ),
        ({}, (), True, "questions", "A survey needs at least one question."),
        ({}, _questions("", "Two?", "Three?"), True, "questions.1.text.en", "Question 1 has no"),
        ({}, _questions("One?", "\n", "Three?"), True, "questions.2.text.en", "Question 2 has no"),
        ({}, _questions("One?", "Two?", ""), True, "questions.3.text.en", "Question 3 has no"),
        ({"max_attempts": 0}, READY_QUESTIONS, True, "max_attempts", "between 1 and 5"),
        ({"max_attempts": 6}, READY_QUESTIONS, True, "max_attempts", "between 1 and 5"),
        (
            {"call_window_start": dt.time(20)},
            READY_QUESTIONS,
            True,
            "call_window_end",
            "must end after it starts",
        ),
        (
            {"call_window_start": dt.time(21)},
            READY_QUESTIONS,
            True,
            "call_window_end",
            "must end after it starts",
        ),
        ({"call_days": []}, READY_QUESTIONS, True, "call_days", "at least one day"),
        (
            {"timezone": "Mars/Olympus"},
            READY_QUESTIONS,
            True,
            "timezone",
            "Unknown time zone 'Mars/Olympus'",
        ),
        ({"timezone": ""}, READY_QUESTIONS, True, "timezone", "Unknown time zone"),
    ],
)
def test_each_activation_problem(changes, questions, dialable, field, message):
    problems = activation_problems(
        _ready(**changes), questions=questions, has_dialable_contact=dialable
    )
    assert list(problems) == [field]
    assert message in problems[field][0]


def test_every_problem_is_listed_at_once():
    campaign = _ready(texts={"en": {"intro": ""}}, call_days=[], timezone="Nowhere")
    questions = _questions("One?", "", "Three?")
    assert set(activation_problems(campaign, questions=questions, has_dialable_contact=False)) == {
        "contacts",
        "texts.en.intro",
        "questions.2.text.en",
        "call_days",
        "timezone",
    }

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
    assert "question_1_text" not in editable_fields(S.PAUSED)
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


def _ready(**changes):
    fields = {
        "intro_script": "Hello, a short survey.",
        "question_1_text": "One?",
        "question_2_text": "Two?",
        "question_3_text": "Three?",
        "max_attempts": 3,
        "call_window_start": dt.time(9),
        "call_window_end": dt.time(20),
        "call_days": [1, 2, 3],
        "timezone": "Europe/Rome",
    }
    return Campaign(**{**fields, **changes})


def test_a_ready_campaign_has_no_problems():
    assert activation_problems(_ready(), has_dialable_contact=True) == {}


@pytest.mark.parametrize(
    ("changes", "dialable", "field", "message"),
    [
        ({}, False, "contacts", "No contact can be dialled"),
        ({"intro_script": "  "}, True, "intro_script", "The introduction is empty"),
        ({"question_1_text": ""}, True, "question_1_text", "Question 1 is empty."),
        ({"question_2_text": "\n"}, True, "question_2_text", "Question 2 is empty."),
        ({"question_3_text": ""}, True, "question_3_text", "Question 3 is empty."),
        ({"max_attempts": 0}, True, "max_attempts", "between 1 and 5"),
        ({"max_attempts": 6}, True, "max_attempts", "between 1 and 5"),
        ({"call_window_start": dt.time(20)}, True, "call_window_end", "must end after it starts"),
        ({"call_window_start": dt.time(21)}, True, "call_window_end", "must end after it starts"),
        ({"call_days": []}, True, "call_days", "at least one day"),
        ({"timezone": "Mars/Olympus"}, True, "timezone", "Unknown time zone 'Mars/Olympus'"),
        ({"timezone": ""}, True, "timezone", "Unknown time zone"),
    ],
)
def test_each_activation_problem(changes, dialable, field, message):
    problems = activation_problems(_ready(**changes), has_dialable_contact=dialable)
    assert list(problems) == [field]
    assert message in problems[field][0]


def test_every_problem_is_listed_at_once():
    campaign = _ready(intro_script="", question_2_text="", call_days=[], timezone="Nowhere")
    assert set(activation_problems(campaign, has_dialable_contact=False)) == {
        "contacts",
        "intro_script",
        "question_2_text",
        "call_days",
        "timezone",
    }

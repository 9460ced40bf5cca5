"""The campaign lifecycle table, checked exhaustively: every (status, action) pair."""

import pytest

from campaigns.lifecycle import TransitionError, editable_fields, next_status
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
    assert editable_fields(S.DRAFT) is None and editable_fields(S.SCHEDULED) is None
    assert "name" in editable_fields(S.RUNNING) and "question_1_text" not in editable_fields(
        S.PAUSED
    )
    assert editable_fields(S.COMPLETED) == frozenset() == editable_fields(S.CANCELLED)

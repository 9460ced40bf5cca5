"""The campaign lifecycle of DESIGN §5, as a table. Pure: no database, no side effects.

draft ─activate─▶ scheduled ─start─▶ running ⇄ paused
  │                  │                 │
  └──activate (no starts_at, or past)──┘ └─complete─▶ completed
any non-final ─cancel─▶ cancelled
"""

from __future__ import annotations

from campaigns.models import CampaignStatus

S = CampaignStatus

TRANSITIONS: dict[str, dict[str, str]] = {
    # action: {from status: to status}
    "activate": {S.DRAFT: S.RUNNING},  # or S.SCHEDULED with a future starts_at
    "schedule": {S.DRAFT: S.SCHEDULED},
    "start": {S.SCHEDULED: S.RUNNING},
    "pause": {S.RUNNING: S.PAUSED},
    "resume": {S.PAUSED: S.RUNNING},
    "complete": {S.RUNNING: S.COMPLETED},
    "cancel": {
        S.DRAFT: S.CANCELLED,
        S.SCHEDULED: S.CANCELLED,
        S.RUNNING: S.CANCELLED,
        S.PAUSED: S.CANCELLED,
    },
}

FINAL_STATUSES = frozenset({S.COMPLETED, S.CANCELLED})

# What may be edited in each status (DESIGN §5): draft everything; running/paused a few
# fields; scheduled like draft (it has not dialled anyone yet); final nothing.
EDITABLE_WHILE_LIVE = frozenset(
    {
        "name",
        "description",
        "call_window_start",
        "call_window_end",
        "call_days",
        "max_attempts",
        "retry_interval_minutes",
    }
)


class TransitionError(ValueError):
    """An action the campaign's current status does not allow; the message says why."""


def next_status(current: str, action: str) -> str:
    """The status after `action`, or TransitionError explaining why it is not allowed."""
    allowed = TRANSITIONS[action]
    if current in allowed:
        return allowed[current]
    if current in FINAL_STATUSES:
        raise TransitionError(f"The campaign is {current}; a {current} campaign cannot change.")
    froms = ", ".join(sorted(allowed))
    raise TransitionError(f"Cannot {action} a {current} campaign (only from: {froms}).")


def editable_fields(status: str) -> frozenset[str] | None:
    """Fields that may change in this status; None means every field."""
    if status in (S.DRAFT, S.SCHEDULED):
        return None
    if status in (S.RUNNING, S.PAUSED):
        return EDITABLE_WHILE_LIVE
    return frozenset()

"""The campaign lifecycle of docs/architecture.md §5, as a table. Pure: no database, no side
effects.

draft ─activate─▶ scheduled ─start─▶ running ⇄ paused
  │                  │                 │
  └──activate (no starts_at, or past)──┘ └─complete─▶ completed
any non-final ─cancel─▶ cancelled
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Sequence

from campaigns.languages import Language
from campaigns.models import MAX_ATTEMPTS_LIMIT, CampaignStatus
from campaigns.questionnaire import QuestionSpec, questionnaire_problems, script_problems

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

# What people (pages, API, admin) may ask for; "schedule", "start" and "complete" are the
# system's (activation with a future start, the scheduler, the last call ending).
USER_ACTIONS = ("activate", "pause", "resume", "cancel")

# What may be edited in each status (docs/architecture.md §5): draft everything; running/paused a
# few fields; scheduled like draft (it has not dialled anyone yet); final nothing.
EDITABLE_WHILE_LIVE = frozenset(
    {
        "name",
        "description",
        "call_window_start",
        "call_window_end",
        "call_days",
        "max_attempts",
        "retry_interval_minutes",
        "budget",
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


def allowed_actions(status: str) -> list[str]:
    """The user actions open to a campaign in this status, in display order."""
    return [action for action in USER_ACTIONS if status in TRANSITIONS[action]]


def activation_problems(
    campaign, *, questions: Sequence[QuestionSpec], has_dialable_contact: bool
) -> dict[str, list[str]]:
    """Everything that stops `campaign` from being activated, field by field (docs/architecture.md
    §5); empty when it may go. Pure: the caller gives the questionnaire and says whether a
    contact can be dialled."""
    problems: dict[str, list[str]] = {}

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not has_dialable_contact:
        add(
            "contacts",
            "No contact can be dialled: upload contacts first (excluded and do-not-call "
            "numbers are never dialled).",
        )
    languages = campaign.survey_languages
    script = script_problems(
        language=campaign.language,
        languages=campaign.languages or [],
        texts=campaign.texts or {},
        known_languages=Language.values,
        require_texts=True,
    )
    asked = questionnaire_problems(questions, languages=languages, require_texts=True)
    for field, messages in (*script.items(), *asked.items()):
        for message in messages:
            add(field, message)
    attempts = campaign.max_attempts
    if attempts is None or not 1 <= attempts <= MAX_ATTEMPTS_LIMIT:
        add("max_attempts", f"Max attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}.")
    start, end = campaign.call_window_start, campaign.call_window_end
    if start is None or end is None or start >= end:
        add("call_window_end", "The call window must end after it starts.")
    if not campaign.call_days:
        add("call_days", "Choose at least one day on which calls may be placed.")
    try:
        zoneinfo.ZoneInfo(campaign.timezone or "")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        add("timezone", f"Unknown time zone {campaign.timezone!r}: use an IANA name.")
    return problems

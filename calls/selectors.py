from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from calls import dialogue
from calls.models import CallAttempt, CallEvent, ProviderConfig, SurveyResponse


def provider_config_get() -> ProviderConfig:
    """The one ProviderConfig row, created with defaults on first use."""
    config, _ = ProviderConfig.objects.get_or_create(pk=ProviderConfig.SINGLETON_ID)
    return config


@dataclass(frozen=True)
class CallAnswer:
    number: int
    question: str
    question_type: str
    answer: str
    confidence: float | None


def call_attempt_get(*, call_id: uuid.UUID) -> CallAttempt:
    """One attempt with its campaign and contact; CallAttempt.DoesNotExist when absent."""
    return CallAttempt.objects.select_related("campaign", "contact").get(pk=call_id)


def call_attempt_answers(*, attempt: CallAttempt) -> list[CallAnswer]:
    """The answers this call collected: the survey response it completed, or else what the
    dialogue heard before the call ended (a call hung up after two questions has two)."""
    response = SurveyResponse.objects.filter(call_attempt=attempt).first()
    if response is not None:
        values = [
            (response.q1_answer, response.q1_confidence),
            (response.q2_answer, response.q2_confidence),
            (response.q3_answer, response.q3_confidence),
        ]
    else:
        saved = attempt.metadata.get("dialogue")
        state = dialogue.State.from_dict(saved) if saved else dialogue.State()
        values = [(a.value, a.confidence) for a in state.answers]
    questions = attempt.campaign.questions
    return [
        CallAnswer(i, questions[i - 1][0], questions[i - 1][1], value, confidence)
        for i, (value, confidence) in enumerate(values, start=1)
        if value
    ]


def call_attempt_events(*, attempt: CallAttempt) -> QuerySet[CallEvent]:
    return attempt.events.order_by("received_at", "id")


def contact_attempts(*, attempt: CallAttempt) -> QuerySet[CallAttempt]:
    """Every attempt at the same contact, first to last."""
    return CallAttempt.objects.filter(contact_id=attempt.contact_id).order_by("attempt_number")

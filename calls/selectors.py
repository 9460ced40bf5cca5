from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import QuerySet

from calls import dialogue
from calls.models import Answer, CallAttempt, CallEvent, ProviderConfig, SurveyResponse
from campaigns.models import Question


def provider_config_get() -> ProviderConfig:
    """The one ProviderConfig row, created with defaults on first use."""
    config, _ = ProviderConfig.objects.get_or_create(pk=ProviderConfig.SINGLETON_ID)
    return config


@dataclass(frozen=True)
class CallAnswer:
    number: int  # the question's position
    key: str
    question: str  # as the callee heard it: in the call's language
    question_type: str
    status: str  # answered | unanswered
    answer: str
    raw: str  # the digits keyed or the words said
    mode: str  # speech | dtmf
    confidence: float | None
    asked: int


def call_attempt_get(*, call_id: uuid.UUID) -> CallAttempt:
    """One attempt with its campaign and contact; CallAttempt.DoesNotExist when absent."""
    return CallAttempt.objects.select_related("campaign", "contact").get(pk=call_id)


def _attempt_response(attempt: CallAttempt) -> SurveyResponse | None:
    """The survey response the call completed, read once per attempt object: the call detail
    asks for both its answers and its language."""
    if "_survey_response" not in attempt.__dict__:
        response = SurveyResponse.objects.filter(call_attempt=attempt).first()
        attempt.__dict__["_survey_response"] = response
    return attempt.__dict__["_survey_response"]


def call_attempt_language(*, attempt: CallAttempt) -> str:
    """The language the call was in: the survey's record, else the contact's preferred one
    when the campaign has it, else the campaign's default."""
    response = _attempt_response(attempt)
    if response is not None and response.language:
        return response.language
    preferred = attempt.contact.preferred_language
    campaign = attempt.campaign
    return preferred if preferred in campaign.survey_languages else campaign.language


def call_attempt_answers(*, attempt: CallAttempt) -> list[CallAnswer]:
    """The answers this call collected, each beside its question in the call's language: the
    survey response it completed, or else what the dialogue heard before the call ended (a
    call hung up after two questions has two)."""
    language = call_attempt_language(attempt=attempt)
    texts = {
        question.position: question.text.get(language, "")
        for question in Question.objects.filter(campaign_id=attempt.campaign_id)
    }
    response = _attempt_response(attempt)
    if response is not None:
        rows = [
            (
                a.position,
                a.key,
                a.question_type,
                a.status,
                a.value,
                a.raw,
                a.mode,
                a.confidence,
                a.asked,
            )
            for a in Answer.objects.filter(response=response)
        ]
    else:
        saved = attempt.metadata.get("dialogue")
        state = dialogue.State.from_dict(saved) if saved else dialogue.State()
        rows = [
            (
                a.position,
                a.key,
                a.question_type,
                a.status,
                a.value,
                a.raw,
                a.mode,
                a.confidence,
                a.asked,
            )
            for a in state.answers
        ]
    return [
        CallAnswer(
            number=position,
            key=key,
            question=texts.get(position, ""),
            question_type=kind,
            status=status,
            answer=value,
            raw=raw,
            mode=mode,
            confidence=confidence,
            asked=asked,
        )
        for position, key, kind, status, value, raw, mode, confidence, asked in rows
    ]


def call_attempt_events(*, attempt: CallAttempt) -> QuerySet[CallEvent]:
    return attempt.events.order_by("received_at", "id")


def contact_attempts(*, attempt: CallAttempt) -> QuerySet[CallAttempt]:
    """Every attempt at the same contact, first to last."""
    return CallAttempt.objects.filter(contact_id=attempt.contact_id).order_by("attempt_number")

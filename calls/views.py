"""Pages of the calls engine: the call detail page, and the rehearsal of a campaign's dialogue."""

from __future__ import annotations

from django.core import signing
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_http_methods

from calls import dialogue
from calls.dialogue import Reply
from calls.models import CallAttempt
from calls.selectors import (
    call_attempt_answers,
    call_attempt_events,
    call_attempt_get,
    call_attempt_language,
    contact_attempts,
)
from calls.services import campaign_script
from campaigns.languages import language_name
from campaigns.models import Campaign
from campaigns.questionnaire import questionnaire_problems
from campaigns.selectors import campaign_questionnaire
from voicesurvey.htmx import render_partial_or_page
from voicesurvey.permissions import Capability, phone_number_for, require_capability

# Managers and admins only: see calls.api.CanReadCallDetails for why.
_can_read_calls = require_capability(Capability.SEE_PHONE_NUMBERS)


def _get_attempt_or_404(call_id) -> CallAttempt:
    try:
        return call_attempt_get(call_id=call_id)
    except CallAttempt.DoesNotExist as exc:
        raise Http404("No such call.") from exc


@_can_read_calls
def call_detail(request, call_id):
    attempt = _get_attempt_or_404(call_id)
    return render(
        request,
        "calls/call_detail.html",
        {
            "attempt": attempt,
            "campaign": attempt.campaign,
            "contact": attempt.contact,
            "phone_number": phone_number_for(request.user, attempt.contact.phone_number),
            "answers": call_attempt_answers(attempt=attempt),
            "call_language_name": language_name(call_attempt_language(attempt=attempt)),
            "events": list(call_attempt_events(attempt=attempt)),
            "siblings": list(
                contact_attempts(attempt=attempt).only(
                    "call_id", "attempt_number", "outcome", "started_at"
                )
            ),
            "transcript_lines": attempt.transcript.splitlines(),
        },
    )


@_can_read_calls
def contact_latest_call(request, contact_id):
    """The contact's most recent call, for tables that list contacts and link to their call."""
    latest = (
        CallAttempt.objects.filter(contact_id=contact_id)
        .order_by("-attempt_number")
        .values_list("call_id", flat=True)
        .first()
    )
    if latest is None:
        raise Http404("This contact has not been called.")
    return redirect("call_detail", call_id=latest)


# --- the rehearsal: the real dialogue, without a call ---------------------------------------------
#
# Nothing is stored: the dialogue's State (and the exchanges so far, to show them) travels in the
# form, signed, and comes back with the next reply. A state that was altered is refused.

REHEARSE_SALT = "rehearse"
REHEARSE_PANEL = "calls/_rehearse_panel.html"
KEYPAD = ("1", "2", "3", "4", "5", "6", "7", "8", "9", "*", "0", "#")
_LOG_KEPT = 60  # exchanges shown (a survey has at most 20 questions, each asked at most twice)

_KIND_LABELS = {
    "answer": "an answer",
    "yes": "yes: the callee agrees",
    "no": "no: the callee declines",
    "silence": "silence",
    "unclear": "not understood",
    "out_of_range": "out of range",
    "low_confidence": "heard with too little confidence",
    "unsure": "the callee is unsure",
    "repeat": "a request to repeat",
    "stop": "a request to stop",
    "do_not_call": "a request never to be called again",
    "callback": "a request to be called later",
    "ignored": "ignored: the call has ended",
}
_OUTCOME_LABELS = {
    dialogue.COMPLETED: "completed",
    dialogue.REFUSED: "refused",
    dialogue.FAILED: "failed",
    dialogue.CALLBACK: "call back later",
}


class _BadRehearsal(Exception):
    """A state that was altered, is unreadable or belongs to another campaign."""


def _rehearsal_problems(campaign: Campaign, language: str) -> list[str]:
    """What keeps the survey from being rehearsed in `language` (its texts and questions in that
    language; the other languages do not matter here)."""
    problems = []
    if not campaign.text(language, "intro").strip():
        problems.append(
            f"The introduction in {language_name(language)} is missing: say who is calling, "
            "why, how long it takes and how to opt out."
        )
    questions = campaign_questionnaire(campaign)
    found = questionnaire_problems(questions, languages=[language], require_texts=True)
    problems.extend(message for messages in found.values() for message in messages)
    if language not in dialogue.LANGUAGES:
        problems.append(f"The system cannot speak {language_name(language)} yet.")
    return problems


def _where(script: dialogue.Script, state: dialogue.State) -> str:
    if state.ended:
        return "the end"
    if state.position < 0:
        return "the consent question"
    return f"question {state.position + 1} ({script.questions[state.position].key})"


def _what_next(script: dialogue.Script, before: dialogue.State, after: dialogue.State) -> str:
    """Where the survey goes after a reply, in words."""
    if before.ended:
        return "Nothing: the call had ended."
    if after.ended:
        outcome = _OUTCOME_LABELS.get(after.outcome, after.outcome)
        why = f" ({after.error.replace('_', ' ')})" if after.error else ""
        extra = ", and the number goes on the do-not-call list" if after.do_not_call else ""
        return f"The call ends: {outcome}{why}{extra}."
    if after.position == before.position:
        return f"{_where(script, after).capitalize()} is asked once more."
    said = f"Next: {_where(script, after)}."
    skipped = after.position - before.position - 1
    if before.position >= 0 and skipped > 0:
        first, last = before.position + 2, after.position
        span = f"question {first}" if first == last else f"questions {first}–{last}"
        said += f" A skip rule jumps over {span}."
    return said


def _reading_shown(reading) -> dict:
    confidence = reading.confidence
    return {
        "kind": reading.kind,
        "kind_label": _KIND_LABELS.get(reading.kind, reading.kind),
        "value": reading.value,
        "mode": reading.mode,
        "confidence": "—" if confidence is None else f"{confidence:.2f}",
    }


def _reply_from(post) -> tuple[Reply, str]:
    """The reply posted, and how it is shown: a keypad key, words (with an optional speech
    recognition confidence), or silence."""
    key = post.get("key", "")
    if key:
        if key not in KEYPAD:
            raise _BadRehearsal(f"{key!r} is no key of a phone's keypad.")
        return Reply(digits=key), f"pressed {key}"
    words = "" if post.get("silence") else post.get("reply_text", "").strip()
    if not words:
        return Reply(), "(silence)"
    confidence = None
    if post.get("confidence", "").strip():
        try:
            confidence = min(1.0, max(0.0, float(post["confidence"])))
        except ValueError as exc:
            raise _BadRehearsal("The confidence is a number from 0 to 1.") from exc
    return Reply(speech=words, confidence=confidence), f"said “{words}”"


def _saved(token: str, campaign: Campaign) -> dict:
    try:
        saved = signing.loads(token, salt=REHEARSE_SALT)
    except signing.BadSignature as exc:
        raise _BadRehearsal(
            "This rehearsal's state was altered or cannot be read: start again."
        ) from exc
    if not isinstance(saved, dict) or saved.get("campaign") != str(campaign.pk):
        raise _BadRehearsal("This rehearsal belongs to another campaign: start again.")
    return saved


def _panel(request, campaign: Campaign, status: int = 200, **context):
    languages = campaign.survey_languages
    return render_partial_or_page(
        request,
        partial=REHEARSE_PANEL,
        page="calls/rehearse_page.html",
        context={
            "campaign": campaign,
            "languages": [(code, language_name(code)) for code in languages],
            "language": context.get("language", campaign.language),
            "keypad": KEYPAD,
            **context,
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@require_capability(Capability.VIEW)
def campaign_rehearse(request, campaign_id):
    """GET: the panel, the first prompt in the language asked for (`?language=`). POST
    {state, reply_text [, confidence] | key | silence}: the reply to the prompt, how it was
    understood, and the next prompt. Nothing is written."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    version = campaign.updated_at.isoformat()
    log: list[dict] = []
    notice = ""
    if request.method == "POST":
        try:
            saved = _saved(request.POST.get("state", ""), campaign)
            reply, reply_shown = _reply_from(request.POST)
        except _BadRehearsal as exc:
            return _panel(request, campaign, status=400, error=str(exc))
        language = saved.get("language", campaign.language)
        if saved.get("version") != version or language not in campaign.survey_languages:
            notice = "The campaign changed since this rehearsal began: it starts again."
            state = None
        else:
            state = dialogue.State.from_dict(saved["state"])
            said = str(saved.get("said", ""))
            log = list(saved.get("log", []))
    else:
        language = request.GET.get("language", campaign.language)
        if language not in campaign.survey_languages:
            language = campaign.language
        state = None
    problems = _rehearsal_problems(campaign, language)
    if problems:
        return _panel(request, campaign, language=language, problems=problems)
    script = campaign_script(campaign=campaign, language=language)
    if state is None:
        state, turn = dialogue.start(script)
    else:
        before = state
        state, turn, reading = dialogue.advance(script, state, reply)
        log.append(
            {
                "where": _where(script, before),
                "say": said,
                "reply": reply_shown,
                "reading": _reading_shown(reading),
                "next": _what_next(script, before, state),
            }
        )
    token = signing.dumps(
        {
            "campaign": str(campaign.pk),
            "version": version,
            "language": language,
            "state": state.to_dict(),
            "said": turn.say,
            "log": log[-_LOG_KEPT:],
        },
        salt=REHEARSE_SALT,
        compress=True,
    )
    return _panel(
        request,
        campaign,
        language=language,
        notice=notice,
        turn=turn,
        where=_where(script, state),
        state=state,
        outcome=_OUTCOME_LABELS.get(state.outcome, state.outcome),
        token=token,
        log=log,
        answers=list(state.answers),
    )

"""The survey dialogue of docs/architecture.md §6.4: any questionnaire, as a small pure state
machine.

    intro + consent ─yes─▶ question ─answer─▶ next question (skip rules) … ─▶ goodbye (completed)
      │                       │  └─ unusable reply, silence, "repeat": asked once more, then
      │                       │     left unanswered and the survey goes on; two questions in a
      │                       │     row met with silence only ──────────────▶ goodbye (failed)
      │                       ├─ "stop" ──────────────────────────────────▶ goodbye (refused)
      │                       ├─ "do not call me" ────────────▶ goodbye (refused, do not call)
      │                       └─ "call me later" ─────────────────────────▶ goodbye (callback)
      ├─ no / stop ───────────────────────────────────────────────────────▶ goodbye (refused)
      ├─ "do not call me" ────────────────────────────────────▶ goodbye (refused, do not call)
      ├─ "call me later" ─────────────────────────────────────────────────▶ goodbye (callback)
      └─ silence, "repeat" or an unclear reply: asked once more; a second one ▶ goodbye (failed)

- Consent is the campaign's intro and consent question, then the phrasebook's keypad hint
  ("press 1 or say yes…"). Asked again, it is the "sorry" line, the consent question and the
  hint (not the whole intro). Failing twice ends the call as failed: `no_input` when the last
  reply was silence, `not_understood` otherwise.
- A question is its text, then how to answer it, always: the keypad digits must be known
  (yes/no keys; "a number from 0 to 10"; "for Phone, press 1; …"; "answer in a few words").
  An answer is recorded and the survey goes where the question's skip rules say
  (`campaigns.questionnaire.next_position`); after the last question, the goodbye.
- A reply that is no answer (silence, unclear, out of range, low confidence, unsure,
  "repeat") gets the question once more, after the "sorry" line; a second one leaves the
  question unanswered (`Answer.status` "unanswered", with what was last heard) and the survey
  goes on as if no skip rule matched. Two consecutive questions met with silence at both asks
  are a dead line: the call ends as failed, `no_input`.
- "Call me later" keeps the answers given so far; `State.callback` holds when, as heard
  (`calls.understanding.Callback` fields), for the caller to schedule.
- One language for the whole call: every word said is the `Script`'s (in its language) or that
  language's phrasebook (calls/phrasebook/); replies are read by calls/understanding.py.

`start` gives the first prompt, `advance` takes the callee's reply to the prompt awaiting one
and says how it was understood (a `Reading`), `prompt` re-renders the current prompt (a
provider's retried request), `machine_turn` is what an answering machine hears instead. No
database, no clock, no settings, no provider: the caller stores `State.to_dict()` with the call
and turns the `Turn` into speech (TwiML, the simulator's JSON).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, replace
from typing import Any

from calls import phrasebook, understanding
from calls.phrasebook import PHRASEBOOKS

# Reply, Reading and Callback are part of this module's interface: callers import them from here.
from calls.understanding import (
    ANSWER,
    DO_NOT_CALL,
    NO,
    SILENCE,
    STOP,
    YES,
    Callback,
    Reading,
    Reply,
    read_answer,
    read_consent,
)
from campaigns.questionnaire import (
    MAX_QUESTIONS,
    NUMBER,
    SCALE,
    SINGLE_CHOICE,
    QuestionSpec,
    next_position,
)

CONSENT = "consent"
ENDED = "ended"

# How a call ends (the caller maps these onto CallOutcome).
COMPLETED, REFUSED, FAILED, CALLBACK = "completed", "refused", "failed", "callback"
# Why it failed, or why it ends for a call back.
NO_INPUT, NOT_UNDERSTOOD, CALLBACK_REQUESTED = "no_input", "not_understood", "callback_requested"
# An Answer's status.
ANSWERED, UNANSWERED = "answered", "unanswered"
# The Reading of a reply that came after the call ended.
IGNORED = "ignored"

LANGUAGES = phrasebook.LANGUAGES

# Consecutive questions met with silence only after which the line is taken for dead.
DEAD_LINE_QUESTIONS = 2


@dataclass(frozen=True)
class Script:
    """What the campaign says, in the call's one language."""

    language: str
    intro: str  # identity, purpose, opt-out
    consent: str  # the consent question ("": the intro asks it; the keypad hint follows)
    questions: tuple[QuestionSpec, ...]  # 1 to MAX_QUESTIONS
    repeat: str = ""  # said before a prompt asked again; "": the phrasebook's
    goodbye: str = ""  # said after the last question; "": the phrasebook's

    def __post_init__(self) -> None:
        if self.language not in PHRASEBOOKS:
            raise ValueError(f"No phrasebook for language {self.language!r}.")
        if not 1 <= len(self.questions) <= MAX_QUESTIONS:
            raise ValueError(f"A script has 1 to {MAX_QUESTIONS} questions.")


@dataclass(frozen=True)
class Answer:
    """One question's result, as stored with the call."""

    key: str
    position: int  # 1-based, in the questionnaire (not in the order asked)
    status: str  # answered | unanswered
    value: str  # "" when unanswered
    raw: str  # the digits keyed or words said (the last reply when unanswered)
    mode: str  # speech | dtmf | "" (silence)
    confidence: float | None
    asked: int  # 1, or 2 after a re-ask
    question_type: str = ""  # the question's type when asked (kept with the stored answer)

    @property
    def is_answered(self) -> bool:
        return self.status == ANSWERED

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


@dataclass(frozen=True)
class State:
    """Where a call stands; stored as JSON with the call (`to_dict`, `from_dict`)."""

    position: int = -1  # -1: consent; 0…n-1: the question awaiting a reply
    ended: bool = False
    turn: int = 1  # number of the prompt awaiting a reply
    asked: int = 1  # times the current prompt has been said: 1, or 2 after a re-ask
    answers: tuple[Answer, ...] = ()  # in the order asked; a skipped question has none
    consented: bool = False
    do_not_call: bool = False
    outcome: str = ""  # "" while the call goes on; completed | refused | failed | callback
    error: str = ""  # failed: no_input | not_understood; callback: callback_requested
    silent_questions: int = 0  # consecutive questions left unanswered for silence only
    callback: dict[str, Any] | None = None  # `Callback` fields, as heard
    # Kept so that the caller can log where the call is without the script: consent, the
    # current question's key, or ended.
    step: str = CONSENT
    # The kind of reply that made the current prompt be said again ("" on its first ask).
    reasked_after: str = ""

    def answer_values(self) -> dict[str, str]:
        """{"q<position>": value} of the answered questions: {"q1": "yes", "q3": "7"}."""
        return {f"q{a.position}": a.value for a in self.answers if a.status == ANSWERED}

    def callback_when(self) -> Callback | None:
        return Callback(**self.callback) if self.callback is not None else None

    def to_dict(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["answers"] = [answer.to_dict() for answer in self.answers]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> State:
        values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        values["answers"] = tuple(Answer.from_dict(a) for a in data.get("answers", ()))
        if values.get("callback") is not None:
            values["callback"] = dict(values["callback"])
        return cls(**values)


@dataclass(frozen=True)
class Turn:
    """One prompt to speak. `expect` says what reply it waits for: consent, the question's
    type, or "" when the call ends (`hangup`)."""

    turn: int
    say: str
    language: str
    expect: str
    hangup: bool = False
    question: QuestionSpec | None = None  # the question asked (a <Gather> is shaped from it)
    hints: tuple[str, ...] = ()  # words to listen for: the options' names, in the language


# --- What is said --------------------------------------------------------------------------------


def _prompts(script: Script) -> dict[str, str]:
    return PHRASEBOOKS[script.language].prompts


def _sentences(*parts: str) -> str:
    return " ".join(part.strip() for part in parts if part and part.strip())


def _choice_hint(question: QuestionSpec, language: str, prompts: dict[str, str]) -> str:
    # "For Phone, press 1; for Email, press 2.": semicolons, as each option has a comma.
    options = "; ".join(
        prompts["choice_option"].format(label=option.labels.get(language, ""), digit=option.digit)
        for option in question.options
    )
    return prompts["choice"].format(options=options[:1].upper() + options[1:])


def _hint(question: QuestionSpec, language: str, prompts: dict[str, str]) -> str:
    """How to answer: always said, so that the keypad's meaning is known."""
    low, high = question.min_value, question.max_value
    if question.type == SCALE:
        return prompts["scale"].format(min=low, max=high)
    if question.type == NUMBER:
        if low is not None and high is not None:
            return prompts["number_range"].format(min=low, max=high)
        return prompts["number"]
    if question.type == SINGLE_CHOICE:
        return _choice_hint(question, language, prompts)
    return prompts[question.type]  # yes_no, free_text


def _hints(question: QuestionSpec, language: str) -> tuple[str, ...]:
    names = (
        name
        for option in question.options
        for name in (option.labels.get(language, ""), *option.synonyms.get(language, ()))
    )
    return tuple(dict.fromkeys(name.strip() for name in names if name.strip()))


def _goodbye(script: Script, state: State) -> str:
    prompts = _prompts(script)
    if state.outcome == COMPLETED:
        return script.goodbye or prompts["completed"]
    if state.do_not_call:
        return prompts["do_not_call"]
    return prompts[state.outcome]  # refused, failed, callback


def prompt(script: Script, state: State) -> Turn:
    """The prompt awaiting a reply in this state (the goodbye once the call has ended)."""
    language, prompts = script.language, _prompts(script)
    if state.ended:
        return Turn(state.turn, _goodbye(script, state), language, expect="", hangup=True)
    again = (script.repeat or prompts["repeat"]) if state.asked > 1 else ""
    if state.position < 0:
        opening = again or script.intro
        say = _sentences(opening, script.consent, prompts["consent_hint"])
        return Turn(state.turn, say, language, expect=CONSENT)
    question = script.questions[state.position]
    say = _sentences(again, question.text(language), _hint(question, language, prompts))
    return Turn(
        state.turn,
        say,
        language,
        expect=question.type,
        question=question,
        hints=_hints(question, language),
    )


def machine_turn(script: Script, *, leave_message: bool) -> Turn:
    """The only turn an answering machine gets: a short message after its beep, or nothing;
    then the call hangs up. The survey never starts."""
    say = _prompts(script)["voicemail"] if leave_message else ""
    return Turn(1, say, script.language, expect="", hangup=True)


# --- The machine ---------------------------------------------------------------------------------


def start(script: Script) -> tuple[State, Turn]:
    state = State()
    return state, prompt(script, state)


def _step(script: Script, position: int) -> str:
    return CONSENT if position < 0 else script.questions[position].key


def _next(script: Script, state: State, **changes: Any) -> tuple[State, Turn]:
    """The state after a reply (the next prompt's number), and its prompt."""
    state = replace(state, turn=state.turn + 1, **changes)
    return state, prompt(script, state)


def _end(script: Script, state: State, outcome: str, **changes: Any) -> tuple[State, Turn]:
    return _next(script, state, ended=True, step=ENDED, outcome=outcome, **changes)


def _ask(script: Script, state: State, position: int, **changes: Any) -> tuple[State, Turn]:
    """Go to the question at `position` (the end: the survey is complete)."""
    if position >= len(script.questions):
        return _end(script, state, COMPLETED, asked=1, reasked_after="", **changes)
    step = _step(script, position)
    return _next(script, state, position=position, step=step, asked=1, reasked_after="", **changes)


def _request(script: Script, state: State, reading: Reading) -> tuple[State, Turn] | None:
    """The callee's requests that end the call whatever was asked."""
    if reading.kind in (NO, STOP):
        return _end(script, state, REFUSED)
    if reading.kind == DO_NOT_CALL:
        return _end(script, state, REFUSED, do_not_call=True)
    if reading.kind == understanding.CALLBACK:
        when = dataclasses.asdict(reading.callback or Callback())
        return _end(script, state, CALLBACK, error=CALLBACK_REQUESTED, callback=when)
    return None


def advance(script: Script, state: State, reply: Reply) -> tuple[State, Turn, Reading]:
    """Take the reply to the current prompt; give the new state, the next prompt and how the
    reply was understood. Once the call has ended, replies change nothing (`IGNORED`)."""
    if state.ended:
        return state, prompt(script, state), Reading(IGNORED)
    if state.position < 0:
        reading = read_consent(reply, script.language)
        return (*_after_consent(script, state, reading), reading)
    question = script.questions[state.position]
    reading = read_answer(reply, question, script.language)
    return (*_after_answer(script, state, question, reading), reading)


def _after_consent(script: Script, state: State, reading: Reading) -> tuple[State, Turn]:
    if reading.kind == YES:
        return _ask(script, state, 0, consented=True)
    ended = _request(script, state, reading)
    if ended is not None:
        return ended
    # Silence, "repeat", unclear: once more, then the call ends.
    if state.asked == 1:
        return _next(script, state, asked=2, reasked_after=reading.kind)
    error = NO_INPUT if reading.kind == SILENCE else NOT_UNDERSTOOD
    return _end(script, state, FAILED, error=error)


def _after_answer(
    script: Script, state: State, question: QuestionSpec, reading: Reading
) -> tuple[State, Turn]:
    position = state.position
    if reading.kind == ANSWER:
        answer = Answer(
            key=question.key,
            position=position + 1,
            status=ANSWERED,
            value=reading.value,
            raw=reading.raw,
            mode=reading.mode,
            confidence=reading.confidence,
            asked=state.asked,
            question_type=question.type,
        )
        return _ask(
            script,
            state,
            next_position(script.questions, position, reading.value),
            answers=(*state.answers, answer),
            silent_questions=0,
        )
    ended = _request(script, state, reading)
    if ended is not None:
        return ended
    # No answer (silence, unclear, out of range, low confidence, unsure, "repeat"): asked once
    # more, the "sorry" line first and the hint saying what is expected.
    if state.asked == 1:
        return _next(script, state, asked=2, reasked_after=reading.kind)
    unanswered = Answer(
        key=question.key,
        position=position + 1,
        status=UNANSWERED,
        value="",
        raw=reading.raw,
        mode=reading.mode,
        confidence=reading.confidence,
        asked=state.asked,
        question_type=question.type,
    )
    answers = (*state.answers, unanswered)
    silent = reading.kind == SILENCE and state.reasked_after == SILENCE
    silent_questions = state.silent_questions + 1 if silent else 0
    if silent_questions >= DEAD_LINE_QUESTIONS:
        return _end(
            script,
            state,
            FAILED,
            error=NO_INPUT,
            answers=answers,
            silent_questions=silent_questions,
        )
    return _ask(
        script,
        state,
        next_position(script.questions, position, None),
        answers=answers,
        silent_questions=silent_questions,
    )

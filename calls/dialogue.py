"""The survey dialogue of docs/architecture.md §6.4, as a small pure state machine.

    intro + consent ─yes─▶ q1 ─▶ q2 ─▶ q3 ─▶ thanks, goodbye      (completed)
         │  └─no / stop / "do not call me"─▶ goodbye                (refused)
         └─ silence, "repeat" or an unusable reply: the same prompt once more;
            a second one ends the call                               (failed)

`start` gives the first prompt, `advance` takes the callee's reply to the prompt awaiting one,
`prompt` re-renders the current prompt (a provider's retried request); `machine_turn` is what
an answering machine hears instead. No database, no clock,
no provider: the caller stores `State.to_dict()` with the call and turns the `Turn` into speech
(TwiML, the simulator's JSON). What is said and understood in each language is in
calls/phrases.py.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, replace

from calls import phrases

CONSENT = "consent"
QUESTION_STEPS = ("q1", "q2", "q3")
ENDED = "ended"

# How a call ends (the caller maps these onto CallOutcome).
COMPLETED, REFUSED, FAILED = "completed", "refused", "failed"

FREE_TEXT, NUMERIC, SCALE = "free_text", "numeric", "scale"
MAX_FREE_TEXT = 500
MAX_NUMERIC = 100_000


@dataclass(frozen=True)
class Script:
    """What the campaign says, in the call's language."""

    language: str  # "en" | "it"
    intro: str  # identity, purpose, duration, opt-out and the consent question
    questions: tuple[tuple[str, str], ...]  # three (text, type) pairs


@dataclass(frozen=True)
class Reply:
    """What the callee keyed or said in answer to one prompt."""

    digits: str = ""
    speech: str = ""
    confidence: float | None = None  # the provider's speech-recognition confidence, 0–1

    @property
    def is_silence(self) -> bool:
        return not self.digits.strip() and not self.speech.strip()


@dataclass(frozen=True)
class Answer:
    value: str
    confidence: float | None


@dataclass(frozen=True)
class State:
    step: str = CONSENT  # consent | q1 | q2 | q3 | ended
    turn: int = 1  # number of the prompt awaiting a reply
    reasked: bool = False  # this step's one second chance is used
    answers: tuple[Answer, ...] = ()
    consented: bool = False
    do_not_call: bool = False
    outcome: str = ""  # "" while the call goes on; completed | refused | failed
    error: str = ""  # why it failed: no_input | not_understood

    def to_dict(self) -> dict:
        return {
            "step": self.step,
            "turn": self.turn,
            "reasked": self.reasked,
            "answers": [[a.value, a.confidence] for a in self.answers],
            "consented": self.consented,
            "do_not_call": self.do_not_call,
            "outcome": self.outcome,
            "error": self.error,
        }

    @classmethod
    def from_dict(cls, data: dict) -> State:
        return cls(
            step=data["step"],
            turn=data["turn"],
            reasked=data["reasked"],
            answers=tuple(Answer(value, confidence) for value, confidence in data["answers"]),
            consented=data["consented"],
            do_not_call=data["do_not_call"],
            outcome=data["outcome"],
            error=data["error"],
        )


@dataclass(frozen=True)
class Turn:
    """One prompt to speak. `expect` says what reply it waits for ("" when the call ends)."""

    turn: int
    say: str
    language: str
    expect: str  # consent | free_text | numeric | scale | ""
    hangup: bool = False


@dataclass(frozen=True)
class Heard:
    """How a reply was understood, for the call's transcript."""

    intent: str  # yes | no | stop | do_not_call | repeat | silence | answer | unclear | ignored
    value: str = ""


LANGUAGES = tuple(phrases.TEXT)


def normalize(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "Sì, certo!" -> ["si", "certo"]."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


def _phrase_table(language: str) -> list[tuple[tuple[str, ...], str]]:
    table = [
        (tuple(normalize(phrase)), intent)
        for intent, phrases in phrases.PHRASES[language].items()
        for phrase in phrases
    ]
    # Longest first, so "non ho capito" (repeat) wins over "non" (no) and "do not call"
    # (do_not_call) over "no".
    table.sort(key=lambda item: -len(item[0]))
    return table


_PHRASE_TABLES = {language: _phrase_table(language) for language in phrases.PHRASES}


@dataclass(frozen=True)
class Intents:
    found: frozenset[str]
    leftover: tuple[str, ...]  # words no phrase took, fillers dropped


def intents(text: str, language: str) -> Intents:
    """The intents a sentence expresses, each phrase matched once as whole words."""
    words = normalize(text)
    taken = [False] * len(words)
    found = set()
    for phrase, intent in _PHRASE_TABLES[language]:
        size = len(phrase)
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if tuple(words[start : start + size]) == phrase and not any(taken[i] for i in span):
                found.add(intent)
                for i in span:
                    taken[i] = True
    leftover = tuple(
        w
        for w, used in zip(words, taken, strict=True)
        if not used and w not in phrases.FILLER[language]
    )
    return Intents(frozenset(found), leftover)


def _italian_word_value(word: str) -> int | None:
    """ventitre -> 23, trentotto -> 38, cento -> 100, centoventi -> 120, duecento -> 200."""
    units, tens = phrases.NUMBER_WORDS["it"], phrases.TENS["it"]
    if word in units:
        return units[word]
    if word in tens:
        return tens[word]
    if word == "cento":
        return 100
    if word.startswith("cento"):
        rest = _italian_word_value(word[len("cento") :])
        return None if rest is None else 100 + rest
    if word.endswith("cento") and word[: -len("cento")] in phrases.IT_UNITS:
        return phrases.IT_UNITS[word[: -len("cento")]] * 100
    for name, value in tens.items():
        for stem in (name, name[:-1]):  # ventuno, trentotto: the tens' vowel drops
            unit = word[len(stem) :]
            if word.startswith(stem) and unit in phrases.IT_UNITS:
                return value + phrases.IT_UNITS[unit]
    return None


def _word_value(word: str, language: str) -> int | None:
    if word.isdigit():
        return int(word)
    if language == "it":
        return _italian_word_value(word)
    if word in phrases.NUMBER_WORDS["en"] and word != "a":
        return phrases.NUMBER_WORDS["en"][word]
    return phrases.TENS["en"].get(word)


def parse_number(text: str, language: str) -> int | None:
    """The first number in a sentence, in digits or words: "three times" -> 3,
    "twenty-one" -> 21, "a hundred and five" -> 105, "ventotto" -> 28, "mai" -> 0."""
    words = normalize(text)
    hundred = phrases.HUNDRED[language]
    for start, word in enumerate(words):
        if _word_value(word, language) is None and not (
            word in ("a", "un", "one") and words[start + 1 : start + 2] == [hundred]
        ):
            continue
        total, seen = 0, False
        for w in words[start:]:
            if w == hundred:
                total, seen = max(total, 1) * 100, True
            elif w in ("a", "un") and not seen:
                total, seen = 1, True  # "a hundred"
            elif w in ("and", "e") and seen:
                continue
            else:
                value = _word_value(w, language)
                # "twenty one" adds up; "three four" is two numbers: keep the first.
                if (
                    value is None
                    or (seen and total % 100 and value >= 10)
                    or (seen and total % 10 and value < 10)
                ):
                    break
                total, seen = total + value, True
        if seen:
            return total
    return None


def parse_answer(reply: Reply, question_type: str, language: str) -> Answer | None:
    """The reply as an answer to a question of this type, or None when it is not one."""
    digits = re.sub(r"\D", "", reply.digits)
    confidence: float | None
    if digits:
        value, confidence = digits, 1.0
    else:
        value = " ".join(reply.speech.split())[:MAX_FREE_TEXT]
        confidence = reply.confidence
        if confidence is not None:
            confidence = min(1.0, max(0.0, float(confidence)))
    if not value:
        return None
    if question_type == FREE_TEXT:
        return Answer(value, confidence)
    number = int(digits) if digits else parse_number(value, language)
    if number is None or number > MAX_NUMERIC:
        return None
    if question_type == SCALE and not 1 <= number <= 10:
        return None
    return Answer(str(number), confidence)


def hear_consent(reply: Reply, language: str) -> Heard:
    """Keys 1/2 or speech: yes, no (or stop), do_not_call, repeat, silence or unclear."""
    digits = re.sub(r"[^0-9]", "", reply.digits)
    if digits:
        return Heard({"1": "yes", "2": "no"}.get(digits, "unclear"), digits)
    if not reply.speech.strip():
        return Heard("silence")
    said = intents(reply.speech, language)
    if "do_not_call" in said.found:
        return Heard("do_not_call")
    yes = "yes" in said.found
    no = bool(said.found & {"no", "stop"})
    if yes and not no:
        return Heard("yes")
    if no and not yes:
        return Heard("no")
    if said.found == {"repeat"}:
        return Heard("repeat")
    return Heard("unclear")


def hear_answer(reply: Reply, question_type: str, language: str) -> Heard:
    """A question's reply: an answer, or do_not_call, stop, repeat, silence, unclear.
    Stop and repeat count only when they are all the callee said: "what I want is
    faster support" answers the question."""
    if reply.is_silence:
        return Heard("silence")
    if not reply.digits.strip():
        said = intents(reply.speech, language)
        if "do_not_call" in said.found:
            return Heard("do_not_call")
        if said.found and not said.leftover and said.found <= {"stop", "repeat"}:
            return Heard("stop" if "stop" in said.found else "repeat")
    answer = parse_answer(reply, question_type, language)
    if answer is None:
        return Heard("unclear")
    return Heard("answer", answer.value)


# --- The machine ---------------------------------------------------------------------------------


def _question(script: Script, step: str) -> tuple[str, str]:
    return script.questions[QUESTION_STEPS.index(step)]


def prompt(script: Script, state: State) -> Turn:
    """The prompt awaiting a reply in this state (or the goodbye once the call has ended)."""
    text = phrases.TEXT[script.language]
    if state.step == ENDED:
        goodbye = "do_not_call" if state.do_not_call else state.outcome
        return Turn(state.turn, text[goodbye], script.language, expect="", hangup=True)
    if state.step == CONSENT:
        say = text["consent_again"] if state.reasked else script.intro
        return Turn(state.turn, say, script.language, expect=CONSENT)
    question, question_type = _question(script, state.step)
    say = f"{question} {text[question_type]}"
    if state.reasked:
        say = f"{text['sorry']} {say}"
    return Turn(state.turn, say, script.language, expect=question_type)


def machine_turn(script: Script, *, leave_message: bool) -> Turn:
    """The only turn an answering machine gets: a short message after its beep, or nothing;
    then the call hangs up. The survey never starts."""
    say = phrases.TEXT[script.language]["voicemail"] if leave_message else ""
    return Turn(1, say, script.language, expect="", hangup=True)


def start(script: Script) -> tuple[State, Turn]:
    state = State()
    return state, prompt(script, state)


def _next(script: Script, state: State, **changes) -> tuple[State, Turn]:
    state = replace(state, turn=state.turn + 1, **changes)
    return state, prompt(script, state)


def advance(script: Script, state: State, reply: Reply) -> tuple[State, Turn, Heard]:
    """Take the reply to the current prompt; give the new state and the next prompt."""
    if state.step == ENDED:
        return state, prompt(script, state), Heard("ignored")
    if state.step == CONSENT:
        heard = hear_consent(reply, script.language)
    else:
        heard = hear_answer(reply, _question(script, state.step)[1], script.language)

    if heard.intent == "do_not_call":
        return (*_next(script, state, step=ENDED, outcome=REFUSED, do_not_call=True), heard)
    if heard.intent in ("no", "stop"):
        return (*_next(script, state, step=ENDED, outcome=REFUSED), heard)
    if heard.intent == "yes":
        return (*_next(script, state, step=QUESTION_STEPS[0], reasked=False, consented=True), heard)
    if heard.intent == "answer":
        answer = parse_answer(reply, _question(script, state.step)[1], script.language)
        answers = (*state.answers, answer)
        position = QUESTION_STEPS.index(state.step)
        if position + 1 < len(QUESTION_STEPS):
            step = QUESTION_STEPS[position + 1]
            return (*_next(script, state, step=step, reasked=False, answers=answers), heard)
        return (*_next(script, state, step=ENDED, outcome=COMPLETED, answers=answers), heard)
    # Silence, "repeat", or a reply we cannot use: one second chance, then the call ends.
    if not state.reasked:
        return (*_next(script, state, reasked=True), heard)
    error = "no_input" if heard.intent == "silence" else "not_understood"
    return (*_next(script, state, step=ENDED, outcome=FAILED, error=error), heard)

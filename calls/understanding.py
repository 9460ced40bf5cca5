"""Understanding a callee's reply, for every question type and language (docs/architecture.md
§6.4): keys or words in, a `Reading` out — the value to store, the raw words or digits, how it
was given, the confidence, or why it is not an answer (silence, unclear, out of range, low
confidence) or something else entirely (repeat, stop, do not call, call me later).

Pure and table-driven: the words are the language's phrase table (calls/phrasebook/); nothing
here knows English or Italian. calls/tests/test_understanding.py reads a corpus of utterances.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import unicodedata
from dataclasses import dataclass

from calls.phrasebook import PHRASEBOOKS, Phrasebook
from campaigns.questionnaire import (
    FREE_TEXT,
    NUMBER,
    SCALE,
    SINGLE_CHOICE,
    YES_NO,
    QuestionSpec,
)

# Speech recognised with less confidence than this is asked again (keys are certain).
MIN_CONFIDENCE = 0.4
# "About eight": an approximate number is kept, with its confidence lowered by this factor.
APPROXIMATE_FACTOR = 0.8
MAX_NUMBER = 1_000_000

SPEECH, DTMF = "speech", "dtmf"
# What a reply can be, besides an answer.
ANSWER, SILENCE, UNCLEAR, OUT_OF_RANGE, LOW_CONFIDENCE = (
    "answer",
    "silence",
    "unclear",
    "out_of_range",
    "low_confidence",
)
YES, NO, UNSURE, REPEAT, STOP, DO_NOT_CALL, CALLBACK = (
    "yes",
    "no",
    "unsure",
    "repeat",
    "stop",
    "do_not_call",
    "callback",
)


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
class Callback:
    """When a callee asked to be called back, as heard: after a delay ("in an hour"), or on a
    day (0 today, 1 tomorrow) at an hour ("after six", "tomorrow morning"); all None when no
    time was said."""

    delay_minutes: int | None = None
    day_offset: int | None = None
    hour: int | None = None
    minute: int = 0

    @property
    def heard_a_time(self) -> bool:
        return (
            self.delay_minutes is not None or self.day_offset is not None or self.hour is not None
        )

    def resolve(self, now_local: dt.datetime) -> dt.datetime | None:
        """The instant asked for, in the callee's zone (`now_local` is their time now)."""
        if self.delay_minutes is not None:
            return now_local + dt.timedelta(minutes=self.delay_minutes)
        if self.day_offset is None and self.hour is None:
            return None
        day = now_local.date() + dt.timedelta(days=self.day_offset or 0)
        hour = self.hour if self.hour is not None else 10  # "tomorrow": the morning
        moment = dt.datetime.combine(day, dt.time(hour, self.minute), tzinfo=now_local.tzinfo)
        if moment <= now_local and self.day_offset is None:
            moment += dt.timedelta(days=1)  # "after six" said at seven: tomorrow
        return moment


@dataclass(frozen=True)
class Reading:
    kind: str  # answer, or why not: silence, unclear, out_of_range, low_confidence, unsure,
    # or another request: repeat, stop, do_not_call, callback (consent also: yes, no)
    value: str = ""  # what is stored: yes / no, a number, an option's value, the words
    raw: str = ""  # the digits keyed or the words said
    mode: str = ""  # speech | dtmf
    confidence: float | None = None
    callback: Callback | None = None

    @property
    def is_answer(self) -> bool:
        return self.kind == ANSWER


# --- words ---------------------------------------------------------------------------------------


def normalize(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "Sì, certo!" -> ["si", "certo"]."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.findall(r"[a-z0-9]+", plain)


@functools.cache
def _phrase_table(language: str) -> tuple[tuple[tuple[str, ...], str], ...]:
    book = PHRASEBOOKS[language]
    table = [
        (tuple(normalize(phrase)), intent)
        for intent, phrases in book.intents.items()
        for phrase in phrases
    ]
    # Longest first, so "non ho capito" (repeat) wins over "non" (no), "do not call" over "no"
    # and "not sure" (unsure) over "not".
    table.sort(key=lambda item: -len(item[0]))
    return tuple(table)


@dataclass(frozen=True)
class Intents:
    found: frozenset[str]
    leftover: tuple[str, ...]  # words no phrase took, fillers dropped


def intents(text: str, language: str) -> Intents:
    """The intents a sentence expresses, each phrase matched once as whole words."""
    words = normalize(text)
    taken = [False] * len(words)
    found = set()
    for phrase, intent in _phrase_table(language):
        size = len(phrase)
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if tuple(words[start : start + size]) == phrase and not any(taken[i] for i in span):
                found.add(intent)
                for i in span:
                    taken[i] = True
    filler = PHRASEBOOKS[language].filler
    leftover = tuple(
        w for w, used in zip(words, taken, strict=True) if not used and w not in filler
    )
    return Intents(frozenset(found), leftover)


# --- numbers -------------------------------------------------------------------------------------


def _compound_value(word: str, book: Phrasebook) -> int | None:
    """One-word numbers (ventitre -> 23, trentotto -> 38, centoventi -> 120, duecento -> 200),
    for languages that write them so."""
    units, tens, hundred = book.units, book.tens, book.hundred
    if word in units:
        return units[word]
    if word in tens:
        return tens[word]
    if word == hundred:
        return 100
    if word.startswith(hundred):
        rest = _compound_value(word[len(hundred) :], book)
        return None if rest is None else 100 + rest
    digits = {w: v for w, v in units.items() if 1 <= v <= 9 and len(w) > 2}
    at = word.find(hundred)
    if at > 0 and word[:at] in digits:  # duecento, trecentoquaranta
        remainder = word[at + len(hundred) :]
        tail = _compound_value(remainder, book) if remainder else 0
        return None if tail is None else digits[word[:at]] * 100 + tail
    for name, value in tens.items():
        for stem in (name, name[:-1]):  # ventuno, trentotto: the tens' vowel drops
            unit = word[len(stem) :]
            if word.startswith(stem) and unit in digits:
                return value + digits[unit]
    return None


def _word_value(word: str, book: Phrasebook) -> int | None:
    if word.isdigit():
        return int(word)
    if book.compound_tens:
        return _compound_value(word, book)
    if word == "a":
        return None  # only "a hundred", handled by the caller
    return book.units.get(word, book.tens.get(word))


def parse_number(text: str, language: str) -> int | None:
    """The first number in a sentence, in digits or words: "three times" -> 3,
    "twenty-one" -> 21, "a hundred and five" -> 105, "ventotto" -> 28, "mai" -> 0."""
    found = _first_number(normalize(text), PHRASEBOOKS[language])
    return None if found is None else found[0]


def _first_number(words: list[str], book: Phrasebook) -> tuple[int, int] | None:
    """(value, index of its first word) of the first number in the words."""
    hundred = book.hundred
    for start, word in enumerate(words):
        following = words[start + 1 : start + 2]
        if (
            word in ("a", "an", "un", "una")
            and following
            and following != [hundred]
            and _word_value(following[0], book) is not None
        ):
            continue  # an article: "un otto", "an eight"
        if _word_value(word, book) is None and not (
            word in ("a", "un", "one") and words[start + 1 : start + 2] == [hundred]
        ):
            continue
        total, seen = 0, False
        for w in words[start:]:
            if w == hundred:
                total, seen = max(total, 1) * 100, True
            elif w in ("a", "un") and not seen:
                total, seen = 1, True  # "a hundred"
            elif w == book.number_and and seen:
                continue
            else:
                value = _word_value(w, book)
                # "twenty one" adds up; "three four" is two numbers: keep the first.
                if (
                    value is None
                    or (seen and total % 100 and value >= 10)
                    or (seen and total % 10 and value < 10)
                ):
                    break
                total, seen = total + value, True
        if seen:
            return total, start
    return None


# --- "call me later": when -----------------------------------------------------------------------


def _callback_when(words: list[str], book: Phrasebook) -> Callback:
    text = " ".join(words)
    for half in book.half_hour:
        if " ".join(normalize(half)) in text:
            return Callback(delay_minutes=30)
    # "in an hour", "in two hours", "tra dieci minuti"
    for i, word in enumerate(words):
        if word in book.in_words:
            rest = words[i + 1 : i + 4]
            number = _first_number(rest, book)
            amount = (
                number[0]
                if number
                else (1 if rest[:1] in (["an"], ["a"], ["un"], ["una"]) else None)
            )
            unit = next((w for w in rest if w in book.hour_words | book.minute_words), None)
            if unit is not None:
                amount = amount or 1
                return Callback(delay_minutes=amount * (60 if unit in book.hour_words else 1))
    day = next((book.days[w] for w in words if w in book.days), None)
    part = next((book.parts_of_day[w] for w in words if w in book.parts_of_day), None)
    hour = None
    for i, word in enumerate(words):
        if word in book.at_words:
            number = _first_number(words[i + 1 : i + 3], book)
            if number is not None and 0 < number[0] <= 24:
                hour = number[0]
                # A spoken hour below 8 is the afternoon ("after six"), and any hour said with
                # an afternoon or evening word ("at five this evening"); not "nine tomorrow
                # morning".
                afternoon = part is not None and part >= 12
                if hour < 12 and (afternoon or (hour < 8 and part is None)):
                    hour += 12
                break
    if hour is None:
        hour = part
    return Callback(day_offset=day, hour=hour)


# --- readings ------------------------------------------------------------------------------------


def _digits(reply: Reply) -> str:
    return re.sub(r"[^0-9]", "", reply.digits)


def _confidence(reply: Reply) -> float | None:
    if reply.confidence is None:
        return None
    return min(1.0, max(0.0, float(reply.confidence)))


def _requests(reply: Reply, book: Phrasebook) -> Reading | None:
    """A reply that is not an answer but a request: do not call me, call me later, stop,
    repeat (only when that is all the callee said: "what I want is faster support" answers)."""
    said = intents(reply.speech, book.code)
    raw = reply.speech.strip()
    if DO_NOT_CALL in said.found:
        return Reading(DO_NOT_CALL, raw=raw, mode=SPEECH)
    if CALLBACK in said.found:
        return Reading(
            CALLBACK, raw=raw, mode=SPEECH, callback=_callback_when(normalize(reply.speech), book)
        )
    if said.found and not said.leftover and said.found <= {STOP, REPEAT}:
        return Reading(STOP if STOP in said.found else REPEAT, raw=raw, mode=SPEECH)
    return None


def read_consent(reply: Reply, language: str) -> Reading:
    """The reply to the introduction: yes, no (or stop), do_not_call, callback, repeat,
    silence, or unclear (a hedge, or a yes and a no together)."""
    book = PHRASEBOOKS[language]
    digits = _digits(reply)
    if digits:
        kind = {"1": YES, "2": NO}.get(digits, UNCLEAR)
        return Reading(
            kind, value=kind if kind in (YES, NO) else "", raw=digits, mode=DTMF, confidence=1.0
        )
    if not reply.speech.strip():
        return Reading(SILENCE)
    request = _requests(reply, book)
    if request is not None and request.kind != STOP:
        return request
    said = intents(reply.speech, language)
    yes = YES in said.found
    # A negation or a hedge makes it no yes: consent must be plain ("I'm not sure" refuses).
    no = bool(said.found & {NO, STOP, UNSURE})
    kind = YES if yes and not no else NO if no and not yes else UNCLEAR
    return Reading(
        kind,
        value=kind if kind != UNCLEAR else "",
        raw=reply.speech.strip(),
        mode=SPEECH,
        confidence=_confidence(reply),
    )


def read_answer(reply: Reply, question: QuestionSpec, language: str) -> Reading:
    """The reply to a question, read by its type."""
    if reply.is_silence:
        return Reading(SILENCE)
    book = PHRASEBOOKS[language]
    digits = _digits(reply)
    if not digits:
        request = _requests(reply, book)
        if request is not None:
            return request
    reader = {
        YES_NO: _yes_no,
        SCALE: _number,
        NUMBER: _number,
        SINGLE_CHOICE: _choice,
        FREE_TEXT: _free_text,
    }[question.type]
    reading = reader(reply, digits, question, book)
    if (
        reading.is_answer
        and reading.mode == SPEECH
        and reading.confidence is not None
        and reading.confidence < MIN_CONFIDENCE
    ):
        return Reading(LOW_CONFIDENCE, raw=reading.raw, mode=SPEECH, confidence=reading.confidence)
    return reading


def _yes_no(reply: Reply, digits: str, question: QuestionSpec, book: Phrasebook) -> Reading:
    if digits:
        value = {"1": YES, "2": NO}.get(digits)
        return Reading(
            ANSWER if value else UNCLEAR, value=value or "", raw=digits, mode=DTMF, confidence=1.0
        )
    said = intents(reply.speech, book.code)
    raw = reply.speech.strip()
    if UNSURE in said.found and YES not in said.found - {UNSURE}:
        return Reading(UNSURE, raw=raw, mode=SPEECH, confidence=_confidence(reply))
    yes, no = YES in said.found, NO in said.found
    if yes == no:
        return Reading(UNCLEAR, raw=raw, mode=SPEECH, confidence=_confidence(reply))
    return Reading(
        ANSWER, value=YES if yes else NO, raw=raw, mode=SPEECH, confidence=_confidence(reply)
    )


def _number(reply: Reply, digits: str, question: QuestionSpec, book: Phrasebook) -> Reading:
    confidence: float | None
    if digits:
        value, raw, mode, confidence = int(digits[:7]), digits, DTMF, 1.0
    else:
        words = normalize(reply.speech)
        raw, mode, confidence = reply.speech.strip(), SPEECH, _confidence(reply)
        found = _first_number(words, book)
        if found is None:
            kind = UNSURE if UNSURE in intents(reply.speech, book.code).found else UNCLEAR
            return Reading(kind, raw=raw, mode=mode, confidence=confidence)
        value, start = found
        if set(words[:start]) & book.approximate or set(words) & {"or", "o"}:
            confidence = (confidence if confidence is not None else 1.0) * APPROXIMATE_FACTOR
    low, high = question.min_value, question.max_value
    if (
        value > MAX_NUMBER
        or (low is not None and value < low)
        or (high is not None and value > high)
    ):
        return Reading(OUT_OF_RANGE, value=str(value), raw=raw, mode=mode, confidence=confidence)
    return Reading(ANSWER, value=str(value), raw=raw, mode=mode, confidence=confidence)


def _choice(reply: Reply, digits: str, question: QuestionSpec, book: Phrasebook) -> Reading:
    if digits:
        option = next((o for o in question.options if o.digit == digits), None)
        if option is None:
            return Reading(OUT_OF_RANGE, raw=digits, mode=DTMF, confidence=1.0)
        return Reading(ANSWER, value=option.value, raw=digits, mode=DTMF, confidence=1.0)
    words = normalize(reply.speech)
    raw, confidence = reply.speech.strip(), _confidence(reply)
    matches = _options_named(words, question, book)
    if len(matches) == 1:
        return Reading(ANSWER, value=matches[0].value, raw=raw, mode=SPEECH, confidence=confidence)
    if not matches:  # "number two", "the second": the keypad digit said aloud
        number = _first_number(words, book)
        option = next((o for o in question.options if number and o.digit == str(number[0])), None)
        if option is not None:
            return Reading(ANSWER, value=option.value, raw=raw, mode=SPEECH, confidence=confidence)
    return Reading(UNCLEAR, raw=raw, mode=SPEECH, confidence=confidence)


def _options_named(words: list[str], question: QuestionSpec, book: Phrasebook) -> list:
    """The options whose label or a synonym the words say; longest names first, each word
    taken once, so "posta elettronica" is email, not email and letter ("posta")."""
    names = sorted(
        (
            (tuple(normalize(name)), option)
            for option in question.options
            for name in (option.labels.get(book.code, ""), *option.synonyms.get(book.code, ()))
            if normalize(name)
        ),
        key=lambda item: -len(item[0]),
    )
    taken = [False] * len(words)
    named: list = []
    for phrase, option in names:
        size = len(phrase)
        for start in range(len(words) - size + 1):
            span = range(start, start + size)
            if tuple(words[start : start + size]) == phrase and not any(taken[i] for i in span):
                for i in span:
                    taken[i] = True
                if option not in named:
                    named.append(option)
    return named


def _free_text(reply: Reply, digits: str, question: QuestionSpec, book: Phrasebook) -> Reading:
    if digits and not reply.speech.strip():
        return Reading(
            ANSWER, value=digits[: question.max_length], raw=digits, mode=DTMF, confidence=1.0
        )
    text = " ".join(reply.speech.split())
    return Reading(
        ANSWER,
        value=text[: question.max_length],
        raw=text,
        mode=SPEECH,
        confidence=_confidence(reply),
    )

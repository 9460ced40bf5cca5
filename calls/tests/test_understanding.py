"""The parser against its corpus (calls/tests/utterances.py): every type of question, in
English and Italian, with hedges, negations, number words, synonyms, noise and requests."""

import datetime as dt
import zoneinfo

import pytest

from calls.tests.utterances import CALLBACKS, CORPUS
from calls.understanding import Reply, read_answer, read_consent
from campaigns.questionnaire import OptionSpec, QuestionSpec

QUESTIONS = {
    "yes_no": QuestionSpec(key="q", type="yes_no", texts={}),
    "scale10": QuestionSpec(key="q", type="scale", texts={}, min_value=0, max_value=10, nps=True),
    "scale5": QuestionSpec(key="q", type="scale", texts={}, min_value=1, max_value=5),
    "number": QuestionSpec(key="q", type="number", texts={}, min_value=0, max_value=100),
    "number_free": QuestionSpec(key="q", type="number", texts={}),
    "free_text": QuestionSpec(key="q", type="free_text", texts={}, max_length=200),
    "choice": QuestionSpec(
        key="q",
        type="single_choice",
        texts={},
        options=(
            OptionSpec(
                "phone",
                "1",
                {"en": "Phone", "it": "Telefono"},
                {
                    "en": ("telephone", "phone call", "mobile", "call"),
                    "it": ("telefonata", "cellulare"),
                },
            ),
            OptionSpec(
                "email",
                "2",
                {"en": "Email", "it": "Email"},
                {"en": ("e-mail", "mail"), "it": ("posta elettronica", "mail")},
            ),
            OptionSpec(
                "letter",
                "3",
                {"en": "Letter", "it": "Lettera"},
                {"en": ("post", "paper"), "it": ("posta",)},
            ),
            OptionSpec(
                "none",
                "4",
                {"en": "None", "it": "Nessuno"},
                {"en": ("nothing", "none of them"), "it": ("niente", "nessuno dei due")},
            ),
        ),
    ),
}


def reply_of(said: str) -> Reply:
    if said.startswith("#"):
        return Reply(digits=said[1:])
    confidence = 0.9
    if said.startswith("~"):
        level, said = said[1:].split(" ", 1)
        confidence = float(level)
    return Reply(speech=said, confidence=confidence)


def test_the_corpus_is_large_and_covers_every_type_in_both_languages():
    assert len(CORPUS) >= 400
    kinds = {(language, question) for language, question, _, _ in CORPUS}
    assert kinds == {(lang, q) for lang in ("en", "it") for q in [*QUESTIONS, "consent"]}


@pytest.mark.parametrize(
    ("language", "question", "said", "expected"),
    CORPUS,
    ids=[f"{lang}-{q}-{said or 'silence'}" for lang, q, said, _ in CORPUS],
)
def test_each_utterance_is_read_as_expected(language, question, said, expected):
    reply = reply_of(said)
    if question == "consent":
        reading = read_consent(reply, language)
        got = f"!{reading.kind}" if reading.kind not in ("yes", "no") else reading.kind
    else:
        reading = read_answer(reply, QUESTIONS[question], language)
        got = reading.value if reading.is_answer else f"!{reading.kind}"
    assert got == expected


def test_an_answer_keeps_its_raw_words_mode_and_confidence():
    reading = read_answer(Reply(speech="about eight", confidence=0.9), QUESTIONS["scale10"], "en")
    assert reading.value == "8"
    assert reading.raw == "about eight"
    assert reading.mode == "speech"
    assert reading.confidence == pytest.approx(0.72)  # approximate: lowered
    keyed = read_answer(Reply(digits="8"), QUESTIONS["scale10"], "en")
    assert (keyed.mode, keyed.confidence, keyed.raw) == ("dtmf", 1.0, "8")


MONDAY = dt.date(2026, 11, 23)
ROME = zoneinfo.ZoneInfo("Europe/Rome")


@pytest.mark.parametrize(("language", "said", "now", "expected"), CALLBACKS)
def test_call_me_later_hears_when(language, said, now, expected):
    reading = read_answer(Reply(speech=said, confidence=0.9), QUESTIONS["yes_no"], language)
    assert reading.kind == "callback"
    hour, minute = map(int, now.split(":"))
    now_local = dt.datetime.combine(MONDAY, dt.time(hour, minute), tzinfo=ROME)
    when = reading.callback.resolve(now_local)
    if expected is None:
        assert when is None
    elif expected.startswith("+"):
        assert when == now_local + dt.timedelta(minutes=int(expected[1:]))
    else:
        day, clock = expected.split()
        hour, minute = map(int, clock.split(":"))
        assert when == dt.datetime.combine(
            MONDAY + dt.timedelta(days=int(day)), dt.time(hour, minute), tzinfo=ROME
        )

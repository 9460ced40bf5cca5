"""The dialogue state machine over any questionnaire (calls/dialogue.py), rule by rule, in
English and Italian: consent, prompts by question type, answers, skip rules, second chances,
unanswered questions, a dead line, refusals, "do not call me", "call me later", one language
from the first word to the last, and the state as stored JSON."""

import dataclasses
import json
import re

import pytest

from calls import dialogue
from calls.dialogue import Reply, State
from calls.phrasebook import PHRASEBOOKS
from calls.tests.questionnaires import script, seven_questions, three_question_script
from campaigns.questionnaire import QuestionSpec, SkipRule

EN, IT = script("en"), script("it")
SCRIPTS = {"en": EN, "it": IT}


def speech(text, confidence=0.9):
    return Reply(speech=text, confidence=confidence)


def keys(digits):
    return Reply(digits=digits)


SILENCE = Reply()


def run(script_, replies):
    """Drive a call; give the final state, every prompt said and every reading."""
    state, turn = dialogue.start(script_)
    turns, readings = [turn], []
    for reply in replies:
        state, turn, reading = dialogue.advance(script_, state, reply)
        turns.append(turn)
        readings.append(reading)
    return state, turns, readings


def prompts(language):
    return PHRASEBOOKS[language].prompts


# --- consent -------------------------------------------------------------------------------------


def test_the_first_prompt_is_intro_consent_question_and_keypad_hint():
    for language, script_ in SCRIPTS.items():
        state, turn = dialogue.start(script_)
        assert turn.say == f"{script_.intro} {script_.consent} {prompts(language)['consent_hint']}"
        assert (turn.turn, turn.language, turn.expect, turn.hangup) == (
            1,
            language,
            "consent",
            False,
        )
        assert turn.question is None
        assert (state.position, state.step, state.turn, state.asked) == (-1, "consent", 1, 1)


def test_without_a_consent_question_the_intro_is_followed_by_the_hint():
    quiet = dataclasses.replace(IT, consent="")
    _, turn = dialogue.start(quiet)
    assert turn.say == f"{IT.intro} {prompts('it')['consent_hint']}"


@pytest.mark.parametrize(
    ("language", "reply", "step", "outcome", "do_not_call"),
    [
        ("en", keys("1"), "q1", "", False),
        ("en", speech("Yeah, sure!"), "q1", "", False),
        ("it", keys("1"), "q1", "", False),
        ("it", speech("Sì, va bene"), "q1", "", False),
        ("en", keys("2"), "ended", "refused", False),
        ("en", speech("no thanks"), "ended", "refused", False),
        ("en", speech("stop"), "ended", "refused", False),
        ("it", speech("no grazie"), "ended", "refused", False),
        ("it", speech("basta"), "ended", "refused", False),
        ("en", speech("do not call me again"), "ended", "refused", True),
        ("it", speech("non chiamatemi più"), "ended", "refused", True),
        ("en", speech("I'm busy, call me back later"), "ended", "callback", False),
        ("it", speech("sono occupato, mi richiami più tardi"), "ended", "callback", False),
    ],
)
def test_consent(language, reply, step, outcome, do_not_call):
    script_ = SCRIPTS[language]
    state, turn, reading = dialogue.advance(script_, dialogue.start(script_)[0], reply)
    assert (state.step, state.outcome, state.do_not_call) == (step, outcome, do_not_call)
    assert state.consented == (step == "q1")
    assert state.turn == turn.turn == 2
    assert state.ended == turn.hangup == (step == "ended")
    if step == "q1":
        assert turn.question == script_.questions[0]
        assert reading.kind == "yes"


@pytest.mark.parametrize(
    ("language", "reply", "goodbye"),
    [
        ("en", keys("2"), "refused"),
        ("it", speech("no"), "refused"),
        ("en", speech("remove my number"), "do_not_call"),
        ("it", speech("cancellate il mio numero"), "do_not_call"),
        ("en", speech("call me tomorrow"), "callback"),
        ("it", speech("mi richiami domani"), "callback"),
    ],
)
def test_the_goodbye_says_how_the_call_ended(language, reply, goodbye):
    script_ = SCRIPTS[language]
    state, turn, _ = dialogue.advance(script_, dialogue.start(script_)[0], reply)
    assert turn.say == prompts(language)[goodbye]
    assert (turn.expect, turn.hangup, turn.language) == ("", True, language)


def test_call_me_later_at_consent_keeps_when_as_heard():
    state, turn, reading = dialogue.advance(
        EN, State(), speech("I'm driving, call me back tomorrow morning")
    )
    assert (state.outcome, state.error, state.consented) == (
        "callback",
        "callback_requested",
        False,
    )
    assert reading.kind == "callback"
    assert state.callback == {"delay_minutes": None, "day_offset": 1, "hour": 10, "minute": 0}
    assert state.callback_when() == reading.callback


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize(
    ("first", "second", "error"),
    [
        (SILENCE, SILENCE, "no_input"),
        (keys("5"), SILENCE, "no_input"),
        (SILENCE, keys("9"), "not_understood"),
        ("repeat", "repeat", "not_understood"),
        ("unclear", "unclear", "not_understood"),
    ],
)
def test_consent_is_asked_once_more_then_the_call_fails(language, first, second, error):
    said = {
        "repeat": {"en": speech("could you repeat that please"), "it": speech("può ripetere")},
        "unclear": {"en": speech("yes no"), "it": speech("sì no")},
    }
    first = said[first][language] if isinstance(first, str) else first
    second = said[second][language] if isinstance(second, str) else second
    script_ = SCRIPTS[language]
    book = prompts(language)

    state, again, _ = dialogue.advance(script_, State(), first)
    assert (state.step, state.asked, state.turn, state.ended) == ("consent", 2, 2, False)
    # Not the whole intro again: the "sorry" line, the question and the keys.
    assert again.say == f"{book['repeat']} {script_.consent} {book['consent_hint']}"
    assert again.expect == "consent"

    state, goodbye, _ = dialogue.advance(script_, state, second)
    assert (state.outcome, state.error, state.step) == ("failed", error, "ended")
    assert goodbye.say == book["failed"]
    assert goodbye.hangup


def test_consent_on_the_second_ask_goes_on():
    state = run(EN, [SILENCE, keys("1")])[0]
    assert (state.step, state.asked, state.consented, state.turn) == ("q1", 1, True, 3)


# --- questions: what is said ---------------------------------------------------------------------

HINTS = {
    "en": {
        "q1": "Press 1 or say yes; press 2 or say no.",
        "q2": "Please say or key in a number from 0 to 10.",
        "q3": "Please say or key in a number from 0 to 50.",
        "q4": "For Phone, press 1; for Email, press 2; for Letter, press 3.",
        "q5": "Press 1 or say yes; press 2 or say no.",
        "q6": "Please answer in a few words.",
        "q7": "Please say or key in a number from 1 to 5.",
    },
    "it": {
        "q1": "Prema 1 o dica sì; prema 2 o dica no.",
        "q2": "Dica o digiti un numero da 0 a 10, per favore.",
        "q3": "Dica o digiti un numero da 0 a 50, per favore.",
        "q4": "Per Telefono, prema 1; per Posta elettronica, prema 2; per Lettera, prema 3.",
        "q5": "Prema 1 o dica sì; prema 2 o dica no.",
        "q6": "Risponda con poche parole, per favore.",
        "q7": "Dica o digiti un numero da 1 a 5, per favore.",
    },
}


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("position", range(7))
def test_a_question_is_its_text_then_how_to_answer_it(language, position):
    script_ = SCRIPTS[language]
    question = script_.questions[position]
    state = State(position=position, step=question.key, consented=True, turn=4)
    turn = dialogue.prompt(script_, state)
    assert turn.say == f"{question.texts[language]} {HINTS[language][question.key]}"
    assert (turn.turn, turn.expect, turn.question, turn.language) == (
        4,
        question.type,
        question,
        language,
    )
    assert not turn.hangup


def test_a_number_without_bounds_asks_for_a_number():
    for language in ("en", "it"):
        script_ = three_question_script(language)
        turn = dialogue.prompt(script_, State(position=1, step="q2"))
        assert turn.say == f"{script_.questions[1].texts[language]} {prompts(language)['number']}"


@pytest.mark.parametrize(
    ("language", "hints"),
    [
        ("en", ("Phone", "telephone", "mobile", "Email", "e-mail", "mail", "Letter", "post")),
        ("it", ("Telefono", "telefonata", "cellulare", "Posta elettronica", "email", "mail")),
    ],
)
def test_a_choice_gives_its_options_names_as_speech_hints(language, hints):
    script_ = SCRIPTS[language]
    turn = dialogue.prompt(script_, State(position=3, step="q4"))
    assert turn.hints[: len(hints)] == hints
    assert len(turn.hints) == len(set(turn.hints))
    others = {"en": "Telefono", "it": "Phone"}[language]
    assert others not in turn.hints
    assert dialogue.prompt(script_, State(position=0, step="q1")).hints == ()


# --- questions: answers --------------------------------------------------------------------------

# Consent, then one reply per question; what each question's answer is (None: skipped).
FULL_CALLS = [
    (
        "en",
        [keys("1"), speech("yes"), keys("9"), speech("about three times"), keys("2"),
         speech("yes I would"), speech("Faster support, please"), speech("four")],
        {"q1": "yes", "q2": "9", "q3": "3", "q4": "email", "q5": "yes",
         "q6": "Faster support, please", "q7": "4"},
    ),
    (
        "it",
        [speech("sì"), keys("1"), speech("nove"), speech("ventidue"), speech("per telefono"),
         speech("no"), speech("Un'assistenza più veloce"), keys("5")],
        {"q1": "yes", "q2": "9", "q3": "22", "q4": "phone", "q5": "no",
         "q6": "Un'assistenza più veloce", "q7": "5"},
    ),
]  # fmt: skip


@pytest.mark.parametrize(("language", "replies", "values"), FULL_CALLS)
def test_a_complete_survey(language, replies, values):
    script_ = SCRIPTS[language]
    state, turns, readings = run(script_, replies)
    assert (state.outcome, state.error, state.ended, state.step) == ("completed", "", True, "ended")
    assert state.answer_values() == values
    assert [a.key for a in state.answers] == list(values)
    assert [a.position for a in state.answers] == [1, 2, 3, 4, 5, 6, 7]
    assert all(a.status == "answered" and a.asked == 1 for a in state.answers)
    assert [a.question_type for a in state.answers] == [q.type for q in script_.questions]
    assert [t.expect for t in turns] == ["consent", *(q.type for q in script_.questions), ""]
    assert [t.turn for t in turns] == list(range(1, 10))
    assert turns[-1].say == prompts(language)["completed"]
    assert turns[-1].hangup
    assert [r.kind for r in readings] == ["yes", *["answer"] * 7]


def test_an_answer_keeps_how_it_was_given():
    state, _, _ = run(EN, [keys("1"), speech("yes", 0.83), keys("7")])
    q1, q2 = state.answers
    assert q1 == dialogue.Answer(
        key="q1",
        position=1,
        status="answered",
        value="yes",
        raw="yes",
        mode="speech",
        confidence=0.83,
        asked=1,
        question_type="yes_no",
    )
    assert (q2.value, q2.raw, q2.mode, q2.confidence) == ("7", "7", "dtmf", 1.0)


def test_the_campaigns_own_goodbye_and_repeat_lines():
    own = dataclasses.replace(
        EN, questions=seven_questions()[6:], goodbye="Thanks from Acme!", repeat="Pardon me."
    )
    state, turns, _ = run(own, [keys("1"), speech("hmm"), keys("3")])
    assert turns[2].say.startswith("Pardon me. How satisfied are you overall?")
    assert turns[-1].say == "Thanks from Acme!"
    assert state.answer_values() == {"q1": "3"}  # the position in this one-question survey


# --- skip rules ----------------------------------------------------------------------------------


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_skip_rule_jumps_forward(language):
    no = {"en": speech("no"), "it": speech("no")}[language]
    state, turns, _ = run(SCRIPTS[language], [keys("1"), no])
    assert (state.position, state.step) == (4, "q5")
    assert turns[-1].question.key == "q5"
    assert [a.key for a in state.answers] == ["q1"]

    state, _, _ = run(SCRIPTS[language], [keys("1"), keys("1")])
    assert state.step == "q2"  # no rule matched: the next question


def test_a_skip_rule_to_the_end_completes_the_survey():
    questions = (
        dataclasses.replace(
            seven_questions()[1],  # the 0–10 scale
            skip=(SkipRule(op="below", values=("7",), to="end"),),
        ),
        *seven_questions()[2:4],
    )
    for language in ("en", "it"):
        script_ = script(language, questions)
        state, turns, _ = run(script_, [keys("1"), keys("3")])
        assert (state.outcome, state.answer_values()) == ("completed", {"q1": "3"})
        assert turns[-1].say == prompts(language)["completed"]
        state, _, _ = run(script_, [keys("1"), keys("8")])
        assert state.step == "q3"


def test_an_unanswered_question_takes_no_skip_rule():
    state, turns, _ = run(IT, [keys("1"), speech("boh"), speech("forse")])
    assert state.step == "q2"
    assert state.answers[0].status == "unanswered"


# --- second chances and unanswered questions -----------------------------------------------------

# On q3 (a number from 0 to 50): a reply that is no answer, and the kind it is read as.
NOT_ANSWERS = [
    ("en", SILENCE, "silence", ""),
    ("en", keys("77"), "out_of_range", "dtmf"),
    ("en", speech("seventy"), "out_of_range", "speech"),
    ("en", speech("lots of them"), "unclear", "speech"),
    ("en", speech("three", 0.1), "low_confidence", "speech"),
    ("en", speech("I'm not sure"), "unsure", "speech"),
    ("en", speech("repeat please"), "repeat", "speech"),
    ("it", SILENCE, "silence", ""),
    ("it", keys("99"), "out_of_range", "dtmf"),
    ("it", speech("tantissime"), "unclear", "speech"),
    ("it", speech("tre", 0.2), "low_confidence", "speech"),
    ("it", speech("non lo so"), "unsure", "speech"),
    ("it", speech("può ripetere"), "repeat", "speech"),
]
AT_Q3 = [keys("1"), keys("1"), keys("8")]


@pytest.mark.parametrize(("language", "reply", "kind", "mode"), NOT_ANSWERS)
def test_a_reply_that_is_no_answer_gets_the_question_once_more(language, reply, kind, mode):
    script_ = SCRIPTS[language]
    state, turns, readings = run(script_, [*AT_Q3, reply])
    assert readings[-1].kind == kind
    assert (state.step, state.asked, state.reasked_after, state.turn) == ("q3", 2, kind, 5)
    question = script_.questions[2]
    book = prompts(language)
    range_hint = book["number_range"].format(min=0, max=50)
    assert turns[-1].say == f"{book['repeat']} {question.texts[language]} {range_hint}"
    assert len(state.answers) == 2

    # Answered at the second ask.
    answered, _, _ = run(script_, [*AT_Q3, reply, keys("12")])
    assert answered.answers[-1].status == "answered"
    assert (answered.answers[-1].value, answered.answers[-1].asked) == ("12", 2)
    assert (answered.step, answered.asked, answered.reasked_after) == ("q4", 1, "")


@pytest.mark.parametrize(("language", "reply", "kind", "mode"), NOT_ANSWERS)
def test_a_second_one_leaves_the_question_unanswered_and_the_survey_goes_on(
    language, reply, kind, mode
):
    script_ = SCRIPTS[language]
    state, turns, readings = run(script_, [*AT_Q3, reply, reply])
    assert state.answers[-1] == dialogue.Answer(
        key="q3",
        position=3,
        status="unanswered",
        value="",
        raw=reply.digits or reply.speech,
        mode=mode,
        confidence=readings[-1].confidence,  # what was last heard, as it was heard
        asked=2,
        question_type="number",
    )
    assert (state.step, state.asked, state.ended) == ("q4", 1, False)
    assert turns[-1].question.key == "q4"
    assert not turns[-1].say.startswith(prompts(language)["repeat"])
    assert "q3" not in state.answer_values()
    if kind == "low_confidence":
        assert state.answers[-1].confidence == reply.confidence
    if mode == "dtmf":
        assert state.answers[-1].confidence == 1.0


def test_two_questions_met_with_silence_are_a_dead_line():
    for language in ("en", "it"):
        state, turns, _ = run(SCRIPTS[language], [*AT_Q3, SILENCE, SILENCE, SILENCE, SILENCE])
        assert (state.outcome, state.error, state.silent_questions) == ("failed", "no_input", 2)
        assert [(a.key, a.status) for a in state.answers[-2:]] == [
            ("q3", "unanswered"),
            ("q4", "unanswered"),
        ]
        assert state.answer_values() == {"q1": "yes", "q2": "8"}
        assert turns[-1].say == prompts(language)["failed"]


@pytest.mark.parametrize(
    "replies",
    [
        # q3 silent twice, q4 answered, q5 silent twice: not in a row.
        [SILENCE, SILENCE, keys("1"), SILENCE, SILENCE],
        # q3: something said, then silence — someone is there.
        [speech("lots"), SILENCE, SILENCE, SILENCE],
        [SILENCE, SILENCE, speech("hmm"), SILENCE],
    ],
)
def test_silence_that_is_no_dead_line(replies):
    state, _, _ = run(EN, [*AT_Q3, *replies])
    assert not state.ended
    assert state.silent_questions <= 1


# --- stop, do not call, call me later during the survey ------------------------------------------


@pytest.mark.parametrize(
    ("language", "reply", "outcome", "do_not_call", "error", "goodbye"),
    [
        ("en", speech("stop"), "refused", False, "", "refused"),
        ("it", speech("basta"), "refused", False, "", "refused"),
        ("en", speech("stop calling me"), "refused", True, "", "do_not_call"),
        ("it", speech("non mi chiami più"), "refused", True, "", "do_not_call"),
        ("en", speech("call me back in an hour"), "callback", False, "callback_requested",
         "callback"),
        ("it", speech("mi richiami tra un'ora"), "callback", False, "callback_requested",
         "callback"),
    ],
)  # fmt: skip
def test_requests_mid_survey_keep_the_answers_given(
    language, reply, outcome, do_not_call, error, goodbye
):
    state, turns, _ = run(SCRIPTS[language], [*AT_Q3, reply])
    assert (state.outcome, state.do_not_call, state.error) == (outcome, do_not_call, error)
    assert state.answer_values() == {"q1": "yes", "q2": "8"}
    assert turns[-1].say == prompts(language)[goodbye]
    assert turns[-1].hangup
    if outcome == "callback":
        assert state.callback == {
            "delay_minutes": 60,
            "day_offset": None,
            "hour": None,
            "minute": 0,
        }
    else:
        assert state.callback is None


def test_a_request_on_a_second_ask_is_still_heard():
    state, _, _ = run(EN, [*AT_Q3, SILENCE, speech("don't call me")])
    assert (state.outcome, state.do_not_call) == ("refused", True)


# --- an ended call, retries, machines ------------------------------------------------------------


def test_a_reply_after_the_end_changes_nothing():
    ended, turns, _ = run(EN, [keys("2")])
    state, turn, reading = dialogue.advance(EN, ended, keys("1"))
    assert state is ended
    assert turn == turns[-1]
    assert reading.kind == dialogue.IGNORED


def test_prompt_says_the_current_prompt_again():
    state, turns, _ = run(IT, [keys("1"), keys("1"), SILENCE])
    assert dialogue.prompt(IT, state) == turns[-1]
    assert dialogue.prompt(IT, State()) == turns[0]


@pytest.mark.parametrize("language", ["en", "it"])
def test_an_answering_machine_gets_a_message_or_nothing(language):
    turn = dialogue.machine_turn(SCRIPTS[language], leave_message=True)
    assert (turn.say, turn.hangup, turn.expect, turn.language) == (
        prompts(language)["voicemail"],
        True,
        "",
        language,
    )
    assert dialogue.machine_turn(SCRIPTS[language], leave_message=False).say == ""


def test_a_script_needs_a_known_language_and_one_to_twenty_questions():
    with pytest.raises(ValueError, match="language"):
        dataclasses.replace(EN, language="de")
    with pytest.raises(ValueError, match="1 to 20"):
        dataclasses.replace(EN, questions=())
    with pytest.raises(ValueError, match="1 to 20"):
        dataclasses.replace(EN, questions=seven_questions() * 3)


# --- one language from the first word to the last -----------------------------------------------

# Every path: completed with re-asks and an unanswered question, refused, do not call, call
# back, failed at consent, a dead line, an answering machine.
PATHS = {
    "en": [
        [speech("yes"), speech("no"), speech("hmm"), speech("maybe"), keys("1"), SILENCE,
         SILENCE, keys("4")],
        [keys("1"), keys("1"), keys("99"), keys("9"), keys("20"), speech("what"), keys("3"),
         keys("2"), speech("nothing"), keys("1")],
        [speech("no")],
        [keys("1"), speech("do not call me")],
        [keys("1"), keys("1"), speech("call me back tomorrow")],
        [SILENCE, speech("what")],
        [keys("1"), *[SILENCE] * 4],
    ],
    "it": [
        [speech("sì"), speech("no"), speech("mah"), speech("forse"), keys("1"), SILENCE,
         SILENCE, keys("4")],
        [keys("1"), keys("1"), keys("99"), keys("9"), keys("20"), speech("come"), keys("3"),
         keys("2"), speech("niente"), keys("1")],
        [speech("no")],
        [keys("1"), speech("non chiamatemi")],
        [keys("1"), keys("1"), speech("mi richiami domani")],
        [SILENCE, speech("cosa")],
        [keys("1"), *[SILENCE] * 4],
    ],
}  # fmt: skip


def _words(text):
    return set(re.findall(r"[^\W\d_]+", text.lower()))


def _texts(language):
    """Every text a call in `language` may say: the script's, the phrasebook's."""
    script_ = SCRIPTS[language]
    texts = [script_.intro, script_.consent, *prompts(language).values()]
    for question in script_.questions:
        texts.append(question.texts[language])
        texts += [option.labels[language] for option in question.options]
    return texts


@pytest.mark.parametrize(("language", "other"), [("it", "en"), ("en", "it")])
def test_a_call_speaks_one_language_from_first_word_to_last(language, other):
    script_ = SCRIPTS[language]
    said = [dialogue.machine_turn(script_, leave_message=True)]
    outcomes = set()
    for replies in PATHS[language]:
        state, turns, _ = run(script_, replies)
        said += turns
        outcomes.add((state.outcome, state.do_not_call))
    assert outcomes == {
        ("completed", False),
        ("refused", False),
        ("refused", True),
        ("callback", False),
        ("failed", False),
    }
    own, foreign = _words(" ".join(_texts(language))), _words(" ".join(_texts(other)))
    only_foreign = foreign - own
    # The check can tell the languages apart: the other one's usual words are not this one's.
    usual = {"en": {"goodbye", "press", "sorry", "please"}, "it": {"arrivederci", "prema", "scusi"}}
    assert usual[other] <= only_foreign
    for turn in said:
        assert turn.language == language
        words = _words(turn.say)
        assert words <= own, f"not {language}: {words - own} in {turn.say!r}"
        assert not words & only_foreign


# --- the state as stored -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "replies",
    [
        [],
        [SILENCE],
        [*AT_Q3, speech("maybe")],
        [*AT_Q3, speech("lots"), speech("lots"), speech("call me back in an hour")],
        [keys("1"), speech("yes", 0.71), keys("9"), keys("3"), keys("2"), keys("1"),
         speech("More staff"), keys("5")],
        [keys("1"), *[SILENCE] * 4],
    ],
)  # fmt: skip
def test_the_state_round_trips_through_json(replies):
    state, _, _ = run(EN, replies)
    stored = json.loads(json.dumps(state.to_dict()))
    restored = State.from_dict(stored)
    assert restored == state
    assert restored.to_dict() == state.to_dict()
    # And the call goes on from the stored state exactly as from the live one.
    assert dialogue.advance(EN, restored, keys("1")) == dialogue.advance(EN, state, keys("1"))


def test_answer_values_name_answered_questions_by_position():
    state, _, _ = run(EN, [keys("1"), keys("1"), SILENCE, SILENCE, keys("7")])
    assert [(a.key, a.status) for a in state.answers] == [
        ("q1", "answered"),
        ("q2", "unanswered"),
        ("q3", "answered"),
    ]
    assert state.answer_values() == {"q1": "yes", "q3": "7"}


def test_the_step_names_the_question_by_its_key():
    questions = (
        QuestionSpec(key="recommend", type="yes_no", texts={"en": "Would you recommend us?"}),
        QuestionSpec(key="why", type="free_text", texts={"en": "Why?"}),
    )
    steps = [s.step for s in _states(script("en", questions), [keys("1"), keys("1"), SILENCE])]
    assert steps == ["consent", "recommend", "why", "why"]


def _states(script_, replies):
    state = dialogue.start(script_)[0]
    states = [state]
    for reply in replies:
        state = dialogue.advance(script_, state, reply)[0]
        states.append(state)
    return states

"""The dialogue state machine, table by table: consent, answers by type, second chances,
refusals, "do not call me", in English and Italian."""

import pytest

from calls import dialogue
from calls.dialogue import Reply, State

EN = dialogue.Script(
    language="en",
    intro="Hello from Acme. Do you agree to take part? Press 1 or say yes; 2 or no.",
    questions=(
        ("How satisfied are you?", "scale"),
        ("How many calls?", "numeric"),
        ("Why?", "free_text"),
    ),
)
IT = dialogue.Script(
    language="it",
    intro="Buongiorno da Acme. Accetta di partecipare? Prema 1 o dica sì; 2 o no.",
    questions=(
        ("Quanto è soddisfatto?", "scale"),
        ("Quante chiamate?", "numeric"),
        ("Perché?", "free_text"),
    ),
)


def speech(text, confidence=0.9):
    return Reply(speech=text, confidence=confidence)


def keys(digits):
    return Reply(digits=digits)


def run(script, replies):
    """Drive a whole call; return the final state and every prompt said."""
    state, turn = dialogue.start(script)
    said = [turn]
    for reply in replies:
        state, turn, _heard = dialogue.advance(script, state, reply)
        said.append(turn)
    return state, said


# --- consent -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "reply", "intent"),
    [
        ("en", keys("1"), "yes"),
        ("en", keys("2"), "no"),
        ("en", keys("7"), "unclear"),
        ("en", keys(" 1#"), "yes"),
        ("en", speech("yes"), "yes"),
        ("en", speech("Yeah, sure!"), "yes"),
        ("en", speech("okay go ahead"), "yes"),
        ("en", speech("of course"), "yes"),
        ("en", speech("no problem"), "yes"),
        ("en", speech("no"), "no"),
        ("en", speech("no thanks"), "no"),
        ("en", speech("I'm not interested"), "no"),
        ("en", speech("stop"), "no"),
        ("en", speech("yes no"), "unclear"),
        # A negation refuses, whatever it negates; a yes next to a no is asked again.
        ("en", speech("I'm not sure"), "no"),
        ("en", speech("not sure"), "no"),
        ("en", speech("absolutely not"), "no"),
        ("en", speech("of course not"), "no"),
        ("en", speech("I'm not okay with that"), "no"),
        ("en", speech("I don't think so"), "no"),
        ("en", speech("not really"), "no"),
        ("en", speech("I would rather not"), "no"),
        ("en", speech("I'd rather not"), "no"),
        ("en", speech("sure, why not"), "yes"),
        ("en", speech("not a problem"), "yes"),
        ("en", speech("I don't mind"), "yes"),
        ("en", speech("okay, not now"), "unclear"),
        ("en", speech("banana"), "unclear"),
        ("en", speech("could you repeat that please"), "repeat"),
        ("en", speech("pardon?"), "repeat"),
        ("en", speech("please don't call me again"), "do_not_call"),
        ("en", speech("remove my number"), "do_not_call"),
        ("en", Reply(), "silence"),
        ("en", speech("   "), "silence"),
        ("it", keys("1"), "yes"),
        ("it", keys("2"), "no"),
        ("it", speech("Sì"), "yes"),
        ("it", speech("si certo"), "yes"),
        ("it", speech("va bene"), "yes"),
        ("it", speech("d'accordo"), "yes"),
        ("it", speech("sì, non c'è problema"), "yes"),
        ("it", speech("no grazie"), "no"),
        ("it", speech("non mi interessa"), "no"),
        ("it", speech("basta"), "no"),
        ("it", speech("non sono sicuro"), "no"),
        ("it", speech("certo che no"), "no"),
        ("it", speech("preferirei di no"), "no"),
        ("it", speech("sì, va bene, perché no"), "yes"),
        ("it", speech("non ho capito"), "repeat"),
        ("it", speech("scusi, può ripetere?"), "repeat"),
        ("it", speech("non chiamatemi più"), "do_not_call"),
        ("it", speech("cancellatemi"), "do_not_call"),
        ("it", speech("boh"), "unclear"),
    ],
)
def test_consent_is_heard(language, reply, intent):
    assert dialogue.hear_consent(reply, language).intent == intent


# --- numbers and answers -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("language", "text", "number"),
    [
        ("en", "7", 7),
        ("en", "I'd say 8", 8),
        ("en", "eight out of ten", 8),
        ("en", "three times", 3),
        ("en", "twenty-one", 21),
        ("en", "twenty one", 21),
        ("en", "a hundred and five", 105),
        ("en", "one hundred twenty", 120),
        ("en", "never", 0),
        ("en", "twice", 2),
        ("en", "seven eight", 7),
        ("en", "a lot", None),
        ("en", "", None),
        ("it", "otto", 8),
        ("it", "dieci", 10),
        ("it", "ventuno", 21),
        ("it", "ventotto", 28),
        ("it", "trentatré", 33),
        ("it", "cento", 100),
        ("it", "centoventi", 120),
        ("it", "duecento", 200),
        ("it", "due volte", 2),
        ("it", "una volta al mese", 1),
        ("it", "mai", 0),
        ("it", "tante", None),
    ],
)
def test_numbers_in_words_and_digits(language, text, number):
    assert dialogue.parse_number(text, language) == number


@pytest.mark.parametrize(
    ("reply", "question_type", "language", "expected"),
    [
        (keys("8"), "scale", "en", ("8", 1.0)),
        (keys("10"), "scale", "en", ("10", 1.0)),
        (keys("0"), "scale", "en", None),
        (keys("11"), "scale", "en", None),
        (speech("nine", 0.8), "scale", "en", ("9", 0.8)),
        (speech("nove", 0.7), "scale", "it", ("9", 0.7)),
        (speech("zero"), "scale", "en", None),
        (speech("very happy"), "scale", "en", None),
        (keys("3"), "numeric", "en", ("3", 1.0)),
        (speech("never", 0.95), "numeric", "en", ("0", 0.95)),
        (speech("tre volte", 0.9), "numeric", "it", ("3", 0.9)),
        (speech("999999"), "numeric", "en", None),
        (speech("  faster   support ", 0.6), "free_text", "en", ("faster support", 0.6)),
        (speech("prezzi più bassi", None), "free_text", "it", ("prezzi più bassi", None)),
        (speech("x", 1.7), "free_text", "en", ("x", 1.0)),  # a provider's odd confidence, clamped
        (speech("x" * 600), "free_text", "en", ("x" * 500, 0.9)),
        (keys("42"), "free_text", "en", ("42", 1.0)),
        (Reply(), "free_text", "en", None),
    ],
)
def test_answers_are_normalised_by_question_type(reply, question_type, language, expected):
    answer = dialogue.parse_answer(reply, question_type, language)
    assert (None if answer is None else (answer.value, answer.confidence)) == expected


@pytest.mark.parametrize(
    ("reply", "question_type", "intent"),
    [
        (speech("what I want is faster support"), "free_text", "answer"),  # not "repeat"
        (speech("no"), "free_text", "answer"),  # "no" answers a free question
        (speech("stop"), "free_text", "stop"),
        (speech("basta"), "free_text", "answer"),  # Italian "stop" means nothing in an English call
        (speech("repeat please"), "scale", "repeat"),
        (speech("sorry?"), "numeric", "repeat"),
        (speech("don't call me again"), "scale", "do_not_call"),
        (speech("one"), "scale", "answer"),
        (Reply(), "numeric", "silence"),
        (speech("a lot"), "numeric", "unclear"),
    ],
)
def test_questions_hear_requests_only_when_that_is_all_the_callee_said(
    reply, question_type, intent
):
    assert dialogue.hear_answer(reply, question_type, "en").intent == intent


# --- whole calls ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("script", "replies", "outcome", "error", "answers", "do_not_call"),
    [
        # Consent by key or by voice, three answers: completed.
        (
            EN,
            [keys("1"), keys("8"), speech("two"), speech("cheaper")],
            "completed",
            "",
            ["8", "2", "cheaper"],
            False,
        ),
        (
            IT,
            [speech("sì"), speech("sette"), keys("4"), speech("niente")],
            "completed",
            "",
            ["7", "4", "niente"],
            False,
        ),
        # Refusal ends the call at once.
        (EN, [keys("2")], "refused", "", [], False),
        (IT, [speech("no grazie")], "refused", "", [], False),
        # "Do not call me", at consent or in the middle of the questions.
        (EN, [speech("do not call me")], "refused", "", [], True),
        (IT, [keys("1"), keys("9"), speech("non mi chiami più")], "refused", "", ["9"], True),
        # Stop in the middle of the questions is a refusal.
        (EN, [keys("1"), speech("stop")], "refused", "", [], False),
        # Silence or "repeat" re-asks once; a good reply then carries on.
        (
            EN,
            [Reply(), keys("1"), speech("repeat"), keys("5"), Reply(), keys("0"), speech("ok")],
            "completed",
            "",
            ["5", "0", "ok"],
            False,
        ),
        (
            IT,
            [speech("come?"), speech("va bene"), keys("6"), keys("1"), speech("bene così")],
            "completed",
            "",
            ["6", "1", "bene così"],
            False,
        ),
        # A second failure at the same step ends the call as failed.
        (EN, [Reply(), Reply()], "failed", "no_input", [], False),
        (EN, [speech("banana"), speech("repeat")], "failed", "not_understood", [], False),
        (
            IT,
            [keys("1"), speech("tantissimo"), speech("boh")],
            "failed",
            "not_understood",
            [],
            False,
        ),
    ],
)
def test_whole_calls(script, replies, outcome, error, answers, do_not_call):
    state, said = run(script, replies)
    assert state.step == dialogue.ENDED
    assert (state.outcome, state.error, state.do_not_call) == (outcome, error, do_not_call)
    assert [a.value for a in state.answers] == answers
    assert said[-1].hangup
    assert said[-1].expect == ""
    assert [t.turn for t in said] == list(range(1, len(replies) + 2))
    assert all(t.language == script.language for t in said)


def test_prompts_in_order_with_hints_and_second_chances():
    state, first = dialogue.start(EN)
    assert (first.turn, first.say, first.expect, first.hangup) == (1, EN.intro, "consent", False)
    state, again, heard = dialogue.advance(EN, state, Reply())
    assert heard.intent == "silence"
    assert again.say.startswith("Sorry, I did not catch that.")
    assert again.expect == "consent"
    state, q1, _ = dialogue.advance(EN, state, keys("1"))
    assert q1.say == "How satisfied are you? Please say or key in a number from 1 to 10."
    assert q1.expect == "scale"
    assert state.reasked is False  # a new step gets its own chance
    state, q1_again, _ = dialogue.advance(EN, state, speech("very"))
    assert q1_again.say == "Sorry, I did not catch that. " + q1.say
    state, q2, _ = dialogue.advance(EN, state, keys("7"))
    assert q2.expect == "numeric"
    assert q2.say.endswith("Please say or key in a number.")
    state, q3, _ = dialogue.advance(EN, state, keys("3"))
    assert q3.expect == "free_text"
    state, goodbye, heard = dialogue.advance(EN, state, speech("all good"))
    assert heard == dialogue.Heard("answer", "all good")
    assert goodbye.hangup
    assert "Thank you very much" in goodbye.say


@pytest.mark.parametrize(
    ("script", "replies", "goodbye"),
    [
        (EN, [keys("2")], "No problem, thank you for your time. Goodbye."),
        (EN, [speech("don't call me")], "Understood: we will not call you again. Goodbye."),
        (IT, [keys("2")], "Nessun problema, grazie per il suo tempo. Arrivederci."),
        (IT, [speech("cancellatemi")], "Va bene: non la chiameremo più. Arrivederci."),
        (
            IT,
            [Reply(), Reply()],
            "Mi scusi, non riusciamo a capirla. Potremmo richiamarla un'altra volta. Arrivederci.",
        ),
    ],
)
def test_goodbyes_in_the_call_language(script, replies, goodbye):
    _state, said = run(script, replies)
    assert said[-1].say == goodbye


def test_prompt_repeats_the_current_turn_and_an_ended_call_stays_ended():
    state, _ = dialogue.start(IT)
    state, q1, _ = dialogue.advance(IT, state, speech("certo"))
    assert dialogue.prompt(IT, state) == q1
    ended, goodbye, _ = dialogue.advance(IT, state, speech("basta"))
    again, same, heard = dialogue.advance(IT, ended, keys("1"))
    assert (again, same, heard.intent) == (ended, goodbye, "ignored")


def test_state_round_trips_through_a_dict():
    state, _ = run(EN, [keys("1"), speech("eight", 0.81)])
    assert State.from_dict(state.to_dict()) == state
    assert state.to_dict()["answers"] == [["8", 0.81]]

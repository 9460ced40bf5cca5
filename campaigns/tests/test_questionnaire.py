"""The questionnaire's rules (campaigns/questionnaire.py): every problem named at once, by
field; skip logic that only goes forward; where a survey goes after each answer."""

import pytest

from campaigns.questionnaire import (
    END,
    OptionSpec,
    QuestionSpec,
    SkipRule,
    next_position,
    question_from_data,
    questionnaire_problems,
    skip_rule_sentence,
)

BOTH = ("en", "it")


def yes_no(key, **kwargs):
    return QuestionSpec(key=key, type="yes_no", texts={"en": f"{key}?", "it": f"{key}?"}, **kwargs)


def choice(key, options):
    return QuestionSpec(
        key=key, type="single_choice", texts={"en": "?", "it": "?"}, options=options
    )


def option(value, digit, labels=None):
    return OptionSpec(value=value, digit=digit, labels=labels or {"en": value, "it": value})


def problems(questions, languages=BOTH, require_texts=True):
    return questionnaire_problems(questions, languages=languages, require_texts=require_texts)


def test_a_good_questionnaire_has_no_problem():
    questions = [
        yes_no("used", skip=(SkipRule("equals", ("no",), "comment"),)),
        QuestionSpec(
            key="nps",
            type="scale",
            texts={"en": "?", "it": "?"},
            min_value=0,
            max_value=10,
            nps=True,
            skip=(SkipRule("below", ("7",), END),),
        ),
        choice("channel", (option("phone", "1"), option("email", "2"))),
        QuestionSpec(key="comment", type="free_text", texts={"en": "?", "it": "?"}),
    ]
    assert problems(questions) == {}


def test_every_problem_is_named_at_once():
    questions = [
        yes_no("a"),
        yes_no("b", skip=(SkipRule("equals", ("yes",), "a"),)),  # backwards
        choice("c", (option("only", "1"),)),  # one option
        choice("d", (option("x", "1"), option("y", "1"))),  # the same digit twice
        QuestionSpec(key="e", type="yes_no", texts={"en": "Why?"}),  # no Italian
        QuestionSpec(key="f", type="scale", texts={"en": "?", "it": "?"}, min_value=5, max_value=5),
        QuestionSpec(
            key="g", type="scale", texts={"en": "?", "it": "?"}, min_value=1, max_value=5, nps=True
        ),
    ]
    found = problems(questions)
    assert "A jump goes forward only" in found["questions.2.skip"][0]
    assert "2 to 9 options (1 given)" in found["questions.3.options"][0]
    assert found["questions.4.options.2.digit"] == ["Keypad digit 1 is used twice."]
    assert found["questions.5.text.it"] == ["Question 5 has no Italian text."]
    assert "below the highest" in found["questions.6.range"][0]
    assert found["questions.7.nps"] == ["Net Promoter Score is a 0–10 scale."]


def test_twenty_one_questions_are_too_many():
    found = problems([yes_no(f"q{n}") for n in range(1, 22)])
    assert found["questions"] == ["At most 20 questions (21 given)."]


def test_no_question_is_a_problem():
    assert problems([])["questions"] == ["A survey needs at least one question."]


def test_a_draft_may_lack_texts_but_activation_may_not():
    unfinished = [QuestionSpec(key="a", type="yes_no", texts={})]
    assert problems(unfinished, require_texts=False) == {}
    assert "questions.1.text.en" in problems(unfinished)


def test_a_choice_label_is_needed_in_every_language():
    found = problems([choice("c", (option("a", "1"), option("b", "2", {"en": "B"})))])
    assert found["questions.1.options.2.label.it"] == [
        "Option 2 of question 1 has no Italian label."
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (SkipRule("equals", ("maybe",), END), "'maybe' is not a possible answer"),
        (SkipRule("below", ("3",), END), "apply to numbers and scales only"),
        (SkipRule("sideways", ("yes",), END), "Unknown condition"),
        (SkipRule("equals", ("yes",), "nowhere"), "no question of this survey"),
    ],
)
def test_a_skip_rule_that_cannot_work_is_named(rule, message):
    found = problems([yes_no("a", skip=(rule,)), yes_no("b")])
    assert any(message in text for text in found["questions.1.skip"])


def test_where_the_survey_goes_next():
    questions = [
        yes_no("a", skip=(SkipRule("equals", ("no",), "c"),)),
        yes_no("b"),
        QuestionSpec(key="c", type="number", texts={}, skip=(SkipRule("above", ("10",), END),)),
        yes_no("d"),
    ]
    assert next_position(questions, 0, "yes") == 1
    assert next_position(questions, 0, "no") == 2
    assert next_position(questions, 0, None) == 1  # unanswered: no rule applies
    assert next_position(questions, 2, "11") == 4  # the end
    assert next_position(questions, 2, "3") == 3


def test_the_shared_data_shape_and_the_sentence():
    spec = question_from_data(
        {
            "key": "used",
            "type": "yes_no",
            "text": {"en": "Did you use it?"},
            "skip": [{"if": "equals", "value": "no", "to": "end"}],
        }
    )
    assert spec.skip == (SkipRule("equals", ("no",), END),)
    assert skip_rule_sentence(spec.skip[0], [spec], "en") == "If the answer is no, go to the end"

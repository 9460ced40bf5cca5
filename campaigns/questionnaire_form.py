"""What the campaign pages show of a questionnaire: the services' error keys as sentences that
name the question and the language, and a questionnaire laid out for the campaign page. Pure:
no database, no request; the rules themselves are campaigns/questionnaire.py's."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from campaigns.languages import language_name
from campaigns.questionnaire import (
    CAMPAIGN_TEXTS,
    FREE_TEXT,
    NUMBER,
    QUESTION_TYPE_LABELS,
    SCALE,
    TEXT_LABELS,
    QuestionSpec,
    skip_rule_sentence,
)

# The parts of a question an error key can name ("questions.3.<part>…"), as people say them.
_PARTS = {
    "key": "key",
    "type": "type",
    "text": "text",
    "range": "lowest and highest value",
    "nps": "Net Promoter Score",
    "max_length": "maximum length",
    "options": "options",
    "skip": "skip rules",
    "value": "value",
    "digit": "keypad digit",
    "label": "label",
    "synonyms": "synonyms",
}


def error_place(key: str, questions: Sequence[Mapping[str, Any]] = ()) -> str:
    """Where a service's error key points, in words: "questions.3.options.2.label.it" →
    "Question 3 (q3), option 2, label, Italian"; "texts.it.intro" → "Italian, Introduction"."""
    parts = key.split(".")
    if parts[0] == "texts":
        words = [language_name(parts[1])] if len(parts) > 1 else ["Texts"]
        if len(parts) > 2:
            words.append(TEXT_LABELS.get(parts[2], parts[2]))
        return ", ".join(words)
    if parts[0] != "questions":
        return key
    if len(parts) < 2 or not parts[1].isdigit():
        return "Questionnaire"
    number = int(parts[1])
    question_key = ""
    if 1 <= number <= len(questions) and isinstance(questions[number - 1], Mapping):
        question_key = str(questions[number - 1].get("key", ""))
    words = [f"Question {number}" + (f" ({question_key})" if question_key else "")]
    rest = parts[2:]
    if rest[:1] == ["options"] and len(rest) > 1 and rest[1].isdigit():
        words.append(f"option {rest[1]}")
        rest = rest[2:]
    for part in rest:
        if part in _PARTS:
            words.append(_PARTS[part])
        else:
            words.append(language_name(part))
    return ", ".join(words)


def labelled_errors(
    errors: Mapping[str, Sequence[str]], questions: Sequence[Mapping[str, Any]] = ()
) -> list[str]:
    """Every message, prefixed with where it points ("Question 3 (q3), options: …")."""
    return [
        f"{error_place(key, questions)}: {message}"
        for key, messages in errors.items()
        for message in messages
    ]


def _range_text(question: QuestionSpec) -> str:
    low, high = question.min_value, question.max_value
    if question.type == SCALE:
        return f"{low}–{high}" + (" (Net Promoter Score)" if question.nps else "")
    if question.type == NUMBER:
        if low is not None and high is not None:
            return f"{low}–{high}"
        if low is not None:
            return f"at least {low}"
        if high is not None:
            return f"at most {high}"
        return "any number"
    if question.type == FREE_TEXT:
        return f"up to {question.max_length} characters"
    return ""


def questionnaire_display(
    questions: Sequence[QuestionSpec], languages: Sequence[str]
) -> list[dict[str, Any]]:
    """The questionnaire as the campaign page lists it: numbered, with its type, its texts in
    every language, its options and its skip rules as sentences."""
    shown = []
    for number, question in enumerate(questions, start=1):
        shown.append(
            {
                "number": number,
                "key": question.key,
                "type": question.type,
                "type_label": QUESTION_TYPE_LABELS.get(question.type, question.type),
                "detail": _range_text(question),
                "texts": [(code, question.text(code)) for code in languages],
                "options": [
                    {
                        "digit": option.digit,
                        "value": option.value,
                        "labels": [(code, option.labels.get(code, "")) for code in languages],
                        "synonyms": [
                            (code, ", ".join(option.synonyms.get(code, ()))) for code in languages
                        ],
                    }
                    for option in question.options
                ],
                "rules": [
                    skip_rule_sentence(rule, questions, languages[0] if languages else "")
                    for rule in question.skip
                ],
            }
        )
    return shown


def texts_display(texts: Any, languages: Sequence[str]) -> list[dict[str, Any]]:
    """The campaign's own texts by name, in every language ("" where the language's standard
    wording is used)."""
    texts = texts if isinstance(texts, Mapping) else {}
    return [
        {
            "name": name,
            "label": TEXT_LABELS[name],
            "values": [
                (code, str((texts.get(code) or {}).get(name, "") or "")) for code in languages
            ],
        }
        for name in CAMPAIGN_TEXTS
    ]

"""A campaign's questionnaire as pure data: the question types, their settings, skip logic, and
every rule that decides whether a questionnaire can be asked (docs/architecture.md §4, §6.4).

No database here: `QuestionSpec` is built from the `Question` rows (campaigns/models.py) or from
what the API and the form send, `questionnaire_problems` lists everything wrong with one, by
field, and `next_position` says where a survey goes after an answer. The dialogue
(calls/dialogue.py) asks these; the form, the API and activation check them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from campaigns.languages import language_name

MAX_QUESTIONS = 20
MIN_OPTIONS, MAX_OPTIONS = 2, 9
RANGE_LIMITS = (0, 100)  # a scale's min and max lie within
FREE_TEXT_MAX = 1000
DEFAULT_FREE_TEXT_LENGTH = 500

YES_NO, SCALE, NUMBER, SINGLE_CHOICE, FREE_TEXT = (
    "yes_no",
    "scale",
    "number",
    "single_choice",
    "free_text",
)
QUESTION_TYPES = (YES_NO, SCALE, NUMBER, SINGLE_CHOICE, FREE_TEXT)
QUESTION_TYPE_LABELS = {
    YES_NO: "Yes / no",
    SCALE: "Scale",
    NUMBER: "Number",
    SINGLE_CHOICE: "Single choice",
    FREE_TEXT: "Free text",
}

# Skip rules: after a question, if its answer <op> <value(s)>, go to a later question or end.
EQUALS, ONE_OF, BELOW, ABOVE = "equals", "one_of", "below", "above"
SKIP_OPS = (EQUALS, ONE_OF, BELOW, ABOVE)
END = "end"


@dataclass(frozen=True)
class OptionSpec:
    value: str  # what is stored
    digit: str  # the keypad key, "1"…"9"
    labels: Mapping[str, str]  # language → what is said
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)  # language → words


@dataclass(frozen=True)
class SkipRule:
    op: str  # equals | one_of | below | above
    values: tuple[str, ...]  # one for equals/below/above; several for one_of
    to: str  # a later question's key, or "end"

    def matches(self, value: str, question_type: str) -> bool:
        if self.op in (BELOW, ABOVE):
            try:
                number, bound = float(value), float(self.values[0])
            except (ValueError, IndexError):
                return False
            return number < bound if self.op == BELOW else number > bound
        if self.op == EQUALS:
            return value == self.values[0] if self.values else False
        return value in self.values


@dataclass(frozen=True)
class QuestionSpec:
    key: str  # stable, unique in the campaign: q1, q2… or chosen ("satisfaction")
    type: str
    texts: Mapping[str, str]  # language → the question as said
    min_value: int | None = None  # scale (required), number (optional)
    max_value: int | None = None
    nps: bool = False  # a 0–10 scale read as Net Promoter Score
    max_length: int = DEFAULT_FREE_TEXT_LENGTH  # free text
    options: tuple[OptionSpec, ...] = ()
    skip: tuple[SkipRule, ...] = ()

    def text(self, language: str) -> str:
        return self.texts.get(language, "")


def next_position(questions: Sequence[QuestionSpec], position: int, value: str | None) -> int:
    """Where the survey goes after the question at `position` (0-based) was answered with
    `value` (None: unanswered — no rule applies): the first matching rule's target, else the
    next question. `len(questions)` means the end."""
    question = questions[position]
    if value is not None:
        keys = [q.key for q in questions]
        for rule in question.skip:
            if rule.matches(value, question.type):
                return len(questions) if rule.to == END else keys.index(rule.to)
    return position + 1


def _answer_values(question: QuestionSpec) -> set[str] | None:
    """The answers a question can take, when they are a closed set (for skip rule values)."""
    if question.type == YES_NO:
        return {"yes", "no"}
    if question.type == SINGLE_CHOICE:
        return {option.value for option in question.options}
    if question.type == SCALE and question.min_value is not None and question.max_value is not None:
        return {str(n) for n in range(question.min_value, question.max_value + 1)}
    return None


def questionnaire_problems(
    questions: Sequence[QuestionSpec], *, languages: Iterable[str], require_texts: bool
) -> dict[str, list[str]]:
    """Everything wrong with a questionnaire, by field ("questions", "questions.2.options",
    "questions.2.text.it" …; positions 1-based as people count). `require_texts`: every text
    in every language must be written (activation); off, an unfinished draft may be saved."""
    problems: dict[str, list[str]] = {}
    languages = list(languages)

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    if not questions:
        add("questions", "A survey needs at least one question.")
    if len(questions) > MAX_QUESTIONS:
        add("questions", f"At most {MAX_QUESTIONS} questions ({len(questions)} given).")
    keys = [q.key for q in questions]
    for position, question in enumerate(questions, start=1):
        where = f"questions.{position}"
        _question_problems(question, where, languages, require_texts, add)
        if keys.count(question.key) > 1:
            add(f"{where}.key", f"The key {question.key!r} is used by another question.")
        for rule in question.skip:
            _skip_problems(question, rule, position, keys, where, add)
    return problems


def _question_problems(question, where, languages, require_texts, add) -> None:
    if not question.key or not question.key.replace("_", "").isalnum() or len(question.key) > 40:
        add(f"{where}.key", "A key is up to 40 letters, digits or underscores.")
    if question.type not in QUESTION_TYPES:
        add(f"{where}.type", f"Unknown type {question.type!r}: one of {', '.join(QUESTION_TYPES)}.")
        return
    if require_texts:
        for language in languages:
            if not question.text(language).strip():
                add(
                    f"{where}.text.{language}",
                    f"Question {_n(where)} has no {_name(language)} text.",
                )
    _number_problems(question, where, add)
    if question.type == FREE_TEXT and not 1 <= question.max_length <= FREE_TEXT_MAX:
        add(f"{where}.max_length", f"A free-text answer keeps 1 to {FREE_TEXT_MAX} characters.")
    if question.type == SINGLE_CHOICE:
        _option_problems(question, where, languages, require_texts, add)
    elif question.options:
        add(f"{where}.options", "Only a single-choice question has options.")


def _number_problems(question, where, add) -> None:
    if question.type == SCALE:
        _range_problems(question, where, add, required=True)
        if question.nps and (question.min_value, question.max_value) != (0, 10):
            add(f"{where}.nps", "Net Promoter Score is a 0–10 scale.")
    elif question.type == NUMBER:
        _range_problems(question, where, add, required=False)
    if question.nps and question.type != SCALE:
        add(f"{where}.nps", "Only a 0–10 scale can be a Net Promoter Score.")


def _text_problems(question, where, languages, add) -> None:
    for language in languages:
        if not question.text(language).strip():
            add(f"{where}.text.{language}", f"Question {_n(where)} has no {_name(language)} text.")


def _range_problems(question, where, add, *, required: bool) -> None:
    low, high = question.min_value, question.max_value
    if required and (low is None or high is None):
        add(f"{where}.range", "A scale needs its lowest and highest value.")
        return
    if question.type == SCALE:
        for value in (low, high):
            if value is not None and not RANGE_LIMITS[0] <= value <= RANGE_LIMITS[1]:
                add(f"{where}.range", "A scale lies within 0–100.")
                return
    if low is not None and high is not None and low >= high:
        add(f"{where}.range", "The lowest value must be below the highest.")


def _option_problems(question, where, languages, require_texts, add) -> None:
    options = question.options
    if not MIN_OPTIONS <= len(options) <= MAX_OPTIONS:
        add(
            f"{where}.options",
            f"A single-choice question has {MIN_OPTIONS} to {MAX_OPTIONS} options "
            f"({len(options)} given).",
        )
    digits = [o.digit for o in options]
    values = [o.value for o in options]
    for n, option in enumerate(options, start=1):
        if option.digit not in {str(d) for d in range(1, 10)}:
            add(f"{where}.options.{n}.digit", "A keypad digit is 1 to 9.")
        elif digits.count(option.digit) > 1:
            add(f"{where}.options.{n}.digit", f"Keypad digit {option.digit} is used twice.")
        if not option.value.strip():
            add(f"{where}.options.{n}.value", "An option needs the value it is stored as.")
        elif values.count(option.value) > 1:
            add(f"{where}.options.{n}.value", f"The value {option.value!r} is used twice.")
        if require_texts:
            for language in languages:
                if not option.labels.get(language, "").strip():
                    add(
                        f"{where}.options.{n}.label.{language}",
                        f"Option {n} of question {_n(where)} has no {_name(language)} label.",
                    )


def _skip_problems(question, rule, position, keys, where, add) -> None:
    field_name = f"{where}.skip"
    if rule.op not in SKIP_OPS:
        add(field_name, f"Unknown condition {rule.op!r}: one of {', '.join(SKIP_OPS)}.")
        return
    if rule.to != END:
        if rule.to not in keys:
            add(field_name, f"The jump goes to {rule.to!r}, which is no question of this survey.")
        elif keys.index(rule.to) <= position - 1:
            add(field_name, "A jump goes forward only: to a later question or to the end.")
    if not rule.values or (rule.op != ONE_OF and len(rule.values) != 1):
        add(field_name, "The condition needs one value (several for “one of”).")
        return
    if rule.op in (BELOW, ABOVE):
        if question.type not in (SCALE, NUMBER):
            add(field_name, "“Below” and “above” apply to numbers and scales only.")
        else:
            try:
                float(rule.values[0])
            except ValueError:
                add(field_name, f"{rule.values[0]!r} is not a number.")
        return
    allowed = _answer_values(question)
    if question.type == FREE_TEXT:
        add(field_name, "A free-text answer cannot be compared: no skip rule on it.")
    elif allowed is not None:
        unknown = [v for v in rule.values if v not in allowed]
        if unknown:
            add(field_name, f"{', '.join(map(repr, unknown))} is not a possible answer.")


def _n(where: str) -> str:
    return where.split(".")[1]


def _name(language: str) -> str:
    return language_name(language)


# --- from stored or sent data ------------------------------------------------------------------


def question_from_data(data: Mapping[str, Any]) -> QuestionSpec:
    """A QuestionSpec from the JSON shape the API, the form and the `Question` row share:
    {key, type, text: {lang: …}, min, max, nps, max_length, options: [{value, digit, label:
    {lang: …}, synonyms: {lang: [...]}}], skip: [{if, value | values, to}]}."""
    options = tuple(
        OptionSpec(
            value=str(o.get("value", "")),
            digit=str(o.get("digit", "")),
            labels=dict(o.get("label") or {}),
            synonyms={k: tuple(v) for k, v in (o.get("synonyms") or {}).items()},
        )
        for o in data.get("options") or ()
    )
    skip = tuple(
        SkipRule(
            op=str(rule.get("if", "")),
            values=tuple(
                str(v) for v in (rule.get("values") or ([rule["value"]] if "value" in rule else []))
            ),
            to=str(rule.get("to", "")),
        )
        for rule in data.get("skip") or ()
    )
    return QuestionSpec(
        key=str(data.get("key", "")),
        type=str(data.get("type", "")),
        texts=dict(data.get("text") or {}),
        min_value=_whole_number(data.get("min"), "min"),
        max_value=_whole_number(data.get("max"), "max"),
        nps=bool(data.get("nps", False)),
        max_length=int(data.get("max_length") or DEFAULT_FREE_TEXT_LENGTH),
        options=options,
        skip=skip,
    )


def _whole_number(value: Any, name: str) -> int | None:
    """An optional bound as sent: None, or a whole number (ValueError otherwise)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"{name} must be a whole number, not {value!r}.")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {value!r}.") from None


def question_data(question: QuestionSpec) -> dict[str, Any]:
    """A QuestionSpec in the JSON shape `question_from_data` reads (its inverse)."""
    return {
        "key": question.key,
        "type": question.type,
        "text": dict(question.texts),
        "min": question.min_value,
        "max": question.max_value,
        "nps": question.nps,
        "max_length": question.max_length,
        "options": [
            {
                "value": option.value,
                "digit": option.digit,
                "label": dict(option.labels),
                "synonyms": {code: list(words) for code, words in option.synonyms.items()},
            }
            for option in question.options
        ],
        "skip": [
            {"if": rule.op, "values": list(rule.values), "to": rule.to} for rule in question.skip
        ],
    }


def skip_rule_sentence(rule: SkipRule, questions: Sequence[QuestionSpec], language: str) -> str:
    """A skip rule as a person reads it: "If the answer is No, go to question 5"."""
    keys = [q.key for q in questions]
    target = "the end" if rule.to == END else f"question {keys.index(rule.to) + 1}"
    shown = ", ".join(rule.values)
    condition = {
        EQUALS: f"is {shown}",
        ONE_OF: f"is one of {shown}",
        BELOW: f"is below {shown}",
        ABOVE: f"is above {shown}",
    }.get(rule.op, rule.op)
    return f"If the answer {condition}, go to {target}"


# --- the campaign's own texts --------------------------------------------------------------------

# What a campaign says around its questions, per language. The intro is required; the others,
# when left empty, are the language's standard wording (calls/phrasebook/).
CAMPAIGN_TEXTS = ("intro", "consent", "repeat", "goodbye")
TEXT_LABELS = {
    "intro": "Introduction",
    "consent": "Consent question",
    "repeat": "Repeat prompt",
    "goodbye": "Goodbye",
}


def script_problems(
    *,
    language: str,
    languages: Sequence[str],
    texts: Any,
    known_languages: Iterable[str],
    require_texts: bool,
) -> dict[str, list[str]]:
    """What is wrong with a campaign's languages and texts, by field ("languages", "texts",
    "texts.it.intro" …). `require_texts` (activation): the intro in every language, and a text
    written in one language written in all."""
    problems: dict[str, list[str]] = {}

    def add(field_name: str, message: str) -> None:
        problems.setdefault(field_name, []).append(message)

    _languages_problems(language, languages, list(known_languages), add)
    if problems:
        return problems
    spoken = list(languages) or [language]
    if not isinstance(texts, dict) or not all(isinstance(v, dict) for v in texts.values()):
        add("texts", 'Per language, the texts by name: {"en": {"intro": "…"}}.')
        return problems
    for code, named in texts.items():
        if code not in spoken:
            add("texts", f"Texts in {_name(code)}, which is not one of the survey's languages.")
            continue
        for name, value in named.items():
            if name not in CAMPAIGN_TEXTS:
                add(f"texts.{code}", f"Unknown text {name!r} (known: {', '.join(CAMPAIGN_TEXTS)}).")
            elif not isinstance(value, str):
                add(f"texts.{code}.{name}", "A text is a string.")
    if require_texts and not problems:
        _missing_texts(spoken, texts, add)
    return problems


def _languages_problems(language, languages, known, add) -> None:
    if not isinstance(languages, list) or not all(isinstance(code, str) for code in languages):
        add("languages", 'A list of language codes, such as ["en", "it"].')
        return
    for code in languages:
        if code not in known:
            add("languages", f"Unknown language {code!r} (known: {', '.join(known)}).")
    if len(set(languages)) != len(languages):
        add("languages", "A language is listed twice.")
    if languages and language not in languages:
        add("language", "The default language must be one of the survey's languages.")


def _missing_texts(spoken, texts, add) -> None:
    for name in CAMPAIGN_TEXTS:
        written = [code for code in spoken if str(texts.get(code, {}).get(name, "")).strip()]
        if name != "intro" and not written:
            continue  # the language's standard wording in every language
        for code in spoken:
            if code in written:
                continue
            if name == "intro":
                why = ": say who is calling, why, how long it takes and how to opt out."
            else:
                why = f" (written in {', '.join(_name(c) for c in written)})."
            add(f"texts.{code}.{name}", f"{TEXT_LABELS[name]} is missing in {_name(code)}{why}")

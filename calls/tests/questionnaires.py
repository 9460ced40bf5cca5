"""Questionnaires for the tests (and bench/dialogue_turn.py): one of every type, in English and
Italian, with a skip rule, as campaigns.questionnaire describes them."""

from __future__ import annotations

from calls import dialogue
from campaigns.questionnaire import OptionSpec, QuestionSpec, SkipRule


def seven_questions() -> tuple[QuestionSpec, ...]:
    """q1 yes/no ("no" skips to q5), q2 a 0–10 NPS scale, q3 a number 0–50, q4 one of three
    options, q5 yes/no, q6 free text, q7 a 1–5 scale."""
    return (
        QuestionSpec(
            key="q1",
            type="yes_no",
            texts={
                "en": "Have you used our service in the last month?",
                "it": "Ha usato il nostro servizio nell'ultimo mese?",
            },
            skip=(SkipRule(op="equals", values=("no",), to="q5"),),
        ),
        QuestionSpec(
            key="q2",
            type="scale",
            texts={
                "en": "How likely are you to recommend us to a friend?",
                "it": "Quanto è probabile che ci raccomandi a un amico?",
            },
            min_value=0,
            max_value=10,
            nps=True,
        ),
        QuestionSpec(
            key="q3",
            type="number",
            texts={
                "en": "How many times did you call us?",
                "it": "Quante volte ci ha chiamato?",
            },
            min_value=0,
            max_value=50,
        ),
        QuestionSpec(
            key="q4",
            type="single_choice",
            texts={
                "en": "How do you prefer to be contacted?",
                "it": "Come preferisce essere contattato?",
            },
            options=(
                OptionSpec(
                    value="phone",
                    digit="1",
                    labels={"en": "Phone", "it": "Telefono"},
                    synonyms={"en": ("telephone", "mobile"), "it": ("telefonata", "cellulare")},
                ),
                OptionSpec(
                    value="email",
                    digit="2",
                    labels={"en": "Email", "it": "Posta elettronica"},
                    synonyms={"en": ("e-mail", "mail"), "it": ("email", "mail")},
                ),
                OptionSpec(
                    value="letter",
                    digit="3",
                    labels={"en": "Letter", "it": "Lettera"},
                    synonyms={"en": ("post", "mail by post"), "it": ("posta", "per posta")},
                ),
            ),
        ),
        QuestionSpec(
            key="q5",
            type="yes_no",
            texts={
                "en": "Would you use our service again?",
                "it": "Userebbe di nuovo il nostro servizio?",
            },
        ),
        QuestionSpec(
            key="q6",
            type="free_text",
            texts={
                "en": "What should we improve?",
                "it": "Che cosa dovremmo migliorare?",
            },
            max_length=200,
        ),
        QuestionSpec(
            key="q7",
            type="scale",
            texts={
                "en": "How satisfied are you overall?",
                "it": "Quanto è soddisfatto nel complesso?",
            },
            min_value=1,
            max_value=5,
        ),
    )


INTROS = {
    "en": (
        "Hello, this is Acme calling about a short survey of three minutes. You can ask us "
        "never to call again at any time."
    ),
    "it": (
        "Buongiorno, la chiama Acme per un breve sondaggio di tre minuti. Può chiederci in "
        "ogni momento di non richiamarla più."
    ),
}
CONSENTS = {
    "en": "Do you agree to take part?",
    "it": "Accetta di partecipare?",
}


def script(language: str, questions: tuple[QuestionSpec, ...] | None = None) -> dialogue.Script:
    """A campaign's script in `language` (the seven questions unless others are given)."""
    return dialogue.Script(
        language=language,
        intro=INTROS[language],
        consent=CONSENTS[language],
        questions=questions if questions is not None else seven_questions(),
    )


def three_question_script(language: str) -> dialogue.Script:
    """The survey as it was before questionnaires: a 1–10 scale, a number, free text."""
    questions = (
        QuestionSpec(
            key="q1",
            type="scale",
            texts={
                "en": "How satisfied are you with our service?",
                "it": "Quanto è soddisfatto del nostro servizio?",
            },
            min_value=1,
            max_value=10,
        ),
        QuestionSpec(
            key="q2",
            type="number",
            texts={
                "en": "How many times did you call us last month?",
                "it": "Quante volte ci ha chiamato il mese scorso?",
            },
        ),
        QuestionSpec(
            key="q3",
            type="free_text",
            texts={"en": "What should we improve?", "it": "Che cosa dovremmo migliorare?"},
        ),
    )
    return script(language, questions)

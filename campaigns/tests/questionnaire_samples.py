"""A bilingual seven-question survey in the JSON shape the form and the API send (the same
survey as calls/tests/questionnaires.py's specs): q1 yes/no ("no" skips to q5), q2 a 0–10 NPS
scale, q3 a number 0–50, q4 one of three options, q5 yes/no, q6 free text, q7 a 1–5 scale."""

from __future__ import annotations

TEXTS = {
    "en": {
        "intro": "Hello, this is Acme calling about a three-minute survey. You can ask us never "
        "to call again at any time.",
        "consent": "Do you agree to take part?",
    },
    "it": {
        "intro": "Buongiorno, la chiama Acme per un sondaggio di tre minuti. Può chiederci in "
        "ogni momento di non richiamarla più.",
        "consent": "Accetta di partecipare?",
    },
}


def seven_questions() -> list[dict]:
    return [
        {
            "key": "q1",
            "type": "yes_no",
            "text": {
                "en": "Have you used our service in the last month?",
                "it": "Ha usato il nostro servizio nell'ultimo mese?",
            },
            "skip": [{"if": "equals", "value": "no", "to": "q5"}],
        },
        {
            "key": "q2",
            "type": "scale",
            "text": {
                "en": "How likely are you to recommend us to a friend?",
                "it": "Quanto è probabile che ci raccomandi a un amico?",
            },
            "min": 0,
            "max": 10,
            "nps": True,
        },
        {
            "key": "q3",
            "type": "number",
            "text": {"en": "How many times did you call us?", "it": "Quante volte ci ha chiamato?"},
            "min": 0,
            "max": 50,
        },
        {
            "key": "q4",
            "type": "single_choice",
            "text": {
                "en": "How do you prefer to be contacted?",
                "it": "Come preferisce essere contattato?",
            },
            "options": [
                {
                    "value": "phone",
                    "digit": "1",
                    "label": {"en": "Phone", "it": "Telefono"},
                    "synonyms": {"en": ["telephone", "mobile"], "it": ["cellulare"]},
                },
                {
                    "value": "email",
                    "digit": "2",
                    "label": {"en": "Email", "it": "Posta elettronica"},
                    "synonyms": {"en": ["e-mail"], "it": ["email"]},
                },
                {
                    "value": "letter",
                    "digit": "3",
                    "label": {"en": "Letter", "it": "Lettera"},
                    "synonyms": {},
                },
            ],
        },
        {
            "key": "q5",
            "type": "yes_no",
            "text": {
                "en": "Would you use our service again?",
                "it": "Userebbe di nuovo il nostro servizio?",
            },
        },
        {
            "key": "q6",
            "type": "free_text",
            "text": {"en": "What should we improve?", "it": "Che cosa dovremmo migliorare?"},
            "max_length": 200,
        },
        {
            "key": "q7",
            "type": "scale",
            "text": {
                "en": "How satisfied are you overall?",
                "it": "Quanto è soddisfatto nel complesso?",
            },
            "min": 1,
            "max": 5,
        },
    ]

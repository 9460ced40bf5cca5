"""The demo's survey and how its respondents answer: seven questions of every type, in English
and Italian, with a skip rule (docs/architecture.md §4), and the answers a plausible population
gives — shaped by the contact's attributes, so that the results pages read like a real study.

Pure: no database. `demo/builders.py` writes the campaigns' questions from `QUESTIONS` and each
completed survey's answers from `answers_draw`.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from calls.telephony.simulator import FREE_TEXT_ANSWERS

INTROS = {
    "en": (
        "Hello, this is Acme Services calling with a short survey about your recent experience. "
        "It takes about three minutes, and you can say stop at any time to opt out."
    ),
    "it": (
        "Buongiorno, la chiamiamo da Acme Servizi per un breve sondaggio sulla sua esperienza "
        "recente. Dura circa tre minuti e può dire stop in qualsiasi momento."
    ),
}
CONSENTS = {"en": "Do you agree to take part?", "it": "Accetta di partecipare?"}

# The options of q4, with how often each is chosen.
CHANNELS = (
    (
        "phone",
        "1",
        {"en": "Phone", "it": "Telefono"},
        {"en": ["telephone", "mobile"], "it": ["telefonata", "cellulare"]},
        0.38,
    ),
    (
        "email",
        "2",
        {"en": "Email", "it": "Email"},
        {"en": ["e-mail", "mail"], "it": ["posta elettronica", "mail"]},
        0.34,
    ),
    (
        "app",
        "3",
        {"en": "The app", "it": "L'app"},
        {"en": ["application", "phone app"], "it": ["applicazione"]},
        0.20,
    ),
    ("letter", "4", {"en": "Letter", "it": "Lettera"}, {"en": ["post"], "it": ["posta"]}, 0.08),
)

QUESTIONS: list[dict] = [
    {
        "key": "q1",
        "type": "yes_no",
        "text": {
            "en": "Have you contacted our customer service in the last three months?",
            "it": "Ha contattato il nostro servizio clienti negli ultimi tre mesi?",
        },
        "skip": [{"if": "equals", "value": "no", "to": "q5"}],
    },
    {
        "key": "q2",
        "type": "scale",
        "min": 0,
        "max": 10,
        "nps": True,
        "text": {
            "en": "From 0 to 10, how likely are you to recommend us to a friend?",
            "it": "Da 0 a 10, quanto è probabile che ci raccomandi a un amico?",
        },
    },
    {
        "key": "q3",
        "type": "number",
        "min": 0,
        "max": 20,
        "text": {
            "en": "How many times did you contact us in that period?",
            "it": "Quante volte ci ha contattato in quel periodo?",
        },
    },
    {
        "key": "q4",
        "type": "single_choice",
        "text": {
            "en": "How do you prefer to be contacted?",
            "it": "Come preferisce essere contattato?",
        },
        "options": [
            {"value": value, "digit": digit, "label": label, "synonyms": synonyms}
            for value, digit, label, synonyms, _share in CHANNELS
        ],
    },
    {
        "key": "q5",
        "type": "yes_no",
        "text": {
            "en": "Would you choose Acme again?",
            "it": "Sceglierebbe di nuovo Acme?",
        },
    },
    {
        "key": "q6",
        "type": "free_text",
        "max_length": 300,
        "text": {
            "en": "What is the one thing we should improve?",
            "it": "Qual è la cosa che dovremmo migliorare?",
        },
    },
    {
        "key": "q7",
        "type": "scale",
        "min": 1,
        "max": 5,
        "text": {
            "en": "From 1 to 5, how satisfied are you with your bills?",
            "it": "Da 1 a 5, quanto è soddisfatto delle sue bollette?",
        },
    },
]

# The simulated callees' own answers to an open question, so that the demo reads like them.
FREE_TEXT = FREE_TEXT_ANSWERS

# Contact attributes: the customer tier (it moves the scores), and the region, by the country
# or city the number belongs to (index of demo/builders.py's REGIONS).
TIERS = (
    ("bronze", 0.45, -1.2),
    ("silver", 0.30, 0.0),
    ("gold", 0.18, 0.8),
    ("platinum", 0.07, 1.4),
)
REGION_NAMES: tuple[tuple[str, ...], ...] = (
    (
        "Lombardia",
        "Lazio",
        "Campania",
        "Sicilia",
        "Veneto",
        "Piemonte",
        "Emilia-Romagna",
        "Puglia",
        "Toscana",
        "Liguria",
    ),
    ("London", "Manchester", "Birmingham", "Glasgow", "Leeds"),
    ("Berlin", "Hamburg", "München"),
    ("Madrid", "Barcelona", "Valencia"),
    ("New York",),
    ("Chicago",),
    ("Los Angeles",),
)
UNANSWERED_SHARE = 0.02  # asked twice, not understood: recorded unanswered


@dataclass(frozen=True)
class DrawnAnswer:
    position: int
    key: str
    type: str
    status: str  # answered | unanswered
    value: str
    raw: str
    mode: str  # speech | dtmf
    confidence: float | None
    asked: int


def attributes_draw(rng: random.Random, region_index: int) -> dict[str, str]:
    names = REGION_NAMES[region_index]
    draw, tier = rng.random(), TIERS[-1][0]
    for name, share, _shift in TIERS:
        if draw < share:
            tier = name
            break
        draw -= share
    return {"region": names[int(rng.random() * len(names))], "tier": tier}


def _tier_shift(tier: str) -> float:
    return next((shift for name, _share, shift in TIERS if name == tier), 0.0)


def answers_draw(rng: random.Random, *, language: str, tier: str) -> list[DrawnAnswer]:
    """One respondent's answers, in the order asked, following the skip rule (q1 "no" jumps
    to q5); happier in the higher tiers."""
    shift = _tier_shift(tier)
    values: dict[str, str] = {
        "q1": "yes" if rng.random() < 0.72 else "no",
        "q2": str(min(10, max(0, round(rng.gauss(7.2 + shift, 2.0))))),
        "q3": str(min(20, int(rng.expovariate(0.5)) + 1)),
        "q4": _channel(rng),
        "q5": "yes" if rng.random() < 0.70 + shift / 10 else "no",
        "q6": rng.choice(FREE_TEXT.get(language, FREE_TEXT["en"])),
        "q7": str(min(5, max(1, round(rng.gauss(3.4 + shift / 2, 1.0))))),
    }
    keys = ["q1", "q5", "q6", "q7"] if values["q1"] == "no" else [q["key"] for q in QUESTIONS]
    drawn = []
    for key in keys:
        position = int(key[1:])
        kind = QUESTIONS[position - 1]["type"]
        if rng.random() < UNANSWERED_SHARE:
            drawn.append(DrawnAnswer(position, key, kind, "unanswered", "", "", "speech", 0.3, 2))
            continue
        value = values[key]
        keyed = kind != "free_text" and rng.random() < 0.4
        confidence = 1.0 if keyed else round(0.55 + rng.random() * 0.44, 2)
        asked = 2 if rng.random() < 0.05 else 1
        drawn.append(
            DrawnAnswer(
                position,
                key,
                kind,
                "answered",
                value,
                value,
                "dtmf" if keyed else "speech",
                confidence,
                asked,
            )
        )
    return drawn


def _channel(rng: random.Random) -> str:
    draw = rng.random()
    for value, _digit, _label, _synonyms, share in CHANNELS:
        if draw < share:
            return value
        draw -= share
    return CHANNELS[-1][0]

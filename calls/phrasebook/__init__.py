"""What a call says and understands, one phrase table per language.

A language is data: its module here (en.py, it.py) fills a `Phrasebook` — the phrases that
carry an intent, number words, time words for "call me later", the prompts the system speaks
besides the campaign's own wording, and its Twilio locale — and `PHRASEBOOKS` lists it. Adding
Spanish is `es.py` plus a line below and a choice in `campaigns.models.Language`: the dialogue
and the parser (calls/dialogue.py, calls/understanding.py) read only these tables.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from calls.phrasebook import en, it


@dataclass(frozen=True)
class Phrasebook:
    code: str  # ISO 639-1, as campaigns and contacts store it
    name: str
    twilio_locale: str  # <Say language> / <Gather language>
    twilio_voice_setting: str  # the settings name of its text-to-speech voice
    # Phrases per intent (yes, no, stop, do_not_call, repeat, callback, unsure), matched as
    # whole words after `normalize` (lower case, no accents or punctuation).
    intents: dict[str, tuple[str, ...]]
    # Words that do not change what a short request means ("could you repeat that please").
    filler: frozenset[str]
    # Words that make a number approximate ("about eight"): dropped, the confidence lowered.
    approximate: frozenset[str]
    # Number words: units and teens (and their synonyms: "none", "twice", "mai"), tens, the
    # word for a hundred and the conjunction inside numbers ("a hundred and five").
    units: dict[str, int]
    tens: dict[str, int]
    hundred: str
    number_and: str
    # Languages that write 21–99 as one word (ventuno, trentotto), dropping the tens' vowel.
    compound_tens: bool
    # "Call me later": when. Day words (0 today, 1 tomorrow), parts of the day (hour), hour
    # words before a clock time ("after six", "dopo le sei"), unit words after "in" / "tra".
    days: dict[str, int]
    parts_of_day: dict[str, int]
    at_words: frozenset[str]
    in_words: frozenset[str]
    minute_words: frozenset[str]
    hour_words: frozenset[str]
    half_hour: tuple[str, ...]
    # What the system says: {name: template}; templates take str.format fields.
    prompts: dict[str, str] = field(default_factory=dict)


def _fields(table: dict[str, Any]) -> dict[str, Any]:
    """A language module's table, as Phrasebook's keyword arguments (typed loosely: each
    language file is a plain dict, checked field by field when the dataclass is built)."""
    return table


PHRASEBOOKS: dict[str, Phrasebook] = {
    book.code: book
    for book in (Phrasebook(**_fields(en.PHRASEBOOK)), Phrasebook(**_fields(it.PHRASEBOOK)))
}
LANGUAGES = tuple(PHRASEBOOKS)

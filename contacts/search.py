"""Who may search contacts for what, and how often (one place for the API and the pages).

Viewers see phone numbers masked (`+39 *** *** 4567`). A search by number that answers "1
contact" or "none" would give the number back a guess at a time, so viewers search by external
id only, and a phone-shaped search from them is refused with a message saying why. Every
search, by anyone, is counted against SEARCHES_PER_MINUTE: enumerating numbers takes many.
"""

from __future__ import annotations

import re

from django.conf import settings

from voicesurvey.ratelimit import rate_limit_hit

VIEWERS_SEARCH_BY_ID = (
    "Your role sees phone numbers masked, so it searches by external id only: "
    "a phone number cannot be searched for."
)
TOO_MANY_SEARCHES = "Too many searches: wait a minute before searching again."

# Digits with the punctuation numbers are written with, or a leading + or 00: what a person
# types when they search for a number ("+39 347 123 4567", "(212) 555-0123", "3471234567").
_PHONE_SHAPED = re.compile(r"^(?:\+|00)?[\d\s().\-/]*$")
_MIN_PHONE_DIGITS = 6


class ContactSearchRefused(Exception):
    def __init__(self, message: str, *, status: int):
        super().__init__(message)
        self.message = message
        self.status = status


def is_phone_shaped(term: str) -> bool:
    term = term.strip()
    digits = sum(c.isdigit() for c in term)
    return digits >= _MIN_PHONE_DIGITS and bool(_PHONE_SHAPED.match(term))


def contact_search_screen(*, search: str, sees_phone_numbers: bool, requester: str) -> None:
    """Count this search and say whether it may run: ContactSearchRefused (429 past the rate
    limit, 400 for a viewer's phone-shaped search) when not. An empty search is no search."""
    term = search.strip()
    if not term:
        return
    if rate_limit_hit(scope="contact_search", who=requester, limit=settings.SEARCHES_PER_MINUTE):
        raise ContactSearchRefused(TOO_MANY_SEARCHES, status=429)
    if not sees_phone_numbers and is_phone_shaped(term):
        raise ContactSearchRefused(VIEWERS_SEARCH_BY_ID, status=400)

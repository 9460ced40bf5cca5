"""Where a campaign's contact stands (the contact lifecycle, docs/architecture.md §5), and the
one definition of a *dialable* contact.

Here, in the campaigns layer below contacts, because the campaign's own rules read them:
activation needs a dialable contact, the campaign list counts contacts by state, a campaign
completes when none is left to dial. The contacts app stores them; the engine moves them.

A dialable contact is one the scheduler may take: in a dialable state (pending, or not reached
with attempts left), not flagged do-not-call, with fewer attempts than its campaign allows.
The ORM filter (`dialable_q`, and `Contact.objects.dialable()` built on it), the partial index
`contact_dialable_idx` (`DIALABLE_INDEX_CONDITION`) and the scheduler's and dashboards' raw SQL
(`DIALABLE_SQL`) are all built from `DIALABLE_STATES`; a test runs each on the same rows
(contacts/tests/test_dialable.py).
"""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class ContactState(models.TextChoices):
    PENDING = "pending", "Pending"
    IN_PROGRESS = "in_progress", "In progress"
    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Refused"
    NOT_REACHED = "not_reached", "Not reached"
    EXCLUDED = "excluded", "Excluded"


# States a contact can still be dialled from (not_reached only with attempts left).
DIALABLE_STATES = (ContactState.PENDING, ContactState.NOT_REACHED)
TERMINAL_STATES = (
    ContactState.COMPLETED,
    ContactState.REFUSED,
    ContactState.NOT_REACHED,
    ContactState.EXCLUDED,
)

# The rows of the partial index contact_dialable_idx: everything of the rule but the attempts,
# which compare with the campaign's max_attempts (an index predicate cannot join).
DIALABLE_INDEX_CONDITION = Q(state__in=DIALABLE_STATES, do_not_call=False)


def _sql_literal(value: str) -> str:
    # The states are fixed identifiers of this module (letters and underscores), never input.
    if not value.replace("_", "").isalpha():
        raise ValueError(f"not a state name: {value!r}")
    return f"'{value}'"


def dialable_sql(alias: str = "") -> str:
    """The index predicate as SQL over `contacts_contact` (columns prefixed by `alias.` when
    given). Written with the index's own literals, since PostgreSQL uses a partial index only
    for a condition it can prove implies the index's: a parameter would not do."""
    column = f"{alias}." if alias else ""
    states = ", ".join(_sql_literal(state) for state in DIALABLE_STATES)
    return f"{column}state IN ({states}) AND NOT {column}do_not_call"


DIALABLE_SQL = dialable_sql()


def dialable_q(*, prefix: str = "", max_attempts: int | F | None = None) -> Q:
    """The ORM filter of a dialable contact. `prefix` reaches contacts through a relation
    (`"contacts__"` from a campaign); `max_attempts` is the campaign's limit, a number when the
    caller knows it, else read from the contact's campaign (or, from a campaign, its own)."""
    if max_attempts is None:
        max_attempts = F("max_attempts") if prefix else F("campaign__max_attempts")
    return Q(
        **{
            f"{prefix}state__in": DIALABLE_STATES,
            f"{prefix}do_not_call": False,
            f"{prefix}attempts_count__lt": max_attempts,
        }
    )

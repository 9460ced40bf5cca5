"""Reads for exports: the rows of a campaign's CSV, and the export jobs of a campaign.

The CSV's content is defined once, here, as one query whose columns are already the text of
the file (timestamps formatted, free text neutralised), so PostgreSQL's `COPY … TO STDOUT` and
the row-by-row writer used on other databases produce the same cells (see exports/writer.py).

What each terminal state puts in the file:

| state       | outcome       | completed_at                   | q1, q2 … answers               |
|-------------|---------------|--------------------------------|--------------------------------|
| completed   | `completed`   | when the survey was completed  | the survey's answers           |
| refused     | `refused`     | empty                          | empty                          |
| not_reached | `not_reached` | empty                          | empty                          |
| excluded    | `excluded`    | empty                          | empty                          |

`outcome` is the contact's final state; `attempt_count` and `last_attempt_at` are the contact's
own counters (an excluded contact may have 0 attempts and no last attempt). Answers and
`completed_at` come from the contact's survey response whenever there is one, which in practice
is only for completed contacts.

`qN_answer` is the answer to the question at position N. The seed's 11 columns stay as they
are whatever the questionnaire; a campaign with more than three questions gets `q4_answer`,
`q5_answer` … appended (`export_columns`). A question skipped or left unanswered is an empty
cell.
"""

from __future__ import annotations

from typing import Any

from django.db.models import CharField, F, Func, QuerySet, TextField, Value
from django.db.models.expressions import Case, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Concat, Left
from django.db.models.lookups import In

from campaigns.models import Campaign, Question
from contacts.models import TERMINAL_STATES, Contact
from exports.models import ExportJob

EXPORT_COLUMNS = (
    "campaign_id",
    "contact_id",
    "external_contact_id",
    "phone_number",
    "outcome",
    "attempt_count",
    "last_attempt_at",
    "completed_at",
    "q1_answer",
    "q2_answer",
    "q3_answer",
)

# A spreadsheet reads a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


class IsoUtc(Func):
    """A timestamp as ISO 8601 text in UTC, to the second: `2026-11-22T09:30:00Z` (NULL stays
    NULL). Written per database, since SQL has no portable date formatting."""

    output_field = CharField()

    def as_postgresql(self, compiler, connection, **extra_context):
        return self.as_sql(
            compiler,
            connection,
            template=(
                "to_char(%(expressions)s AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
            **extra_context,
        )

    def as_sqlite(self, compiler, connection, **extra_context):
        # Django keeps SQLite datetimes as UTC text. `%%%%` survives both the template's and
        # the driver's %-formatting as one `%`.
        return self.as_sql(
            compiler,
            connection,
            template="strftime('%%%%Y-%%%%m-%%%%dT%%%%H:%%%%M:%%%%SZ', %(expressions)s)",
            **extra_context,
        )


def neutralised(field: str | Any) -> Case:
    """Free text (a field's name, or an expression) made safe for spreadsheets: a cell starting
    like a formula gets a leading `'`, which spreadsheets show as text and do not evaluate."""
    value = F(field) if isinstance(field, str) else field
    return Case(
        When(In(Left(value, 1), FORMULA_PREFIXES), then=Concat(Value("'"), value)),
        default=value,
        output_field=TextField(),
    )


def export_columns(*, campaign: Campaign) -> tuple[str, ...]:
    """The file's header: the seed's 11 columns, then `q4_answer` … for longer
    questionnaires."""
    count = Question.objects.filter(campaign=campaign).count()
    return EXPORT_COLUMNS + tuple(f"q{n}_answer" for n in range(4, count + 1))


def _answer(position: int) -> KeyTextTransform:
    return KeyTextTransform(f"q{position}", "survey_response__answer_values")


def export_rows(*, campaign: Campaign) -> QuerySet:
    """One tuple per contact of the campaign in a terminal state, in EXPORT_COLUMNS order, each
    cell as it goes into the file. A contact has at most one survey response (a one-to-one),
    so the outer join can neither drop nor repeat a contact. Ordered as the contacts were
    uploaded; (campaign, state) is indexed, the sort is the price of a stable order. The
    answer columns are as many as `export_columns` names."""
    answers = len(export_columns(campaign=campaign)) - len(EXPORT_COLUMNS) + 3
    # Every column is an annotation, even the plain ones, so that the SQL's column order is the
    # file's (values_list would otherwise put model fields before annotations in the SQL).
    columns = {
        "x_campaign_id": F("campaign_id"),
        "x_contact_id": F("id"),
        "x_external_contact_id": neutralised("external_contact_id"),
        "x_phone_number": F("phone_number"),
        "x_outcome": F("state"),
        "x_attempt_count": F("attempts_count"),
        "x_last_attempt_at": IsoUtc("last_attempt_at"),
        "x_completed_at": IsoUtc("survey_response__completed_at"),
        **{f"x_q{n}_answer": neutralised(_answer(n)) for n in range(1, answers + 1)},
    }
    return (
        Contact.objects.filter(campaign=campaign, state__in=TERMINAL_STATES)
        .annotate(**columns)
        .order_by("created_at", "id")
        .values_list(*columns)
    )


def export_row_count(*, campaign: Campaign) -> int:
    """How many rows the campaign's export has now (for progress bars)."""
    return Contact.objects.filter(campaign=campaign, state__in=TERMINAL_STATES).count()


def export_job_list(*, campaign: Campaign, limit: int) -> QuerySet[ExportJob]:
    """The campaign's latest export jobs, newest first, with who asked for them (one query).
    At most one job per campaign is in flight and none can be created beside it, so an
    in-flight job is always the first of this list."""
    return (
        ExportJob.objects.filter(campaign=campaign)
        .select_related("requested_by")
        .order_by("-created_at")[:limit]
    )

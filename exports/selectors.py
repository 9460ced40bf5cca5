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

The long format (`answer_export_table`) has one row per Answer row of the campaign's completed
surveys: a question a skip rule jumped over has no row, one left unanswered has its row with
status `unanswered`. Excel files (exports/xlsx.py) read the same queries with `neutralise=False`:
their cells are typed strings, which spreadsheets never run, so the `'` would only be noise.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import CharField, F, Func, QuerySet, TextField, Value
from django.db.models.expressions import Case, When
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Concat, Left
from django.db.models.lookups import In

from calls.models import Answer
from campaigns.models import Campaign, Question
from contacts.models import TERMINAL_STATES, Contact
from contacts.selectors import contact_attribute_names
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

# The long format's columns; `attr_<name>` columns, one per contact attribute name in the
# campaign (sorted), come after `phone_number`.
ANSWER_COLUMNS_BEFORE_ATTRIBUTES = (
    "campaign_id",
    "contact_id",
    "external_contact_id",
    "phone_number",
)
ANSWER_COLUMNS_AFTER_ATTRIBUTES = (
    "language",
    "attempt_number",
    "question_position",
    "question_key",
    "question_text",
    "status",
    "value",
    "raw",
    "input_mode",
    "confidence",
    "answered_at",
)
ATTRIBUTE_COLUMN_PREFIX = "attr_"

# The columns whose cells are numbers (an Excel file writes them as numbers, the rest as text).
NUMERIC_COLUMNS = frozenset({"attempt_count", "attempt_number", "question_position", "confidence"})

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


def neutralised_text(text: str) -> str:
    """`neutralised` for a value we hold in Python (a question's text)."""
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


def _plain(field: str | Any) -> F | Any:
    return F(field) if isinstance(field, str) else field


@dataclass(frozen=True)
class ExportTable:
    """A file's header and its rows: a values_list whose tuples are in `columns` order."""

    columns: tuple[str, ...]
    rows: QuerySet


def export_columns(*, campaign: Campaign) -> tuple[str, ...]:
    """The file's header: the seed's 11 columns, then `q4_answer` … for longer
    questionnaires."""
    count = Question.objects.filter(campaign=campaign).count()
    return EXPORT_COLUMNS + tuple(f"q{n}_answer" for n in range(4, count + 1))


def _answer(position: int) -> KeyTextTransform:
    return KeyTextTransform(f"q{position}", "survey_response__answer_values")


def export_rows(*, campaign: Campaign, neutralise: bool = True) -> QuerySet:
    """One tuple per contact of the campaign in a terminal state, in EXPORT_COLUMNS order, each
    cell as it goes into the file. A contact has at most one survey response (a one-to-one),
    so the outer join can neither drop nor repeat a contact. Ordered as the contacts were
    uploaded; (campaign, state) is indexed, the sort is the price of a stable order. The
    answer columns are as many as `export_columns` names. `neutralise=False` leaves free text
    as it is (Excel files)."""
    answers = len(export_columns(campaign=campaign)) - len(EXPORT_COLUMNS) + 3
    text = neutralised if neutralise else _plain
    # Every column is an annotation, even the plain ones, so that the SQL's column order is the
    # file's (values_list would otherwise put model fields before annotations in the SQL).
    columns = {
        "x_campaign_id": F("campaign_id"),
        "x_contact_id": F("id"),
        "x_external_contact_id": text("external_contact_id"),
        "x_phone_number": F("phone_number"),
        "x_outcome": F("state"),
        "x_attempt_count": F("attempts_count"),
        "x_last_attempt_at": IsoUtc("last_attempt_at"),
        "x_completed_at": IsoUtc("survey_response__completed_at"),
        **{f"x_q{n}_answer": text(_answer(n)) for n in range(1, answers + 1)},
    }
    return (
        Contact.objects.filter(campaign=campaign, state__in=TERMINAL_STATES)
        .annotate(**columns)
        .order_by("created_at", "id")
        .values_list(*columns)
    )


def _question_text(*, campaign: Campaign, neutralise: bool) -> Case:
    """The text of the answer's question in the response's language (else in the campaign's
    default language): the questionnaire is a few questions in a few languages, so it goes
    into the query as constants rather than as a join per row."""
    in_language, by_default = [], []
    for position, texts in Question.objects.filter(campaign=campaign).values_list(
        "position", "text"
    ):
        texts = texts or {}
        for language, text in sorted(texts.items()):
            in_language.append(
                When(
                    position=position,
                    response__language=language,
                    then=Value(neutralised_text(text) if neutralise else text),
                )
            )
        default = texts.get(campaign.language) or next(iter(texts.values()), "")
        by_default.append(
            When(
                position=position,
                then=Value(neutralised_text(default) if neutralise else default),
            )
        )
    return Case(*in_language, *by_default, default=Value(""), output_field=TextField())


def answer_export_table(*, campaign: Campaign, neutralise: bool = True) -> ExportTable:
    """The long format: one tuple per Answer row of the campaign's completed surveys, in the
    contacts' upload order, then by question position. `attr_<name>` cells are the contact's
    attributes (`attributes ->> 'name'`), empty when the contact has no such attribute;
    `attempt_number` is the completing call's; `answered_at` is when the survey was completed."""
    text = neutralised if neutralise else _plain
    names = contact_attribute_names(campaign)
    columns = {
        "x_campaign_id": F("response__campaign_id"),
        "x_contact_id": F("response__contact_id"),
        "x_external_contact_id": text("response__contact__external_contact_id"),
        "x_phone_number": F("response__contact__phone_number"),
        # Aliases by index: an attribute's name may hold anything, an SQL alias may not.
        **{
            f"x_attr_{index}": text(KeyTextTransform(name, "response__contact__attributes"))
            for index, name in enumerate(names)
        },
        "x_language": F("response__language"),
        "x_attempt_number": F("response__call_attempt__attempt_number"),
        "x_question_position": F("position"),
        "x_question_key": text("key"),
        "x_question_text": _question_text(campaign=campaign, neutralise=neutralise),
        "x_status": F("status"),
        "x_value": text("value"),
        "x_raw": text("raw"),
        "x_input_mode": F("mode"),
        "x_confidence": F("confidence"),
        "x_answered_at": IsoUtc("response__completed_at"),
    }
    rows = (
        _answers_exported(campaign)
        .annotate(**columns)
        .order_by("response__contact__created_at", "response__contact_id", "position")
        .values_list(*columns)
    )
    header = (
        ANSWER_COLUMNS_BEFORE_ATTRIBUTES
        + tuple(ATTRIBUTE_COLUMN_PREFIX + name for name in names)
        + ANSWER_COLUMNS_AFTER_ATTRIBUTES
    )
    return ExportTable(columns=header, rows=rows)


def _answers_exported(campaign: Campaign) -> QuerySet[Answer]:
    return Answer.objects.filter(response__campaign=campaign, response__completed_at__isnull=False)


def export_table(*, campaign: Campaign, per_answer: bool, neutralise: bool = True) -> ExportTable:
    """The file's header and rows: one row per contact in a final state (the seed's format),
    or one row per answer."""
    if per_answer:
        return answer_export_table(campaign=campaign, neutralise=neutralise)
    return ExportTable(
        columns=export_columns(campaign=campaign),
        rows=export_rows(campaign=campaign, neutralise=neutralise),
    )


def export_row_count(*, campaign: Campaign, per_answer: bool = False) -> int:
    """How many rows the campaign's export has now (progress bars, Excel's row limit)."""
    if per_answer:
        return _answers_exported(campaign).count()
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

"""The CSV import of contacts into a campaign (docs/architecture.md §6.1): the file is read by
csv_import.py, each row checked and turned into a contact, the lot written in batches (COPY on
PostgreSQL) in one transaction."""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import functools
import json
import logging
import re
import secrets
from array import array
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.db import connection, transaction
from django.db.models import CharField
from django.utils import timezone

from campaigns.lifecycle import FINAL_STATUSES
from campaigns.models import Campaign, CampaignStatus
from contacts.attributes import MAX_ATTRIBUTE_VALUE
from contacts.csv_import import (
    PHONE_ALIASES,
    CsvImportError,
    ImportReport,
    Progress,
    RowErrors,
    csv_open,
    no_rows_error,
    phone_problem,
    upload_file_name,
)
from contacts.models import Contact, ContactState, ExclusionEntry, PreferredLanguage
from contacts.phones import InvalidPhoneNumber, phone_normalize, phone_time_zone
from voicesurvey.models import User
from voicesurvey.services import audit_log_record
from voicesurvey.stats_cache import campaign_stats_invalidate

logger = logging.getLogger(__name__)

CONTACT_COLUMNS: dict[str, tuple[str, ...]] = {
    "phone_number": PHONE_ALIASES,
    "external_contact_id": ("external_id", "id", "contact_id", "customer_id", "crm_id"),
    "email": ("e_mail", "email_address", "mail"),
    "preferred_language": ("language", "lang", "locale", "lingua"),
    "has_prior_consent": ("consent", "prior_consent"),
    "do_not_call": ("dnc", "donotcall"),
}
# Spellings of yes and no (any case). Empty is no. Italian Excel writes VERO/FALSO.
TRUE_VALUES = frozenset({"1", "true", "t", "yes", "y", "si", "sì", "vero"})
FALSE_VALUES = frozenset({"", "0", "false", "f", "no", "n", "falso"})
# Language column values (any case; "en-US", "it_IT" count as their language). Empty is auto.
LANGUAGE_VALUES: dict[str, str] = {
    "": PreferredLanguage.AUTO.value,
    "auto": PreferredLanguage.AUTO.value,
    "en": PreferredLanguage.EN.value,
    "eng": PreferredLanguage.EN.value,
    "english": PreferredLanguage.EN.value,
    "inglese": PreferredLanguage.EN.value,
    "it": PreferredLanguage.IT.value,
    "ita": PreferredLanguage.IT.value,
    "italian": PreferredLanguage.IT.value,
    "italiano": PreferredLanguage.IT.value,
}


def _max_length(field_name: str) -> int:
    field = Contact._meta.get_field(field_name)
    if not isinstance(field, CharField) or field.max_length is None:
        raise TypeError(f"Contact.{field_name} has no max_length to check rows against.")
    return field.max_length


_MAX_LENGTHS = {name: _max_length(name) for name in ("external_contact_id", "email")}
IMPORT_BATCH_ROWS = 20_000  # rows per COPY (or bulk_create); progress is reported between batches


@dataclass(frozen=True)
class ContactImportReport(ImportReport):
    """What an import did. `accepted` contacts were created, `excluded` of them as excluded
    (on the exclusion list, or do_not_call); `accepted + rejected == rows`. The file's other
    columns were kept as the `attribute_columns` attributes, or ignored (`ignored_columns`)."""

    accepted: int
    excluded: int
    attribute_columns: list[str]


def contact_import(
    *, campaign: Campaign, file, actor: User | None, on_progress: Progress | None = None
) -> ContactImportReport:
    """Import a CSV file of contacts into a campaign (docs/architecture.md §6.1): every valid row
    becomes a contact (state pending, or excluded when the number is on the exclusion list or the
    row says do_not_call), every other row is reported with its line and reason. One transaction: a
    failure part-way (the database, or `on_progress` raising) leaves nothing imported.

    `file` is a binary file object (an upload, an open file); `on_progress(lines_read,
    lines_total)` is called between batches, when the database connection is free. Two
    imports into one campaign run one after the other. File-level problems, and a completed
    or cancelled campaign (before or during the import), raise CsvImportError."""
    with transaction.atomic():
        _campaign_imports_lock(campaign)
        campaign = Campaign.objects.get(pk=campaign.pk)
        _refuse_if_final(campaign.status)
        with csv_open(
            file=file,
            fields=CONTACT_COLUMNS,
            required="phone_number",
            label="phone number",
            attributes=True,
        ) as table:
            errors = RowErrors()
            accepted, excluded = _contacts_write(
                campaign=campaign,
                rows=table.rows(errors),
                errors=errors,
                columns=table.columns,
                attribute_names=table.attribute_columns,
                progress=(lambda line: on_progress(line, table.total_lines))
                if on_progress
                else None,
            )
        rows = accepted + errors.count
        if rows == 0:
            raise no_rows_error()
        # Cancelled (or completed) while the file was read: the contacts go with the rest.
        _refuse_if_final(Campaign.objects.values_list("status", flat=True).get(pk=campaign.pk))
        report = ContactImportReport(
            rows=rows,
            accepted=accepted,
            excluded=excluded,
            attribute_columns=table.attribute_columns,
            **ImportReport.read_from(table, errors),
        )
        # The dashboards count the new contacts at once, not when their cache expires.
        transaction.on_commit(functools.partial(campaign_stats_invalidate, campaign_id=campaign.pk))
        audit_log_record(
            actor=actor,
            action="contact.import",
            obj=campaign,
            details={
                "file_name": upload_file_name(file),
                "rows": rows,
                "accepted": accepted,
                "rejected": errors.count,
                "excluded": excluded,
                "encoding": table.encoding,
                "delimiter": table.delimiter_name,
            },
        )
    if on_progress:
        on_progress(table.total_lines, table.total_lines)
    logger.info(
        "contact import into campaign %s: %d rows, %d accepted (%d excluded), %d rejected",
        campaign.pk,
        rows,
        accepted,
        excluded,
        errors.count,
    )
    return report


# Imports into one campaign take turns: each checks its file against the campaign's numbers as
# they were when it started. A transaction-level advisory lock rather than the campaign's row:
# a minute-long import must not hold up pausing, editing or completing the campaign (all of
# which lock the row). On SQLite a write transaction excludes every other writer anyway.
_IMPORT_LOCK_NAMESPACE = 0x636F6E74  # the first of pg_advisory_xact_lock's two int4 keys


def _campaign_imports_lock(campaign: Campaign) -> None:
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(campaign.pk.bytes[:4], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_IMPORT_LOCK_NAMESPACE, key])


def _refuse_if_final(status: str) -> None:
    if status in FINAL_STATUSES:
        raise CsvImportError(
            f"The campaign is {CampaignStatus(status).label.lower()}: no contacts can be added "
            "to it.",
            code="campaign_final",
        )


def _phone_keys(numbers: Iterable[str]) -> array:
    """E.164 numbers as a sorted array of 64-bit integers (8 bytes each, where a set of str
    costs ~90): for membership tests by bisection."""
    keys = array("q", sorted(int(number[1:]) for number in numbers))
    return keys


def _contains(keys: array, key: int) -> bool:
    position = bisect.bisect_left(keys, key)
    return position < len(keys) and keys[position] == key


class _SequentialIds:
    """Contact ids for one import: UUIDv7 (RFC 9562) with the import's millisecond, random
    bits fixed for the import, then a counter. Increasing ids append to the primary key's index
    instead of splitting random pages of it all over, and keep an import's contacts in file
    order, which is their order everywhere ((created_at, id): the table, the export)."""

    def __init__(self, now: dt.datetime):
        millisecond = int(now.timestamp() * 1000) & ((1 << 48) - 1)
        self._base = (
            (millisecond << 80)
            | (0x7 << 76)
            | (secrets.randbits(12) << 64)
            | (0b10 << 62)
            | (secrets.randbits(18) << 44)
        )
        self._count = 0

    def __call__(self) -> str:
        self._count += 1
        return f"{self._base | self._count:032x}"


_CONTACT_COLUMNS = (
    "id",
    "campaign_id",
    "external_contact_id",
    "phone_number",
    "email",
    "preferred_language",
    "timezone",
    "has_prior_consent",
    "do_not_call",
    "state",
    "attempts_count",
    "last_outcome",
    "created_at",
    "updated_at",
    "attributes",
)
_NO_ATTRIBUTES = "{}"


class _ContactWriter:
    """Contacts out in batches: on PostgreSQL one COPY per batch, rows streamed into it as they
    are read (the server indexes them while we parse the next ones); elsewhere bulk_create.
    Rows are _CONTACT_COLUMNS as text, as COPY takes them (booleans "t"/"f"): psycopg has
    nothing left to adapt."""

    def __init__(self):
        self._postgres = connection.vendor == "postgresql"
        self._copy_stack: contextlib.ExitStack | None = None
        self._copy = None
        self._pending: list[tuple] = []

    def write(self, row: tuple) -> None:
        if not self._postgres:
            self._pending.append(row)
            return
        if self._copy is None:
            stack = contextlib.ExitStack()
            cursor = stack.enter_context(connection.cursor())
            columns = ", ".join(connection.ops.quote_name(c) for c in _CONTACT_COLUMNS)
            table = connection.ops.quote_name(Contact._meta.db_table)
            self._copy = stack.enter_context(cursor.copy(f"COPY {table} ({columns}) FROM STDIN"))
            self._copy_stack = stack
        self._copy.write_row(row)

    def flush(self) -> None:
        """End the batch: after this the connection is free for other queries."""
        if self._copy_stack is not None:
            stack, self._copy_stack, self._copy = self._copy_stack, None, None
            stack.close()
        if self._pending:
            Contact.objects.bulk_create([_contact_from_text(row) for row in self._pending])
            self._pending.clear()

    def __enter__(self) -> _ContactWriter:
        return self

    def __exit__(self, exc_type, exc, traceback) -> None:
        if exc_type is None:
            self.flush()
        elif self._copy_stack is not None:
            # psycopg ends the COPY with an error, so the server keeps none of the batch.
            stack, self._copy_stack, self._copy = self._copy_stack, None, None
            stack.__exit__(exc_type, exc, traceback)


class _Rejected(Exception):
    def __init__(self, field_name: str, code: str, reason: str):
        self.problem = (field_name, code, reason)


def _phone_checked(raw: str, region: str) -> str:
    problem = phone_problem(raw)
    if problem is not None:
        raise _Rejected("phone_number", *problem)
    try:
        return phone_normalize(raw, region=region)
    except InvalidPhoneNumber as exc:
        raise _Rejected("phone_number", "invalid_phone", str(exc)) from None


def _contact_fields(
    raw_phone: str,
    external_id: str,
    email: str,
    language: str,
    consent: str,
    dnc: str,
    columns: dict[str, str],
    region: str,
) -> tuple[str, str, bool, bool]:
    """(E.164 phone, language code, has_prior_consent, do_not_call) of a row, or _Rejected
    for its first problem, in column order."""
    phone = _phone_checked(raw_phone, region)
    if len(external_id) > _MAX_LENGTHS["external_contact_id"]:
        raise _Rejected(
            "external_contact_id",
            "too_long",
            _too_long("external id", _MAX_LENGTHS["external_contact_id"]),
        )
    if email:
        if len(email) > _MAX_LENGTHS["email"]:
            raise _Rejected("email", "too_long", _too_long("email address", _MAX_LENGTHS["email"]))
        try:
            _validate_email(email)
        except ValidationError:
            raise _Rejected("email", "invalid_email", "Not a valid email address.") from None
    lowered = language.lower()
    language_code = LANGUAGE_VALUES.get(lowered) or LANGUAGE_VALUES.get(
        lowered.replace("_", "-").split("-")[0]
    )
    if language_code is None:
        raise _Rejected(
            "preferred_language",
            "unknown_language",
            f"Unknown language {language[:20]!r}: use en, it or auto (or leave it empty).",
        )
    return (
        phone,
        language_code,
        _boolean(consent, "has_prior_consent", columns),
        _boolean(dnc, "do_not_call", columns),
    )


class _EmailValidator(EmailValidator):
    """Django's EmailValidator (the model field's rules), with its regular expressions compiled
    up front: its lazy ones cost a proxy call each per address, a million times."""

    user_regex = re.compile(EmailValidator.user_regex.pattern, EmailValidator.user_regex.flags)
    domain_regex = re.compile(
        EmailValidator.domain_regex.pattern, EmailValidator.domain_regex.flags
    )
    literal_regex = re.compile(
        EmailValidator.literal_regex.pattern, EmailValidator.literal_regex.flags
    )


_validate_email = _EmailValidator()


def _boolean(value: str, field_name: str, columns: dict[str, str]) -> bool:
    lowered = value.lower()
    if lowered in FALSE_VALUES:
        return False
    if lowered in TRUE_VALUES:
        return True
    raise _Rejected(
        field_name,
        "invalid_boolean",
        f"{columns.get(field_name, field_name)}: {value[:20]!r} is not yes or no "
        "(use true/false, yes/no or 1/0).",
    )


def _too_long(what: str, limit: int) -> str:
    return f"The {what} is too long (at most {limit} characters)."


def _contact_from_text(row: tuple[str, ...]) -> Contact:
    values: dict[str, Any] = dict(zip(_CONTACT_COLUMNS, row, strict=True))
    for name in ("has_prior_consent", "do_not_call"):
        values[name] = values[name] == "t"
    values["attempts_count"] = int(values["attempts_count"])
    values["created_at"] = values["updated_at"] = dt.datetime.fromisoformat(values["created_at"])
    values["attributes"] = json.loads(values["attributes"])
    return Contact(**values)


def _contacts_write(
    *,
    campaign: Campaign,
    rows: Iterable[tuple[int, list[str]]],
    errors: RowErrors,
    columns: dict[str, str],
    attribute_names: list[str],
    progress: Callable[[int], None] | None,
) -> tuple[int, int]:
    """The import's loop: check each row, write the good ones. Returns (accepted, excluded).
    A row's attributes are its non-empty values of the `attribute_names` columns (after the
    six fields in each row's values), cut to MAX_ATTRIBUTE_VALUE characters.

    Everything a row is checked against is in memory, so no query interrupts a batch's COPY:
    the campaign's numbers and the exclusion list as sorted integer arrays, and the numbers
    seen so far in the file as a set (~80 bytes a number: the one part that grows with the
    file)."""
    in_campaign = _phone_keys(
        Contact.objects.filter(campaign=campaign)
        .values_list("phone_number", flat=True)
        .iterator(chunk_size=20_000)
    )
    started = timezone.now()
    on_exclusion_list = _phone_keys(
        ExclusionEntry.objects.values_list("phone_number", flat=True).iterator(chunk_size=20_000)
    )
    seen: set[int] = set()
    region = settings.DEFAULT_PHONE_REGION
    created_at = started.isoformat()
    campaign_id = campaign.pk.hex
    default_zone = campaign.timezone
    next_id = _SequentialIds(started)
    read = accepted = excluded = 0
    pending, excluded_state = str(ContactState.PENDING), str(ContactState.EXCLUDED)

    # psycopg's errors from the COPY as Django's (IntegrityError…), like any other query's.
    with connection.wrap_database_errors, _ContactWriter() as writer:
        for line, (raw_phone, external_id, email, language, consent, dnc, *extra) in rows:
            read += 1
            if read % IMPORT_BATCH_ROWS == 0:
                writer.flush()
                if progress:
                    progress(line)
            try:
                phone, language_code, consent_value, dnc_value = _contact_fields(
                    raw_phone, external_id, email, language, consent, dnc, columns, region
                )
            except _Rejected as rejected:
                errors.add(line, *rejected.problem)
                continue
            key = int(phone[1:])
            if key in seen:
                errors.add(
                    line,
                    "phone_number",
                    "duplicate_in_file",
                    "This number is already on an earlier line of the file.",
                )
                continue
            if in_campaign and _contains(in_campaign, key):
                errors.add(
                    line,
                    "phone_number",
                    "already_in_campaign",
                    "This number is already in the campaign.",
                )
                continue
            seen.add(key)
            is_excluded = dnc_value or (
                bool(on_exclusion_list) and _contains(on_exclusion_list, key)
            )
            excluded += is_excluded
            accepted += 1
            attributes = _NO_ATTRIBUTES
            if attribute_names:
                kept = {
                    name: value[:MAX_ATTRIBUTE_VALUE]
                    for name, value in zip(attribute_names, extra, strict=True)
                    if value
                }
                if kept:
                    attributes = json.dumps(kept, ensure_ascii=False)
            writer.write(
                (
                    next_id(),
                    campaign_id,
                    external_id,
                    phone,
                    email,
                    language_code,
                    phone_time_zone(phone, default=default_zone),
                    "t" if consent_value else "f",
                    "t" if dnc_value else "f",
                    excluded_state if is_excluded else pending,
                    "0",
                    "",
                    created_at,
                    created_at,
                    attributes,
                )
            )

    # Numbers put on the exclusion list while this import ran (its contacts were invisible to
    # exclusion_add until now). The scheduler checks the list again at dial time anyway.
    if accepted:
        excluded += Contact.objects.filter(
            campaign=campaign,
            state=ContactState.PENDING,
            created_at__gte=started,
            phone_number__in=ExclusionEntry.objects.filter(
                created_at__gte=started - dt.timedelta(minutes=5)
            ).values("phone_number"),
        ).update(state=ContactState.EXCLUDED)
    return accepted, excluded

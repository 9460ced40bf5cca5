"""Writes to the exclusion list: adding, importing and removing numbers, and excluding the
contacts that could still be dialled with them, in every campaign."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.models import Campaign
from contacts.csv_import import (
    PHONE_ALIASES,
    ImportReport,
    Progress,
    RowErrors,
    csv_open,
    no_rows_error,
    phone_problem,
    upload_file_name,
)
from contacts.models import Contact, ContactState, ExclusionEntry, ExclusionSource
from contacts.phones import InvalidPhoneNumber, phone_normalize
from voicesurvey.models import User
from voicesurvey.permissions import mask_phone_number
from voicesurvey.services import audit_log_record

logger = logging.getLogger(__name__)

EXCLUSION_COLUMNS: dict[str, tuple[str, ...]] = {
    "phone_number": PHONE_ALIASES,
    "reason": ("note", "notes", "comment", "motivo"),
}
_REASON_MAX_LENGTH = ExclusionEntry._meta.get_field("reason").max_length
_DETAIL_MAX_LENGTH = ExclusionEntry._meta.get_field("source_detail").max_length
EXCLUSION_BATCH_ROWS = 1000  # also bounds the parameters of its IN (…) lookups on SQLite


def contacts_exclude_numbers(*, phone_numbers: list[str]) -> int:
    """Turn every contact with one of these (E.164) numbers that can still be dialled into
    `excluded`, in every campaign, in one UPDATE. Returns how many changed."""
    dialable = Contact.objects.dialable().filter(phone_number__in=phone_numbers)
    return Contact.objects.filter(pk__in=dialable.values("pk")).update(
        state=ContactState.EXCLUDED, next_attempt_at=None
    )


@transaction.atomic
def exclusion_add(
    *,
    phone_number: str,
    reason: str = "",
    source: str = ExclusionSource.MANUAL,
    actor: User | None = None,
    campaign: Campaign | None = None,
    call_attempt_id: uuid.UUID | None = None,
    source_detail: str = "",
) -> tuple[ExclusionEntry, bool, int]:
    """Put a number on the exclusion list (idempotent) and exclude the contacts that could still
    be dialled with it. Returns (entry, created, contacts excluded). A number that does not
    parse is a ValidationError on `phone_number`. The entry records where it came from: the
    actor (a person), the campaign and call (a callee's "do not call me"), `source_detail`."""
    try:
        e164 = phone_normalize(phone_number)
    except InvalidPhoneNumber as exc:
        raise ValidationError({"phone_number": str(exc)}) from exc
    added_by = actor if actor is not None and actor.is_authenticated else None
    entry, created = ExclusionEntry.objects.get_or_create(
        phone_number=e164,
        defaults={
            "reason": reason[:255],
            "source": source,
            "added_by": added_by,
            "campaign": campaign,
            "call_attempt_id": call_attempt_id,
            "source_detail": source_detail[:_DETAIL_MAX_LENGTH],
        },
    )
    excluded = contacts_exclude_numbers(phone_numbers=[e164])
    if created:
        audit_log_record(
            actor=actor,
            action="exclusion.add",
            obj=entry,
            details={"source": source, "contacts_excluded": excluded},
        )
    return entry, created, excluded


@transaction.atomic
def exclusion_remove(*, entry: ExclusionEntry, actor: User | None) -> None:
    """Take a number off the exclusion list (admins only: the interfaces check). Contacts it
    excluded stay excluded: nothing records whether the list, a do-not-call flag or the callee
    excluded them, and un-excluding someone who asked not to be called is worse than not
    calling someone who may now be called. Imports from now on will not exclude the number."""
    audit_log_record(
        actor=actor,
        action="exclusion.remove",
        obj=entry,
        details={
            "phone_number": mask_phone_number(entry.phone_number),
            "source": entry.source,
            "reason": entry.reason,
        },
    )
    entry.delete()


@dataclass(frozen=True)
class ExclusionImportReport(ImportReport):
    added: int  # numbers put on the list
    already_listed: int  # on the list before, or earlier in this file
    contacts_excluded: int  # contacts that could still be dialled, now excluded


def exclusion_import(
    *,
    file,
    actor: User | None,
    source: str = ExclusionSource.IMPORT,
    on_progress: Progress | None = None,
) -> ExclusionImportReport:
    """Add every number of a CSV file (a phone column, optionally a reason) to the exclusion
    list and exclude the contacts that could still be dialled with them, in every campaign.
    Rows whose number does not parse are rejected and reported; the rest is added, all in one
    transaction. A reason longer than the column is cut (the number matters, not the note).
    File-level problems raise CsvImportError."""
    errors = RowErrors()
    rows = added = already_listed = contacts_excluded = 0
    batch: dict[str, str] = {}  # E.164 → reason, in file order
    added_by = actor if actor is not None and actor.is_authenticated else None
    file_name = (upload_file_name(file) or "CSV import")[:_DETAIL_MAX_LENGTH]

    def flush() -> None:
        nonlocal added, already_listed, contacts_excluded
        if not batch:
            return
        listed = set(
            ExclusionEntry.objects.filter(phone_number__in=list(batch)).values_list(
                "phone_number", flat=True
            )
        )
        new = [
            ExclusionEntry(
                phone_number=number,
                reason=reason,
                source=source,
                added_by=added_by,
                source_detail=file_name,
            )
            for number, reason in batch.items()
            if number not in listed
        ]
        # A number added by someone else since the query above is simply already listed.
        ExclusionEntry.objects.bulk_create(new, ignore_conflicts=True)
        added += len(new)
        already_listed += len(listed)
        contacts_excluded += contacts_exclude_numbers(phone_numbers=list(batch))
        batch.clear()

    with (
        transaction.atomic(),
        csv_open(
            file=file, fields=EXCLUSION_COLUMNS, required="phone_number", label="phone number"
        ) as table,
    ):
        for line, (raw_phone, reason) in table.rows(errors):
            problem = phone_problem(raw_phone)
            if problem is None:
                try:
                    e164 = phone_normalize(raw_phone)
                except InvalidPhoneNumber as exc:
                    problem = ("invalid_phone", str(exc))
            if problem is not None:
                errors.add(line, "phone_number", *problem)
                continue
            rows += 1
            if e164 in batch:
                already_listed += 1
                continue
            batch[e164] = reason[:_REASON_MAX_LENGTH]
            if len(batch) >= EXCLUSION_BATCH_ROWS:
                flush()
                if on_progress:
                    on_progress(line, table.total_lines)
        flush()
        # Rejected rows count as read, those the reader rejected (unclosed_quote, too_long)
        # among them.
        rows += errors.count
        if rows == 0:
            raise no_rows_error()
        report = ExclusionImportReport(
            rows=rows,
            added=added,
            already_listed=already_listed,
            contacts_excluded=contacts_excluded,
            **ImportReport.read_from(table, errors),
        )
        audit_log_record(
            actor=actor,
            action="exclusion.import",
            object_type="contacts.exclusionentry",
            details={
                "file_name": upload_file_name(file),
                "rows": rows,
                "added": added,
                "already_listed": already_listed,
                "rejected": errors.count,
                "contacts_excluded": contacts_excluded,
            },
        )
    if on_progress:
        on_progress(table.total_lines, table.total_lines)
    logger.info(
        "exclusion import: %d rows, %d added, %d already listed, %d rejected, %d contacts excluded",
        rows,
        added,
        already_listed,
        errors.count,
        contacts_excluded,
    )
    return report

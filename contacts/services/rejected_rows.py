"""The rejected rows of a CSV upload, kept for a day so that whoever uploaded the file can
download them (their original columns and an `error` column), fix them and upload them again
(issue 15 item 9)."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid

from django.utils import timezone

from campaigns.models import Campaign
from contacts.csv_import import ImportReport
from contacts.models import RejectedRows
from contacts.phones import InvalidPhoneNumber, phone_normalize
from voicesurvey.models import User

REJECTED_ROWS_KEEP_HOURS = 24
ERROR_COLUMN = "error"


def rejected_rows_keep(
    *, report: ImportReport, actor: User | None, campaign: Campaign | None, file_name: str = ""
) -> RejectedRows | None:
    """Keep the report's rejected rows for the uploader to download (None when there are none,
    or no signed-in uploader to give them to). Deletes the kept rows that have expired."""
    RejectedRows.objects.filter(
        created_at__lt=timezone.now() - dt.timedelta(hours=REJECTED_ROWS_KEEP_HOURS)
    ).delete()
    if not report.rejected_rows or actor is None or not actor.is_authenticated:
        return None
    return RejectedRows.objects.create(
        created_by=actor,
        campaign=campaign,
        file_name=file_name[:255],
        header=report.header,
        rows=[[row.line, row.cells, row.reason] for row in report.rejected_rows],
        complete=report.rejected_rows_complete,
    )


def rejected_rows_get(*, rejected_id: uuid.UUID, user: User) -> RejectedRows | None:
    """The kept rows, for the user who uploaded them only, while they are kept; else None."""
    return RejectedRows.objects.filter(
        pk=rejected_id,
        created_by=user,
        created_at__gte=timezone.now() - dt.timedelta(hours=REJECTED_ROWS_KEEP_HOURS),
    ).first()


def rejected_rows_csv(rejected: RejectedRows) -> bytes:
    """The rows as a CSV (UTF-8 with a BOM, for spreadsheets): the file's header and an
    `error` column (with the line it had), then each row's cells as read. A row that could not
    be read as cells (an unclosed quote) has only its error. Remove the error column before
    uploading again, or it is kept as an attribute."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    width = len(rejected.header)
    writer.writerow([*rejected.header, ERROR_COLUMN])
    for line, cells, reason in rejected.rows:
        padded = (list(cells) + [""] * width)[:width]
        writer.writerow([*padded, f"Line {line}: {reason}"])
    if not rejected.complete:
        writer.writerow([""] * width + ["More rows were rejected than this file keeps."])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def rejected_rows_file_name(rejected: RejectedRows) -> str:
    base = (rejected.file_name or "upload.csv").rsplit(".", 1)[0] or "upload"
    safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in base)[:80]
    return f"{safe}-rejected.csv"


def _is_number(cell: str, e164: str) -> bool:
    digits = sum(ch.isdigit() for ch in cell)
    if digits < 6 or cell.strip() == "":
        return False
    try:
        return phone_normalize(cell) == e164
    except InvalidPhoneNumber:
        return False


def rejected_rows_forget(*, e164: str) -> int:
    """Drop every kept rejected row holding this number (in any cell), for the erasure of a
    number (calls/erasure.py). Returns how many rows were dropped."""
    dropped = 0
    for rejected in RejectedRows.objects.all().iterator(chunk_size=50):
        kept = [row for row in rejected.rows if not any(_is_number(c, e164) for c in row[1])]
        if len(kept) != len(rejected.rows):
            dropped += len(rejected.rows) - len(kept)
            RejectedRows.objects.filter(pk=rejected.pk).update(rows=kept)
    return dropped

"""The Excel writer: a campaign's export rows (exports.selectors.export_table) as an .xlsx
workbook of one sheet, never the whole campaign in memory.

XlsxWriter's constant_memory mode writes each row to a temporary file as soon as the next one
starts, so memory stays flat however many rows come (rows must come in order, which a query's
do). Every cell is written as what it is: numbers (attempts, positions, confidence) as numbers,
everything else with write_string, and the workbook's own conversions (strings to formulas,
URLs or numbers) are off, so a cell reading `=1+1` is text that no spreadsheet runs. The
workbook is finished in a temporary folder (a zip is written once its parts are complete),
then copied to `out` in chunks, as the CSV writer hands its bytes over.

Excel holds at most EXCEL_MAX_ROWS rows, the header included: a larger export is refused
before anything is written (`excel_row_limit_problem`), and if rows arrive faster than the
count said, the writer stops rather than drop them.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import xlsxwriter
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from exports.selectors import NUMERIC_COLUMNS, ExportTable, export_table
from exports.writer import CHUNK_BYTES, ByteSink, Progress

# Rows in one Excel worksheet, the header row included (Excel's own limit).
EXCEL_MAX_ROWS = 1_048_576
_ITERATOR_CHUNK_ROWS = 2000
_PROGRESS_ROWS = 10_000


def excel_row_limit_problem(rows: int) -> str | None:
    """Why `rows` data rows cannot be an Excel file, or None when they fit under a header."""
    if rows <= EXCEL_MAX_ROWS - 1:
        return None
    return f"{rows:,} rows: more than Excel's {EXCEL_MAX_ROWS:,} — export as CSV instead."


def export_xlsx_write(
    *,
    campaign: Campaign,
    out: ByteSink,
    progress: Progress | None = None,
    per_answer: bool = False,
) -> int:
    """Write the campaign's export (one row per contact in a final state, or with `per_answer`
    one per answer) to `out` as an Excel workbook. `progress(n)` hears of every n rows.
    Returns the number of rows (the header not counted)."""
    table = export_table(campaign=campaign, per_answer=per_answer, neutralise=False)
    with tempfile.TemporaryDirectory(prefix="export-xlsx-") as folder:
        path = Path(folder) / "export.xlsx"
        rows = _workbook_write(table, path=path, folder=folder, progress=progress)
        with path.open("rb") as workbook:
            while data := workbook.read(CHUNK_BYTES):
                out.write(data)
    return rows


def _workbook_write(
    table: ExportTable, *, path: Path, folder: str, progress: Progress | None
) -> int:
    workbook = xlsxwriter.Workbook(
        str(path),
        {
            "constant_memory": True,
            "tmpdir": folder,
            "strings_to_formulas": False,
            "strings_to_urls": False,
            "strings_to_numbers": False,
        },
    )
    try:
        sheet = workbook.add_worksheet("Export")
        bold = workbook.add_format({"bold": True})
        for column, name in enumerate(table.columns):
            sheet.write_string(0, column, name, bold)
        numeric = {i for i, name in enumerate(table.columns) if name in NUMERIC_COLUMNS}
        write_number, write_string = sheet.write_number, sheet.write_string
        last_row = EXCEL_MAX_ROWS - 1  # 0-based, the header is row 0
        row_number = 0
        for row_number, row in enumerate(
            table.rows.iterator(chunk_size=_ITERATOR_CHUNK_ROWS), start=1
        ):
            if row_number > last_row:
                # Rows were added since the count (calls still going on): stop, rather than
                # hand over a file that silently lacks some.
                raise ValidationError(
                    {"format": excel_row_limit_problem(row_number) or ""}, code="excel_rows"
                )
            for column, value in enumerate(row):
                if value is None:
                    continue
                if column in numeric:
                    write_number(row_number, column, value)
                else:
                    write_string(row_number, column, str(value))
            if progress and row_number % _PROGRESS_ROWS == 0:
                progress(_PROGRESS_ROWS)
        if progress and row_number % _PROGRESS_ROWS:
            progress(row_number % _PROGRESS_ROWS)
    finally:
        workbook.close()
    return row_number

"""How the import commands print what every CSV import report has in common (import_contacts,
import_exclusions): how the file was read, the columns kept as attributes and those ignored, the
first rejected rows."""

from __future__ import annotations

from contacts.csv_import import ImportReport
from contacts.services.imports import ContactImportReport


def import_report_lines(report: ImportReport, summary: str, limit: int) -> list[str]:
    """The command's own `summary` line with how the file was read, then the columns ignored
    and the first `limit` rejected rows, one line each, with how many more there are."""
    lines = [f"{summary} Read as {report.encoding}, {report.delimiter}-separated."]
    if isinstance(report, ContactImportReport) and report.attribute_columns:
        lines.append(f"Kept as attributes: {', '.join(report.attribute_columns)}.")
    if report.ignored_columns:
        lines.append(f"Columns ignored: {', '.join(report.ignored_columns)}.")
        lines += [f"  {column}: {why}" for column, why in report.ignored_column_reasons.items()]
    lines += [
        f"  line {error.line}: {error.field + ': ' if error.field else ''}{error.reason}"
        for error in report.errors[:limit]
    ]
    more = report.rejected - min(len(report.errors), limit)
    if more:
        lines.append(f"  … and {more} more rejected row{'' if more == 1 else 's'}.")
    return lines

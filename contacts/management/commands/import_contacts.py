from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from contacts.csv_import import CsvImportError
from contacts.services import contact_import

# The export command's: a campaign by id or unique name, and tqdm's output on stderr.
from exports.management.commands.export_campaign import _BarOutput, campaign_lookup


def row_errors_lines(report, limit: int) -> list[str]:
    """The first `limit` rejected rows of an import report, one line each, and how many more."""
    lines = [
        f"  line {error.line}: {error.field + ': ' if error.field else ''}{error.reason}"
        for error in report.errors[:limit]
    ]
    more = report.rejected - len(lines)
    if more:
        lines.append(f"  … and {more} more rejected row{'' if more == 1 else 's'}.")
    return lines


class ProgressBar:
    """A tqdm bar over the file's lines, fed by an import's on_progress(done, total)."""

    def __init__(self, command: BaseCommand, verbosity: int):
        self.bar = tqdm(
            unit=" lines",
            # -v0: never; -v1: on a terminal (tqdm's None); -v2 and up: always, e.g. into a log.
            disable={0: True, 1: None}.get(verbosity, False),
            file=_BarOutput(command.stderr),
        )

    def __call__(self, done: int, total: int) -> None:
        if self.bar.total != total:
            self.bar.total = total
        self.bar.update(done - self.bar.n)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc) -> None:
        self.bar.close()


class Command(BaseCommand):
    help = (
        "Import a CSV file of contacts into a campaign: the same import as the campaign page's "
        "upload and POST /api/campaigns/{id}/contacts/upload (one transaction: all valid rows, "
        "or nothing if it fails part-way). Rejected rows are listed with their line and reason."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="campaign id, or its exact name if unique")
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument(
            "--show-errors",
            type=int,
            default=20,
            metavar="N",
            help="list the first N rejected rows (default 20; the report keeps 1,000)",
        )

    def handle(self, *args, campaign, file, show_errors, verbosity, **options):
        campaign = campaign_lookup(campaign)
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            with file.open("rb") as opened, ProgressBar(self, verbosity) as progress:
                report = contact_import(
                    campaign=campaign, file=opened, actor=None, on_progress=progress
                )
        except CsvImportError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from exc
        except OSError as exc:
            raise CommandError(f"Could not read {file}: {exc}") from exc
        excluded = (
            f" ({report.excluded} of them excluded: on the exclusion list or do-not-call)"
            if report.excluded
            else ""
        )
        self.stdout.write(
            f"Imported {report.accepted} contact{'' if report.accepted == 1 else 's'} into "
            f"{campaign.name!r}{excluded} from {report.rows} rows; {report.rejected} rejected. "
            f"Read as {report.encoding}, {report.delimiter}-separated."
        )
        if report.ignored_columns:
            self.stdout.write(f"Columns ignored: {', '.join(report.ignored_columns)}.")
        for line in row_errors_lines(report, show_errors):
            self.stdout.write(line)

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from contacts.csv_import import CsvImportError
from contacts.management.report_lines import import_report_lines
from contacts.services.exclusions import exclusion_import
from voicesurvey.cli import ProgressBar


class Command(BaseCommand):
    help = (
        "Import a CSV file of numbers (a phone column, optionally a reason) into the exclusion "
        "list, and exclude the contacts that could still be called with them, in every "
        "campaign: the same import as the exclusion list page and POST /api/exclusions/import."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", type=Path, help="the CSV file")
        parser.add_argument(
            "--show-errors",
            type=int,
            default=20,
            metavar="N",
            help="list the first N rejected rows (default 20; the report keeps 1,000)",
        )

    def handle(self, *args, file, show_errors, verbosity, **options):
        if not file.is_file():
            raise CommandError(f"No such file: {file}")
        try:
            with file.open("rb") as opened, ProgressBar(self, verbosity) as progress:
                report = exclusion_import(file=opened, actor=None, on_progress=progress)
        except CsvImportError as exc:
            raise CommandError(f"Nothing was imported: {exc.message}") from exc
        except OSError as exc:
            raise CommandError(f"Could not read {file}: {exc}") from exc
        summary = (
            f"Added {report.added} number{'' if report.added == 1 else 's'} to the exclusion "
            f"list from {report.rows} rows; {report.already_listed} already listed, "
            f"{report.rejected} rejected. {report.contacts_excluded} contact"
            f"{'' if report.contacts_excluded == 1 else 's'} will not be called."
        )
        for line in import_report_lines(report, summary, show_errors):
            self.stdout.write(line)

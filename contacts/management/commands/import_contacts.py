from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from contacts.csv_import import CsvImportError
from contacts.management.report_lines import import_report_lines
from contacts.services.imports import contact_import
from voicesurvey.cli import ProgressBar, lookup_by_id_or_name


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
        campaign = lookup_by_id_or_name(Campaign.objects.all(), campaign, noun="campaign")
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
        summary = (
            f"Imported {report.accepted} contact{'' if report.accepted == 1 else 's'} into "
            f"{campaign.name!r}{excluded} from {report.rows} rows; {report.rejected} rejected."
        )
        for line in import_report_lines(report, summary, show_errors):
            self.stdout.write(line)

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from exports.models import ExportFormat, ExportStatus
from exports.selectors import export_row_count
from exports.services import export_generate, export_start, export_write_file
from exports.storage import storage_is_local
from voicesurvey.cli import lookup_by_id_or_name, progress_bar


class Command(BaseCommand):
    help = (
        "Export a campaign's results: its contacts in a final state (csv, xlsx) or its answers "
        "(long, long_xlsx). With --output, to that file; without, as an export job in the "
        "configured storage (local folder or S3), which then appears on the campaign page and "
        "in the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="campaign id, or its exact name if unique")
        parser.add_argument("--output", type=Path, help="write the file here")
        parser.add_argument(
            "--format",
            dest="export_format",
            choices=ExportFormat.values,
            default=ExportFormat.CSV.value,
            help="csv (default): one row per contact; long: one row per answer; xlsx, "
            "long_xlsx: the same as Excel workbooks",
        )

    def handle(self, *args, campaign, output, export_format, verbosity, **options):
        campaign = lookup_by_id_or_name(Campaign.objects.all(), campaign, noun="campaign")
        export_format = ExportFormat(export_format)
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"The folder of --output does not exist: {output.parent}")
        rows = "answers" if export_format.per_answer else "contacts"

        total_rows = export_row_count(campaign=campaign, per_answer=export_format.per_answer)
        with progress_bar(self, verbosity, total=total_rows, unit=" rows") as bar:
            try:
                if output is not None:
                    total = self._write_file(campaign, output, export_format, bar.update)
                else:
                    job = self._generate(campaign, export_format, bar.update)
            except ValidationError as exc:  # an Excel file with more rows than Excel holds
                raise CommandError(" ".join(exc.messages)) from exc

        if output is not None:
            self.stdout.write(f"Exported {total} {rows} of {campaign.name!r} to {output}.")
            return
        if job.status != ExportStatus.COMPLETED:
            raise CommandError(f"Export {job.pk} failed: {job.error_message}")
        where = default_storage.path(job.file_key) if storage_is_local() else job.file_key
        self.stdout.write(
            f"Exported {job.total_records} {rows} of {campaign.name!r} as export {job.pk}: {where}"
        )

    def _write_file(self, campaign, output, export_format, progress) -> int:
        try:
            return export_write_file(
                campaign=campaign, path=output, export_format=export_format, progress=progress
            )
        except OSError as exc:
            raise CommandError(f"Could not write {output}: {exc}") from exc

    def _generate(self, campaign, export_format, progress):
        job, created = export_start(
            campaign=campaign, actor=None, export_format=export_format, enqueue=False
        )
        if not created:
            raise CommandError(
                f"An export of this campaign is already {job.status} (job {job.pk}); "
                "wait for it, or use --output."
            )
        return export_generate(job=job, progress=progress)

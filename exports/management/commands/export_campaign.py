from __future__ import annotations

from pathlib import Path

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from campaigns.models import Campaign
from exports.models import ExportStatus
from exports.selectors import export_row_count
from exports.services import export_generate, export_start, export_write_file
from exports.storage import storage_is_local
from voicesurvey.cli import lookup_by_id_or_name, progress_bar


class Command(BaseCommand):
    help = (
        "Export a campaign's contacts in a final state to CSV. With --output, to that file; "
        "without, as an export job in the configured storage (local folder or S3), which "
        "then appears on the campaign page and in the API."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="campaign id, or its exact name if unique")
        parser.add_argument("--output", type=Path, help="write the CSV to this file")

    def handle(self, *args, campaign, output, verbosity, **options):
        campaign = lookup_by_id_or_name(Campaign.objects.all(), campaign, noun="campaign")
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"The folder of --output does not exist: {output.parent}")

        with progress_bar(
            self, verbosity, total=export_row_count(campaign=campaign), unit=" rows"
        ) as bar:
            if output is not None:
                try:
                    total = export_write_file(campaign=campaign, path=output, progress=bar.update)
                except OSError as exc:
                    raise CommandError(f"Could not write {output}: {exc}") from exc
            else:
                job, created = export_start(campaign=campaign, actor=None, enqueue=False)
                if not created:
                    raise CommandError(
                        f"An export of this campaign is already {job.status} (job {job.pk}); "
                        "wait for it, or use --output."
                    )
                job = export_generate(job=job, progress=bar.update)

        if output is not None:
            self.stdout.write(f"Exported {total} contacts of {campaign.name!r} to {output}.")
            return
        if job.status != ExportStatus.COMPLETED:
            raise CommandError(f"Export {job.pk} failed: {job.error_message}")
        where = default_storage.path(job.file_key) if storage_is_local() else job.file_key
        self.stdout.write(
            f"Exported {job.total_records} contacts of {campaign.name!r} as export {job.pk}: "
            f"{where}"
        )

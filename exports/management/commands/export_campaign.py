from __future__ import annotations

import uuid
from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from campaigns.models import Campaign
from exports.models import ExportStatus
from exports.selectors import export_row_count
from exports.services import export_generate, export_start, export_write_file
from exports.storage import storage_is_local


def campaign_lookup(value: str) -> Campaign:
    """A campaign by id, or by its exact name when only one campaign has it."""
    try:
        return Campaign.objects.get(pk=uuid.UUID(value))
    except (ValueError, ValidationError):
        pass  # not an id: try the name
    except Campaign.DoesNotExist as exc:
        raise CommandError(f"No campaign has the id {value}.") from exc
    matches = list(Campaign.objects.filter(name=value).values_list("pk", flat=True)[:10])
    if not matches:
        raise CommandError(f"No campaign has the id or name {value!r}.")
    if len(matches) > 1:
        ids = ", ".join(str(pk) for pk in matches)
        raise CommandError(f"Several campaigns are named {value!r}; give one of their ids: {ids}")
    return Campaign.objects.get(pk=matches[0])


class _BarOutput:
    """tqdm's writes, passed to a command's stderr without the newline OutputWrapper adds."""

    def __init__(self, wrapper):
        self._wrapper = wrapper

    def write(self, text: str) -> None:
        self._wrapper.write(text, ending="")

    def flush(self) -> None:
        self._wrapper.flush()

    def isatty(self) -> bool:
        return self._wrapper.isatty()


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
        campaign = campaign_lookup(campaign)
        if output is not None and not output.parent.is_dir():
            raise CommandError(f"The folder of --output does not exist: {output.parent}")

        with tqdm(
            total=export_row_count(campaign=campaign),
            unit=" rows",
            # -v0: never; -v1: on a terminal (tqdm's None); -v2 and up: always, e.g. into a log.
            disable={0: True, 1: None}.get(verbosity, False),
            file=_BarOutput(self.stderr),
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

"""django-q entry points for exports: they take ids and call one service each."""

from __future__ import annotations

from exports.models import ExportJob
from exports.services import export_expire_old, export_generate, export_reap_stale


def export_generate_task(job_id: str) -> None:
    job = ExportJob.objects.select_related("campaign").filter(pk=job_id).first()
    if job is None:
        return  # deleted with its campaign since it was queued
    export_generate(job=job)


def export_reap_stale_task() -> None:
    """Periodic (every minute): re-queue or fail jobs that no worker is looking after."""
    export_reap_stale()


def export_expire_old_task() -> None:
    """Periodic (hourly): delete export files past EXPORT_RETENTION_DAYS, expire their jobs."""
    export_expire_old()

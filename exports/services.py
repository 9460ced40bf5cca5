"""Writes for exports: start a job, generate its file, and reap jobs a dead worker left behind.

A job's life: pending (queued) → processing (a worker claimed it) → completed | failed.
At most one job per campaign is pending or processing (a partial unique constraint), whatever
its format, so two clicks, or two API clients racing, share one job. An Excel export that would
exceed Excel's row limit is refused before a job exists (and failed if it grew past it since).
Any error during generation ends the job failed with its message; a job whose worker died is
re-queued or failed by `export_reap_stale`.
A completed job's file is kept EXPORT_RETENTION_DAYS, then deleted and the job is expired
(`export_expire_old`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from campaigns.models import Campaign
from exports.models import IN_FLIGHT_EXPORT_STATUSES, ExportFormat, ExportJob, ExportStatus
from exports.selectors import export_row_count
from exports.storage import export_file_key, export_file_name
from exports.writer import ByteSink, Progress, export_csv_write
from exports.xlsx import excel_row_limit_problem, export_xlsx_write
from voicesurvey import metrics
from voicesurvey.models import User
from voicesurvey.services import audit_log_record
from voicesurvey.tracing import current_trace_id, trace_context

logger = logging.getLogger(__name__)

# An interrupted job is generated again this many times in all before it is failed.
EXPORT_MAX_ATTEMPTS = 2
# A pending job not picked up this long after it was queued is queued again (its message may
# have been lost, e.g. the broker was down when the job was created) …
EXPORT_REQUEUE_PENDING_AFTER = dt.timedelta(minutes=5)
# … and failed once it is this old, rather than waiting for ever (no task cluster running).
EXPORT_PENDING_GIVE_UP_AFTER = dt.timedelta(hours=1)
_ERROR_MESSAGE_MAX = 2000


def _processing_stale_after() -> dt.timedelta:
    """A processing job whose worker has not beaten for this long (three beats missed) has no
    worker left: it was killed, or its machine went away."""
    return dt.timedelta(seconds=3 * settings.EXPORT_HEARTBEAT_SECONDS)


def _export_enqueue(job_id) -> None:
    from django_q.tasks import async_task

    # On the bulk queue: an export may take minutes, and must never hold up the scheduler's
    # tick or reconciliation, which the default queue runs (docs/operations.md).
    async_task("exports.tasks.export_generate_task", str(job_id), cluster=settings.Q_BULK_CLUSTER)


def _export_enqueue_on_commit(job: ExportJob) -> None:
    job_id = job.pk
    # The task carries the trace of the request that asked for it, whenever the commit comes.
    trace_id = current_trace_id()

    def enqueue() -> None:
        with trace_context(trace_id):
            _export_enqueue(job_id)

    # robust: a broker outage must not turn the request that created the job into an error.
    # The job stays pending and export_reap_stale queues it again. A named function, not a
    # functools.partial: Django's robust on_commit logs a failing callback by its
    # __qualname__, which a partial lacks (the AttributeError was the request's 500).
    transaction.on_commit(enqueue, robust=True)


def _in_flight_job(campaign: Campaign) -> ExportJob | None:
    return (
        ExportJob.objects.filter(campaign=campaign, status__in=IN_FLIGHT_EXPORT_STATUSES)
        .select_related("campaign")
        .first()
    )


def _excel_row_limit_check(*, campaign: Campaign, export_format: ExportFormat) -> None:
    """Raise ValidationError (on `format`) when the export is an Excel file that would have
    more rows than Excel holds. One count: cheap beside writing the file."""
    if not export_format.is_excel:
        return
    rows = export_row_count(campaign=campaign, per_answer=export_format.per_answer)
    problem = excel_row_limit_problem(rows)
    if problem:
        raise ValidationError({"format": problem}, code="excel_rows")


def export_start(
    *,
    campaign: Campaign,
    actor: User | AnonymousUser | None,
    export_format: ExportFormat = ExportFormat.CSV,
    enqueue: bool = True,
) -> tuple[ExportJob, bool]:
    """Start exporting `campaign` in `export_format`: returns (job, created). When a job for
    the campaign is already pending or processing, that job is returned, whatever its format,
    and nothing new starts. An Excel export with more rows than Excel holds raises
    ValidationError. A new job is queued for a worker once the transaction commits (with
    `enqueue=False` the caller runs `export_generate` itself, as the export_campaign command
    does)."""
    # Two requests may both see no job in flight; the partial unique constraint lets only one
    # insert, and the loser then finds the winner's job. Looping covers the rare case where
    # that job finished in between.
    for _ in range(3):
        existing = _in_flight_job(campaign)
        if existing is not None:
            return existing, False
        _excel_row_limit_check(campaign=campaign, export_format=export_format)
        job = ExportJob(
            campaign=campaign,
            requested_by=actor if actor is not None and actor.is_authenticated else None,
            status=ExportStatus.PENDING,
            format=export_format,
            queued_at=timezone.now(),
        )
        # The one-in-flight constraint is left to the database, the only place that sees
        # concurrent inserts.
        job.full_clean(validate_constraints=False)
        try:
            with transaction.atomic():
                job.save()
        except IntegrityError:
            continue
        audit_log_record(
            actor=actor,
            action="export.start",
            obj=job,
            details={"campaign_id": str(campaign.pk), "format": job.format},
        )
        if enqueue:
            _export_enqueue_on_commit(job)
        return job, True
    raise RuntimeError(f"Could not start an export of campaign {campaign.pk}; try again.")


def _export_finish(
    job: ExportJob,
    *,
    status: ExportStatus,
    total_records: int | None = None,
    error_message: str = "",
    actor: User | None = None,
) -> ExportJob:
    job.status = status
    job.total_records = total_records
    job.error_message = error_message[:_ERROR_MESSAGE_MAX]
    job.completed_at = timezone.now()
    if status == ExportStatus.FAILED:
        job.file_key = job.file_name = ""
    job.full_clean()
    job.save(
        update_fields=[
            "status",
            "total_records",
            "error_message",
            "completed_at",
            "file_key",
            "file_name",
        ]
    )
    action = "export.complete" if status == ExportStatus.COMPLETED else "export.fail"
    details: dict[str, int | str] = {"format": job.format}
    if total_records is not None:
        details["total_records"] = total_records
    if error_message:
        details["error"] = job.error_message
    audit_log_record(actor=actor, action=action, obj=job, details=details)
    metrics.exports_total.labels(status=job.status, format=job.format).inc()
    if job.started_at is not None:
        metrics.export_duration_seconds.labels(status=job.status).observe(
            max(0.0, (job.completed_at - job.started_at).total_seconds())
        )
    # Under the trace of the request that asked for it (voicesurvey/tracing.py).
    logger.info("export %s %s: %s rows", job.pk, status, total_records)
    return job


def _delete_file_quietly(key: str) -> None:
    if not key:
        return
    try:
        default_storage.delete(key)
    except Exception:  # the job's outcome matters more than an orphan file
        logger.warning("export file %s could not be deleted", key, exc_info=True)


@contextlib.contextmanager
def _heartbeat(job: ExportJob):
    """While the block runs, a thread of its own records every EXPORT_HEARTBEAT_SECONDS that
    this worker is alive and has the job (`heartbeat_at`), whatever the block is doing: a
    PostgreSQL COPY holds the worker's connection for its whole length. A killed worker stops
    beating and the reaper re-queues its job within minutes; a live one, however slow its
    export, is left alone."""
    stop = threading.Event()
    mine = ExportJob.objects.filter(
        pk=job.pk, status=ExportStatus.PROCESSING, started_at=job.started_at
    )

    def beat() -> None:
        try:
            while not stop.wait(settings.EXPORT_HEARTBEAT_SECONDS):
                try:
                    mine.update(heartbeat_at=timezone.now())
                except Exception:  # a database blip: beat again next time
                    logger.warning("export %s: heartbeat not recorded", job.pk, exc_info=True)
        finally:
            connection.close()  # this thread's own connection

    thread = threading.Thread(target=beat, name=f"export-heartbeat-{job.pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def export_generate(*, job: ExportJob, progress: Progress | None = None) -> ExportJob:
    """Write the job's CSV to storage and complete it, or fail it with the error's message.
    Only a pending job is generated: the claim is one conditional UPDATE, so a task delivered
    twice runs once. `progress(n)` hears of every n rows written."""
    now = timezone.now()
    claimed = ExportJob.objects.filter(pk=job.pk, status=ExportStatus.PENDING).update(
        status=ExportStatus.PROCESSING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
    )
    job.refresh_from_db()
    if not claimed:
        return job
    with _heartbeat(job):
        return _export_write(job, progress=progress)


def _export_file_write(
    *, campaign: Campaign, export_format: ExportFormat, out: ByteSink, progress: Progress | None
) -> int:
    write = export_xlsx_write if export_format.is_excel else export_csv_write
    return write(campaign=campaign, out=out, progress=progress, per_answer=export_format.per_answer)


def _export_write(job: ExportJob, *, progress: Progress | None) -> ExportJob:
    export_format = job.export_format
    try:
        # Counted again: the campaign may have grown since the job was started.
        _excel_row_limit_check(campaign=job.campaign, export_format=export_format)
    except ValidationError as exc:
        return _export_finish(job, status=ExportStatus.FAILED, error_message=" ".join(exc.messages))
    try:
        # save() reserves a unique name (and creates the folders of a local storage); open()
        # then streams into it, which S3 receives as a multipart upload.
        job.file_key = default_storage.save(export_file_key(job), ContentFile(b""))
        job.file_name = export_file_name(job)
        job.save(update_fields=["file_key", "file_name"])
        with default_storage.open(job.file_key, "wb") as out:
            total = _export_file_write(
                campaign=job.campaign, export_format=export_format, out=out, progress=progress
            )
    except Exception as exc:  # whatever went wrong, the job must end failed, not processing
        logger.exception("export %s failed", job.pk)
        _delete_file_quietly(job.file_key)
        message = (
            " ".join(exc.messages)
            if isinstance(exc, ValidationError)
            else f"{type(exc).__name__}: {exc}"
        )
        return _export_finish(job, status=ExportStatus.FAILED, error_message=message)
    return _export_finish(job, status=ExportStatus.COMPLETED, total_records=total)


def export_write_file(
    *,
    campaign: Campaign,
    path: Path,
    export_format: ExportFormat = ExportFormat.CSV,
    actor: User | None = None,
    progress: Progress | None = None,
) -> int:
    """Write the campaign's export straight to a file (the export_campaign command's
    --output), without a job or storage. The file appears complete or not at all: it is
    written beside its final name and renamed at the end. Returns the number of rows. An
    Excel export with more rows than Excel holds raises ValidationError before writing."""
    _excel_row_limit_check(campaign=campaign, export_format=export_format)
    partial = path.with_name(f".{path.name}.partial")
    try:
        with partial.open("wb") as out:
            total = _export_file_write(
                campaign=campaign, export_format=export_format, out=out, progress=progress
            )
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    audit_log_record(
        actor=actor,
        action="export.file",
        obj=campaign,
        details={"total_records": total, "file": path.name, "format": export_format.value},
    )
    return total


@dataclass
class ReapResult:
    requeued: int = 0
    failed: int = 0


def _reap_fail(job: ExportJob, unchanged: QuerySet[ExportJob], message: str) -> bool:
    """Fail `job` if it is still as the reaper read it (`unchanged` finds it then)."""
    if not unchanged.select_for_update().exists():
        return False
    partial_key = job.file_key  # _export_finish clears it
    _export_finish(job, status=ExportStatus.FAILED, error_message=message)
    transaction.on_commit(functools.partial(_delete_file_quietly, partial_key))
    return True


def export_reap_stale(*, now: dt.datetime | None = None) -> ReapResult:
    """Settle jobs no worker is looking after (run periodically by export_reap_stale_task):

    - processing, and its worker has not beaten for three EXPORT_HEARTBEAT_SECONDS: the worker
      was killed. Back to pending and queued again, or failed once it has been tried
      EXPORT_MAX_ATTEMPTS times. With the reaper running every minute, a job a killed worker
      left is queued again within two minutes;
    - pending and queued more than EXPORT_REQUEUE_PENDING_AFTER ago: queued again, or failed
      once the job is older than EXPORT_PENDING_GIVE_UP_AFTER.

    Each change is conditional on the job being as it was read, so a job that a worker
    finishes meanwhile is left alone.
    """
    now = now or timezone.now()
    result = ReapResult()
    silent_since = now - _processing_stale_after()
    stale_processing = ExportJob.objects.filter(
        # (Jobs claimed before heartbeats existed have none: their start counts.)
        Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at=None, started_at__lt=silent_since),
        status=ExportStatus.PROCESSING,
    )
    for job in stale_processing.select_related("campaign"):
        # A beat since the read means the worker lives: then this changes nothing.
        unchanged = ExportJob.objects.filter(
            pk=job.pk,
            status=ExportStatus.PROCESSING,
            started_at=job.started_at,
            heartbeat_at=job.heartbeat_at,
        )
        with transaction.atomic():
            if job.attempts >= EXPORT_MAX_ATTEMPTS:
                message = (
                    f"The export was interrupted {job.attempts} times (its worker stopped "
                    "before finishing). Start a new export."
                )
                if _reap_fail(job, unchanged, message):
                    result.failed += 1
            elif unchanged.update(
                status=ExportStatus.PENDING, queued_at=now, file_key="", file_name=""
            ):
                audit_log_record(
                    actor=None,
                    action="export.requeue",
                    obj=job,
                    details={"reason": "worker stopped", "attempts": job.attempts},
                )
                # The dead run's partial file goes first, so the new run can take its key.
                transaction.on_commit(functools.partial(_delete_file_quietly, job.file_key))
                _export_enqueue_on_commit(job)
                result.requeued += 1

    stale_pending = ExportJob.objects.filter(
        status=ExportStatus.PENDING, queued_at__lt=now - EXPORT_REQUEUE_PENDING_AFTER
    )
    for job in stale_pending.select_related("campaign"):
        unchanged = ExportJob.objects.filter(
            pk=job.pk, status=ExportStatus.PENDING, queued_at=job.queued_at
        )
        with transaction.atomic():
            if job.created_at < now - EXPORT_PENDING_GIVE_UP_AFTER:
                message = (
                    "No task worker picked the export up within an hour. Is the task "
                    "cluster (manage.py qcluster) running? Start a new export."
                )
                if _reap_fail(job, unchanged, message):
                    result.failed += 1
            elif unchanged.update(queued_at=now):
                _export_enqueue_on_commit(job)
                result.requeued += 1
    return result


@dataclass
class ExpireResult:
    expired: int = 0
    not_deleted: int = 0  # the storage refused: tried again on the next run


def export_expire_old(*, now: dt.datetime | None = None) -> ExpireResult:
    """Delete the files of exports completed more than EXPORT_RETENTION_DAYS ago and mark
    their jobs expired, audit-logged (run hourly by export_expire_old_task).

    The file goes first: a job is marked expired only once its file is gone, so a storage
    that is down leaves the job completed, to be tried again on the next run, rather than an
    expired job whose file lingers. Deleting a file that is already gone is not an error."""
    now = now or timezone.now()
    retention_days = settings.EXPORT_RETENTION_DAYS
    result = ExpireResult()
    # Few rows (a handful of exports per campaign): no index is needed for this filter.
    past_retention = ExportJob.objects.filter(
        status=ExportStatus.COMPLETED, completed_at__lt=now - dt.timedelta(days=retention_days)
    )
    for job in past_retention:
        try:
            if job.file_key:
                default_storage.delete(job.file_key)
        except Exception:  # any storage error: keep the job as it is, try again next run
            logger.warning("export file %s could not be deleted", job.file_key, exc_info=True)
            result.not_deleted += 1
            continue
        with transaction.atomic():
            # Conditional on the job being as it was read (two runs may overlap).
            expired = ExportJob.objects.filter(
                pk=job.pk, status=ExportStatus.COMPLETED, file_key=job.file_key
            ).update(status=ExportStatus.EXPIRED, expired_at=now, file_key="")
            if not expired:
                continue
            audit_log_record(
                actor=None,
                action="export.expire",
                obj=job,
                details={
                    "campaign_id": str(job.campaign_id),
                    "file": job.file_key,
                    "completed_at": job.completed_at.isoformat() if job.completed_at else "",
                    "retention_days": retention_days,
                },
            )
        result.expired += 1
    return result

"""export_reap_stale: jobs a killed worker left processing, and pending jobs nobody picked up,
are queued again or failed — never stuck."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from exports.services import ReapResult, export_reap_stale
from exports.tests.conftest import read_csv, stored_file
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

NOW = timezone.now()


def _job(campaign=None, **fields) -> ExportJob:
    """A job as a worker left it; created_at is auto_now_add, so it is set after creation."""
    created_at = fields.pop("created_at", NOW - dt.timedelta(minutes=20))
    job = ExportJobFactory(**({"campaign": campaign} if campaign else {}), **fields)
    ExportJob.objects.filter(pk=job.pk).update(created_at=created_at)
    job.refresh_from_db()
    return job


def test_a_job_whose_worker_died_is_generated_again(
    every_state, django_capture_on_commit_callbacks
):
    partial = default_storage.save("exports/partial.csv", ContentFile(b"campaign_id,contac"))
    job = _job(
        every_state.campaign,
        status=ExportStatus.PROCESSING,
        started_at=NOW - dt.timedelta(minutes=2),
        heartbeat_at=NOW - dt.timedelta(seconds=31),  # three beats (of 10 s) missed
        attempts=1,
        file_key=partial,
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = export_reap_stale(now=NOW)

    assert (result.requeued, result.failed) == (1, 0)
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED
    assert job.attempts == 2
    assert len(read_csv(stored_file(job))) == 1 + 5
    assert not default_storage.exists(partial)
    assert AuditLog.objects.filter(action="export.requeue", object_id=str(job.pk)).exists()


def test_a_job_interrupted_twice_is_failed_with_a_message(django_capture_on_commit_callbacks):
    partial = default_storage.save("exports/partial.csv", ContentFile(b"campaign_id,contac"))
    job = _job(
        status=ExportStatus.PROCESSING,
        started_at=NOW - dt.timedelta(minutes=30),
        attempts=2,
        file_key=partial,
    )

    with django_capture_on_commit_callbacks(execute=True):
        result = export_reap_stale(now=NOW)

    assert (result.requeued, result.failed) == (0, 1)
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "interrupted 2 times" in job.error_message
    assert job.file_key == ""
    assert not default_storage.exists(partial)
    assert AuditLog.objects.filter(action="export.fail", object_id=str(job.pk)).exists()


def test_a_job_whose_worker_still_beats_is_left_alone_however_long_it_runs():
    job = _job(
        status=ExportStatus.PROCESSING,
        started_at=NOW - dt.timedelta(minutes=45),
        heartbeat_at=NOW - dt.timedelta(seconds=29),
        attempts=1,
    )
    assert export_reap_stale(now=NOW) == ReapResult()
    job.refresh_from_db()
    assert job.status == ExportStatus.PROCESSING
    assert job.attempts == 1


def test_a_job_claimed_before_heartbeats_is_judged_by_its_start(django_capture_on_commit_callbacks):
    recent = _job(status=ExportStatus.PROCESSING, started_at=NOW - dt.timedelta(seconds=20))
    old = _job(status=ExportStatus.PROCESSING, started_at=NOW - dt.timedelta(minutes=9))
    with django_capture_on_commit_callbacks():
        assert export_reap_stale(now=NOW).requeued == 1
    recent.refresh_from_db()
    old.refresh_from_db()
    assert (recent.status, old.status) == (ExportStatus.PROCESSING, ExportStatus.PENDING)


def test_a_pending_job_nobody_picked_up_is_queued_again(
    every_state, django_capture_on_commit_callbacks
):
    """Its task was lost (e.g. the broker was down when the job was created)."""
    job = _job(every_state.campaign, queued_at=NOW - dt.timedelta(minutes=6))

    with django_capture_on_commit_callbacks(execute=True):
        result = export_reap_stale(now=NOW)

    assert result.requeued == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED
    assert job.total_records == 5


def test_a_recently_queued_job_is_not_queued_twice(django_capture_on_commit_callbacks):
    job = _job(queued_at=NOW - dt.timedelta(minutes=2))
    with django_capture_on_commit_callbacks() as callbacks:
        export_reap_stale(now=NOW)
    assert callbacks == []
    job.refresh_from_db()
    assert job.status == ExportStatus.PENDING


def test_a_job_pending_for_an_hour_is_failed():
    job = _job(created_at=NOW - dt.timedelta(minutes=61), queued_at=NOW - dt.timedelta(minutes=6))
    result = export_reap_stale(now=NOW)
    assert result.failed == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "qcluster" in job.error_message


@pytest.mark.parametrize("status", [ExportStatus.COMPLETED, ExportStatus.FAILED])
def test_finished_jobs_are_left_alone(status):
    job = _job(
        status=status,
        created_at=NOW - dt.timedelta(hours=3),
        started_at=NOW - dt.timedelta(hours=3),
        queued_at=NOW - dt.timedelta(hours=3),
    )
    result = export_reap_stale(now=NOW)
    assert (result.requeued, result.failed) == (0, 0)
    job.refresh_from_db()
    assert job.status == status

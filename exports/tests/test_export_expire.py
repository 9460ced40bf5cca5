"""export_expire_old: export files are kept EXPORT_RETENTION_DAYS after they were written, then
deleted from storage (local or S3) and their jobs marked expired, audit-logged; run hourly by
export_expire_old_task."""

from __future__ import annotations

import datetime as dt
import urllib.error
import urllib.request

import pytest
from django.core.files.storage import FileSystemStorage, default_storage
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from exports.services import ExpireResult, export_expire_old, export_generate
from exports.storage import export_download_link
from exports.tasks import export_expire_old_task
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog
from voicesurvey.task_policy import PERIODIC_TASKS

pytestmark = pytest.mark.django_db


def _completed(campaign, *, days_ago: float) -> ExportJob:
    """A completed export whose file was written `days_ago` days ago."""
    job = export_generate(job=ExportJobFactory(campaign=campaign))
    assert job.status == ExportStatus.COMPLETED, job.error_message
    completed_at = timezone.now() - dt.timedelta(days=days_ago)
    ExportJob.objects.filter(pk=job.pk).update(completed_at=completed_at)
    job.refresh_from_db()
    return job


def test_files_past_the_retention_are_deleted_and_their_jobs_expired(every_state, settings):
    settings.EXPORT_RETENTION_DAYS = 30
    old = _completed(every_state.campaign, days_ago=30.1)
    recent = _completed(every_state.campaign, days_ago=29.9)
    old_key = old.file_key
    assert default_storage.exists(old_key)

    result = export_expire_old()

    assert result == ExpireResult(expired=1, not_deleted=0)
    old.refresh_from_db()
    assert old.status == ExportStatus.EXPIRED
    assert old.expired_at is not None
    assert old.file_key == ""
    assert old.file_name  # still says which file it was
    assert not default_storage.exists(old_key)
    recent.refresh_from_db()
    assert recent.status == ExportStatus.COMPLETED
    assert default_storage.exists(recent.file_key)
    entry = AuditLog.objects.get(action="export.expire")
    assert entry.actor is None
    assert entry.object_id == str(old.pk)
    assert entry.details == {
        "campaign_id": str(every_state.campaign.pk),
        "file": old_key,
        "completed_at": old.completed_at.isoformat(),
        "retention_days": 30,
    }


def test_the_retention_is_configurable(every_state, settings):
    job = _completed(every_state.campaign, days_ago=8)
    settings.EXPORT_RETENTION_DAYS = 10
    assert export_expire_old().expired == 0
    settings.EXPORT_RETENTION_DAYS = 7
    assert export_expire_old().expired == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def test_jobs_without_a_file_are_left_alone(settings):
    long_ago = timezone.now() - dt.timedelta(days=400)
    failed = ExportJobFactory(status=ExportStatus.FAILED, completed_at=long_ago)
    pending = ExportJobFactory(status=ExportStatus.PENDING)
    ExportJob.objects.update(created_at=long_ago)

    assert export_expire_old() == ExpireResult()
    assert {job.pk: job.status for job in ExportJob.objects.all()} == {
        failed.pk: ExportStatus.FAILED,
        pending.pk: ExportStatus.PENDING,
    }


def test_a_file_already_gone_still_expires_its_job(every_state):
    job = _completed(every_state.campaign, days_ago=31)
    default_storage.delete(job.file_key)

    assert export_expire_old().expired == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def test_running_twice_expires_once(every_state):
    _completed(every_state.campaign, days_ago=31)
    assert export_expire_old().expired == 1
    assert export_expire_old().expired == 0
    assert AuditLog.objects.filter(action="export.expire").count() == 1


def test_the_hourly_task_runs_the_service(every_state):
    job = _completed(every_state.campaign, days_ago=31)
    assert ("exports: delete expired export files", "exports.tasks.export_expire_old_task", 60) in (
        PERIODIC_TASKS
    )

    export_expire_old_task()

    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:  # the moto test server
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_on_s3_the_object_is_deleted_and_old_links_stop_working(s3_bucket, every_state):
    client, bucket = s3_bucket
    job = _completed(every_state.campaign, days_ago=31)
    key = job.file_key
    link = export_download_link(job=job)
    assert _http_status(link.url) == 200

    assert export_expire_old() == ExpireResult(expired=1, not_deleted=0)

    job.refresh_from_db()
    assert job.status == ExportStatus.EXPIRED
    assert client.list_objects_v2(Bucket=bucket, Prefix=key)["KeyCount"] == 0
    # The link signed before still points at the key, which is gone: S3 answers 404, or 403
    # when the signer may not list the bucket (moto answers so here).
    assert _http_status(link.url) in (403, 404)


def test_a_storage_error_keeps_the_job_for_the_next_run(every_state, monkeypatch):
    job = _completed(every_state.campaign, days_ago=31)

    def unavailable(name):
        raise OSError("storage unavailable")

    monkeypatch.setattr(FileSystemStorage, "delete", lambda self, name: unavailable(name))
    assert export_expire_old() == ExpireResult(expired=0, not_deleted=1)

    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED  # tried again next hour
    assert job.file_key
    assert not AuditLog.objects.filter(action="export.expire").exists()

"""`GET /api/exports/{job_id}`: the job, with a link made fresh on every read."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from exports.models import ExportJob, ExportStatus
from exports.services import export_expire_old, export_generate
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, expected):
    job = ExportJobFactory()
    assert persona_api.get(f"/api/exports/{job.pk}").status_code == expected


def test_unknown_job_is_404(manager_api):
    assert manager_api.get(f"/api/exports/{uuid.uuid4()}").status_code == 404


def test_a_completed_job_has_a_fresh_link_that_downloads_the_file(
    manager_api, every_state, settings
):
    settings.EXPORT_URL_EXPIRY_SECONDS = 900
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    before = timezone.now()
    first = manager_api.get(f"/api/exports/{job.pk}").json()
    second = manager_api.get(f"/api/exports/{job.pk}").json()

    assert first["status"] == "completed"
    assert first["total_records"] == 5
    assert first["id"] == str(job.pk)
    assert first["campaign_id"] == str(every_state.campaign.pk)
    expires = parse_datetime(first["url_expires_at"])
    assert (
        before + dt.timedelta(seconds=899) <= expires <= timezone.now() + dt.timedelta(seconds=900)
    )
    link = urlsplit(first["download_url"])
    assert link.path == f"/exports/{job.pk}/download"
    assert parse_qs(link.query)["token"]
    assert second["download_url"]  # made again, not stored
    assert job.file_key not in first["download_url"]

    download = manager_api.get(first["download_url"])
    assert download.status_code == 200
    assert b"".join(download.streaming_content).startswith(b"campaign_id,contact_id,")


@pytest.mark.parametrize("status", [ExportStatus.PENDING, ExportStatus.PROCESSING])
def test_a_job_in_flight_has_no_link(manager_api, status):
    job = ExportJobFactory(status=status)
    body = manager_api.get(f"/api/exports/{job.pk}").json()
    assert body["status"] == status
    assert body["download_url"] is None
    assert body["url_expires_at"] is None
    assert body["completed_at"] is None
    assert body["total_records"] is None


def test_a_failed_job_shows_its_error(manager_api):
    job = ExportJobFactory(status=ExportStatus.FAILED, error_message="OSError: disk full")
    body = manager_api.get(f"/api/exports/{job.pk}").json()
    assert body["status"] == "failed"
    assert body["error_message"] == "OSError: disk full"
    assert body["download_url"] is None


def test_an_expired_job_says_so_and_has_no_link(manager_api, every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    ExportJob.objects.filter(pk=job.pk).update(completed_at=timezone.now() - dt.timedelta(days=31))
    export_expire_old()

    body = manager_api.get(f"/api/exports/{job.pk}").json()

    assert body["status"] == "expired"
    assert body["download_url"] is None
    assert body["url_expires_at"] is None
    assert parse_datetime(body["expired_at"]) is not None
    assert body["total_records"] == 5

"""`POST /api/exports/{job_id}/refresh-url`: a new link for a completed export, 400 otherwise."""

from __future__ import annotations

import uuid

import pytest

from exports.models import ExportStatus
from exports.services import export_generate
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, expected):
    job = export_generate(job=ExportJobFactory())
    assert persona_api.post(f"/api/exports/{job.pk}/refresh-url").status_code == expected


def test_unknown_job_is_404(manager_api):
    assert manager_api.post(f"/api/exports/{uuid.uuid4()}/refresh-url").status_code == 404


def test_a_completed_job_gets_a_new_link(manager_api, every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    body = manager_api.post(f"/api/exports/{job.pk}/refresh-url").json()

    assert body["id"] == str(job.pk)
    assert body["status"] == "completed"
    assert body["download_url"].startswith(f"http://testserver/exports/{job.pk}/download?token=")
    assert manager_api.get(body["download_url"]).status_code == 200


@pytest.mark.parametrize(
    "status", [ExportStatus.PENDING, ExportStatus.PROCESSING, ExportStatus.FAILED]
)
def test_only_a_completed_job_has_a_link_to_refresh(manager_api, status):
    job = ExportJobFactory(status=status)
    response = manager_api.post(f"/api/exports/{job.pk}/refresh-url")
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The export is {status}; only a completed export has a link."
    }


def test_an_expired_job_has_no_link_to_refresh_410(manager_api):
    job = ExportJobFactory(status=ExportStatus.EXPIRED, file_name="survey.csv")
    response = manager_api.post(f"/api/exports/{job.pk}/refresh-url")
    assert response.status_code == 410
    assert "deleted after" in response.json()["detail"]

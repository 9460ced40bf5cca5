"""`GET /api/campaigns/{id}/export` (the seed's contract) and `POST /api/campaigns/{id}/exports`:
start an export, 202 {job_id, status, message}; one job in flight per campaign."""

from __future__ import annotations

import uuid

import pytest
from rest_framework.test import APIClient

from exports.models import ExportJob, ExportStatus
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog
from voicesurvey.services import api_token_create

pytestmark = pytest.mark.django_db


def _start(client, method: str, campaign_id):
    if method == "get":
        return client.get(f"/api/campaigns/{campaign_id}/export")
    return client.post(f"/api/campaigns/{campaign_id}/exports")


METHODS = ["get", "post"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 202), ("manager", 202), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, every_state, method, expected):
    response = _start(persona_api, method, every_state.campaign.pk)
    assert response.status_code == expected, response.content
    assert ExportJob.objects.exists() == (expected == 202)
    if expected == 403:
        assert AuditLog.objects.filter(action="access.denied").exists()


@pytest.mark.parametrize("method", METHODS)
def test_unknown_campaign_is_404(manager_api, method):
    response = _start(manager_api, method, uuid.uuid4())
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize("method", METHODS)
def test_start_answers_202_with_the_job_and_runs_it(
    manager_api, manager_user, every_state, method, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _start(manager_api, method, every_state.campaign.pk)

    assert response.status_code == 202
    body = response.json()
    assert set(body) == {"job_id", "status", "format", "message"}
    job = ExportJob.objects.get()
    assert body["job_id"] == str(job.pk)
    assert body["status"] == "pending"
    assert "started" in body["message"]
    assert job.requested_by == manager_user
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED  # the queued task ran after the commit
    assert AuditLog.objects.filter(action="export.start", actor=manager_user).count() == 1


@pytest.mark.parametrize("method", METHODS)
def test_a_job_in_flight_is_returned_not_duplicated(manager_api, method):
    running = ExportJobFactory(status=ExportStatus.PROCESSING)

    response = _start(manager_api, method, running.campaign_id)

    assert response.status_code == 202
    assert response.json()["job_id"] == str(running.pk)
    assert response.json()["status"] == "processing"
    assert "already processing" in response.json()["message"]
    assert ExportJob.objects.count() == 1


def test_a_junk_body_is_refused_now_that_the_body_chooses_the_format(manager_api, every_state):
    # It used to be ignored; a body that may say `"format": "xlsx"` and cannot be read must not
    # start a CSV instead.
    response = manager_api.post(
        f"/api/campaigns/{every_state.campaign.pk}/exports",
        data=b"\xff\x00{not json",
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not ExportJob.objects.exists()


# --- The GET that writes: never from another site -------------------------------------------------
# `GET …/export` starts an export, so a link or image on another site would start one with the
# visitor's session. Browsers say where a request comes from (Sec-Fetch-Site); token clients
# send no such header.


@pytest.mark.parametrize("site", ["cross-site", "same-site"])
def test_get_from_another_site_is_refused_with_a_message(client, manager_user, every_state, site):
    client.force_login(manager_user)
    response = client.get(
        f"/api/campaigns/{every_state.campaign.pk}/export",
        headers={"Sec-Fetch-Site": site, "Sec-Fetch-Mode": "navigate"},
    )
    assert response.status_code == 403
    assert "POST /api/campaigns/" in response.json()["detail"]
    assert not ExportJob.objects.exists()


@pytest.mark.parametrize("site", ["same-origin", "none"])
def test_get_from_this_site_or_typed_in_still_starts_an_export(
    client, manager_user, every_state, site
):
    client.force_login(manager_user)
    response = client.get(
        f"/api/campaigns/{every_state.campaign.pk}/export", headers={"Sec-Fetch-Site": site}
    )
    assert response.status_code == 202
    assert ExportJob.objects.count() == 1


def test_get_with_a_token_and_no_browser_headers_still_starts_an_export(manager_user, every_state):
    _token, text = api_token_create(user=manager_user, actor=manager_user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    response = client.get(f"/api/campaigns/{every_state.campaign.pk}/export")
    assert response.status_code == 202
    assert ExportJob.objects.count() == 1

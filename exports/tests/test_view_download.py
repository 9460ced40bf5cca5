"""`GET /exports/{job_id}/download?token=…`: local export files, for a valid, unexpired link
and a role allowed to download exports."""

from __future__ import annotations

import datetime as dt
import uuid
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone
from knox.models import AuthToken
from rest_framework.test import APIClient

from exports.models import ExportJob
from exports.services import export_expire_old, export_generate
from exports.storage import export_download_link
from exports.tests.conftest import read_csv
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def done(every_state):
    return export_generate(job=ExportJobFactory(campaign=every_state.campaign))


def _content(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, done, expected):
    url = export_download_link(job=done).url
    response = persona_client.get(url, HTTP_ACCEPT=_BROWSER_ACCEPT)
    assert response.status_code == expected
    if expected == 302:  # a person whose session ended signs in and comes back to the file
        assert response["Location"].startswith("/accounts/login/?next=/exports/")
    if expected == 403:
        assert AuditLog.objects.filter(action="access.denied").exists()


def test_the_file_is_downloaded_as_an_attachment_and_audit_logged(
    client, manager_user, done, every_state
):
    client.force_login(manager_user)
    response = client.get(export_download_link(job=done).url)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv"
    assert response["Content-Disposition"] == f'attachment; filename="{done.file_name}"'
    rows = read_csv(_content(response))
    assert len(rows) == 1 + 5
    entry = AuditLog.objects.get(action="export.download")
    assert entry.actor == manager_user
    assert entry.object_id == str(done.pk)


def test_api_clients_follow_links_with_their_token(manager_user, done):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {AuthToken.objects.create(user=manager_user)[1]}")
    assert client.get(export_download_link(job=done).url).status_code == 200


_BROWSER_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"


@pytest.mark.parametrize(
    "accept", ["application/json", "*/*", None], ids=["json", "curl-default", "no-accept"]
)
def test_a_client_without_credentials_that_does_not_ask_for_a_page_gets_401(client, done, accept):
    headers = {"HTTP_ACCEPT": accept} if accept else {}
    response = client.get(export_download_link(job=done).url, **headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "credentials" in response.json()["detail"].lower()


def test_a_browser_without_a_session_is_sent_to_sign_in_even_with_a_bad_token(client, done):
    """An Authorization header makes any caller an API client: 401, never a login page."""
    response = client.get(
        export_download_link(job=done).url,
        HTTP_ACCEPT=_BROWSER_ACCEPT,
        HTTP_AUTHORIZATION="Token not-a-real-token",
    )
    assert response.status_code == 401


def test_an_anonymous_api_client_gets_401(done):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")
    assert client.get(export_download_link(job=done).url).status_code == 401


def test_an_expired_link_is_410(manager_api, done, settings):
    settings.EXPORT_URL_EXPIRY_SECONDS = 3600
    issued_long_ago = timezone.now() - dt.timedelta(seconds=3601)
    link = export_download_link(job=done, now=issued_long_ago)

    response = manager_api.get(link.url)

    assert response.status_code == 410
    assert "expired" in response.json()["detail"]


def test_a_link_just_inside_its_lifetime_works(manager_api, done):
    link = export_download_link(job=done, now=timezone.now() - dt.timedelta(seconds=3500))
    assert manager_api.get(link.url).status_code == 200


def _with_token(url: str, token: str) -> str:
    return f"{urlsplit(url).path}?{urlencode({'token': token})}"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda token: token[:-1] + ("A" if token[-1] != "A" else "B"),  # signature
        lambda token: "x" + token,  # payload
        lambda token: "",  # none
        lambda token: "not-a-token",
    ],
)
def test_a_tampered_link_is_403(manager_api, done, tamper):
    url = export_download_link(job=done).url
    token = parse_qs(urlsplit(url).query)["token"][0]
    response = manager_api.get(_with_token(url, tamper(token)))
    assert response.status_code == 403
    assert response.json() == {"detail": "This download link is not valid for this export."}
    assert not AuditLog.objects.filter(action="export.download").exists()


def test_a_link_for_one_export_does_not_open_another(manager_api, done):
    other = export_generate(job=ExportJobFactory())
    token = parse_qs(urlsplit(export_download_link(job=done).url).query)["token"][0]
    response = manager_api.get(f"/exports/{other.pk}/download?token={token}")
    assert response.status_code == 403


def test_unknown_job_is_404(manager_api, done):
    token = parse_qs(urlsplit(export_download_link(job=done).url).query)["token"][0]
    assert manager_api.get(f"/exports/{uuid.uuid4()}/download?token={token}").status_code == 404


def test_a_file_removed_from_storage_is_404(manager_api, done):
    url = export_download_link(job=done).url
    default_storage.delete(done.file_key)
    response = manager_api.get(url)
    assert response.status_code == 404
    assert response.json() == {"detail": "The export's file is no longer available."}


def test_the_link_of_an_expired_export_is_410_with_a_message(manager_api, done, settings):
    settings.EXPORT_RETENTION_DAYS = 30
    url = export_download_link(job=done).url  # issued before the file was deleted
    ExportJob.objects.filter(pk=done.pk).update(completed_at=timezone.now() - dt.timedelta(days=31))
    export_expire_old()

    response = manager_api.get(url)

    assert response.status_code == 410
    assert response.json() == {
        "detail": "This export's file was deleted after 30 days (the retention period). "
        "Start a new export for a fresh file."
    }
    assert not AuditLog.objects.filter(action="export.download").exists()

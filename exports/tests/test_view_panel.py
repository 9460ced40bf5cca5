"""The export panel (`campaigns/{id}/exports/panel`): a partial for htmx, a page without it."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.urls import reverse
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from exports.services import export_expire_old, export_generate
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(campaign) -> str:
    return reverse("exports:panel", args=[campaign.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, every_state, expected):
    response = persona_client.get(_url(every_state.campaign))
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_campaign_is_404(client, manager_user):
    client.force_login(manager_user)
    assert client.get(f"/campaigns/{uuid.uuid4()}/exports/panel").status_code == 404


def test_post_is_not_allowed(client, manager_user, every_state):
    client.force_login(manager_user)
    assert client.post(_url(every_state.campaign)).status_code == 405


def test_htmx_gets_the_partial_and_others_a_whole_page(client, manager_user, every_state):
    client.force_login(manager_user)
    partial = client.get(_url(every_state.campaign), **HTMX)
    page = client.get(_url(every_state.campaign))

    assert partial.content.decode().lstrip().startswith("<section")
    assert b"<html" not in partial.content
    assert b"<html" in page.content
    assert b'id="export-panel-' in page.content


def test_a_manager_sees_the_button_the_ready_file_and_earlier_exports(
    client, manager_user, every_state, django_assert_num_queries
):
    ExportJobFactory(
        campaign=every_state.campaign, status=ExportStatus.FAILED, error_message="OSError: full"
    )
    done = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    client.force_login(manager_user)

    # 1: session, 2: user, 3: campaign, 4: its latest jobs with who asked for them
    with django_assert_num_queries(4):
        response = client.get(_url(every_state.campaign), **HTMX)

    html = response.content.decode()
    assert "Export results" in html
    assert "disabled" not in html
    assert f'action="/campaigns/{every_state.campaign.pk}/exports/start"' in html
    assert f"/exports/{done.pk}/download?token=" in html
    assert f"Download {done.file_name}" in html
    assert "Ready: 5 contacts" in html
    assert "OSError: full" in html  # the earlier, failed one
    assert "hx-trigger" not in html  # nothing in flight: no polling


def test_a_job_in_flight_polls_and_disables_the_button(client, manager_user):
    job = ExportJobFactory(status=ExportStatus.PROCESSING)
    client.force_login(manager_user)

    html = client.get(_url(job.campaign), **HTMX).content.decode()

    assert f'hx-get="/campaigns/{job.campaign_id}/exports/panel"' in html
    assert 'hx-trigger="every 2s"' in html
    assert "disabled" in html
    assert "Writing the file" in html
    assert ">Refresh</a>" in html  # without JavaScript: reload by hand


def test_a_failed_last_export_shows_its_error(client, manager_user):
    job = ExportJobFactory(status=ExportStatus.FAILED, error_message="ClientError: NoSuchBucket")
    client.force_login(manager_user)
    html = client.get(_url(job.campaign), **HTMX).content.decode()
    assert "The last export failed: ClientError: NoSuchBucket" in html


def test_an_expired_export_shows_as_expired_without_a_link(client, manager_user, every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    ExportJob.objects.filter(pk=job.pk).update(completed_at=timezone.now() - dt.timedelta(days=31))
    export_expire_old()
    client.force_login(manager_user)

    html = client.get(_url(every_state.campaign), **HTMX).content.decode()

    assert "/download" not in html
    assert "Ready:" not in html
    assert '<span class="badge badge-expired">Expired</span>' in html
    assert "deleted after 30 days" in html
    assert "Export again for a new file." in html


def test_a_viewer_sees_the_history_but_no_button_and_no_links(client, viewer_user, every_state):
    done = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    client.force_login(viewer_user)

    html = client.get(_url(every_state.campaign), **HTMX).content.decode()

    assert "Export results" not in html
    assert "/download" not in html
    assert "Exports are for administrators and campaign managers." in html
    assert done.created_at.strftime("%Y-%m-%d") in html


def test_no_exports_yet(client, manager_user, every_state):
    client.force_login(manager_user)
    html = client.get(_url(every_state.campaign), **HTMX).content.decode()
    assert "No exports yet." in html

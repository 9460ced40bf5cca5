"""The panel's export button (`POST campaigns/{id}/exports/start`): htmx gets the panel back,
a plain form post is redirected back to the page it came from."""

from __future__ import annotations

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from exports.models import ExportJob, ExportStatus
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def _url(campaign) -> str:
    return reverse("exports:start", args=[campaign.pk])


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 302), ("manager", 302), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, every_state, expected):
    response = persona_client.post(_url(every_state.campaign))
    assert response.status_code == expected
    assert ExportJob.objects.exists() == (persona is not None and expected == 302)
    if persona is None:
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_campaign_is_404(client, manager_user):
    client.force_login(manager_user)
    assert client.post(f"/campaigns/{uuid.uuid4()}/exports/start").status_code == 404


def test_get_is_not_allowed(client, manager_user, every_state):
    client.force_login(manager_user)
    assert client.get(_url(every_state.campaign)).status_code == 405


def test_without_javascript_the_post_goes_back_to_the_page(
    client, manager_user, every_state, django_capture_on_commit_callbacks
):
    client.force_login(manager_user)
    page = f"/campaigns/{every_state.campaign.pk}?tab=contacts"

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(every_state.campaign), {"next": page})

    assert response.status_code == 302
    assert response["Location"] == page
    job = ExportJob.objects.get()
    assert job.status == ExportStatus.COMPLETED
    assert job.requested_by == manager_user
    panel = client.get(reverse("exports:panel", args=[every_state.campaign.pk]))
    assert "Export started." in panel.content.decode()  # the message, on the next page
    assert f"/exports/{job.pk}/download?token=" in panel.content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
def test_next_must_stay_on_this_site(client, manager_user, every_state, next_url):
    client.force_login(manager_user)
    response = client.post(_url(every_state.campaign), {"next": next_url})
    assert response["Location"] == reverse("exports:panel", args=[every_state.campaign.pk])


def test_htmx_gets_the_panel_with_the_new_job(
    client, manager_user, every_state, django_capture_on_commit_callbacks
):
    client.force_login(manager_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(_url(every_state.campaign), **HTMX)

    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith("<section")
    assert "<html" not in html
    # Rendered before the queued task ran: the panel shows the job and polls for it.
    assert "Waiting for a worker" in html
    assert 'hx-trigger="every 2s"' in html
    assert ExportJob.objects.get().status == ExportStatus.COMPLETED


def test_a_second_click_while_running_starts_nothing(client, manager_user):
    running = ExportJobFactory(status=ExportStatus.PENDING)
    client.force_login(manager_user)

    response = client.post(_url(running.campaign), follow=True)

    assert ExportJob.objects.count() == 1
    assert "already pending" in response.content.decode()


def test_csrf_is_enforced(manager_user, every_state):
    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    assert client.post(_url(every_state.campaign)).status_code == 403
    assert not ExportJob.objects.exists()

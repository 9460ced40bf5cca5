"""The head of the campaign page: the `campaign_status_panel` partial (its htmx refresh) and
the activation checklist of a draft."""

import uuid

import pytest
from django.urls import reverse

from calls.tests.factories import SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from dashboard.views import activation_checklist

pytestmark = pytest.mark.django_db


def url(campaign_id):
    return f"/campaigns/{campaign_id}/status-panel"


def test_url_name():
    pk = uuid.uuid4()
    assert reverse("campaign_status_panel", args=[pk]) == url(pk)


@pytest.mark.parametrize(
    ("persona", "status", "actions"),
    [
        ("admin", 200, True),
        ("manager", 200, True),
        ("viewer", 200, False),
        ("anonymous", 302, False),
    ],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status, actions):
    campaign = CampaignFactory(status="running")
    response = persona_client.get(url(campaign.pk))
    assert response.status_code == status
    if status == 200:
        content = response.content.decode()
        assert 'data-campaign-status="running"' in content
        assert ("data-actions" in content) == actions
        assert (reverse("campaign_pause", args=[campaign.pk]) in content) == actions
        if actions:
            assert "csrfmiddlewaretoken" in content  # its forms post


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_an_unknown_campaign_is_a_404(viewer_client, campaign_id):
    assert viewer_client.get(url(campaign_id)).status_code == 404


def test_a_signed_out_refresh_sends_the_page_to_login(client):
    campaign = CampaignFactory()
    response = client.get(
        url(campaign.pk),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL=f"http://testserver/campaigns/{campaign.pk}",
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == f"/accounts/login/?next=/campaigns/{campaign.pk}"


def test_a_running_campaign_refreshes_a_final_one_does_not(viewer_client):
    running = CampaignFactory(status="running")
    ContactFactory(campaign=running)
    SchedulerRunFactory()
    content = viewer_client.get(url(running.pk)).content.decode()
    assert 'hx-trigger="every 15s, contacts-imported from:body"' in content
    assert 'data-takes-contacts="yes"' in content
    assert 'data-figure="progress"' in content
    assert 'data-figure="cost"' in content
    completed = CampaignFactory(status="completed")
    content = viewer_client.get(url(completed.pk)).content.decode()
    assert "hx-trigger" not in content
    assert 'data-takes-contacts="no"' in content


def test_the_checklist_places_every_problem():
    problems = {
        "texts.it.intro": ["Introduction is missing in Italian."],
        "questions": ["A survey needs at least one question."],
        "contacts": ["No contact can be dialled."],
        "something_new": ["A rule of tomorrow."],
    }
    items = activation_checklist(problems)
    assert [(item["label"].split(":")[0], item["done"]) for item in items] == [
        ("Script", False),
        ("Questionnaire", False),
        ("Contacts", False),
        ("Calling", True),
        ("Other", False),
    ]
    assert items[0]["problems"] == ["Introduction is missing in Italian."]
    assert items[4]["problems"] == ["A rule of tomorrow."]


def test_a_ready_draft_says_so(viewer_client):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign)
    content = viewer_client.get(url(campaign.pk)).content.decode()
    assert "Ready to activate" in content
    assert 'data-done="no"' not in content

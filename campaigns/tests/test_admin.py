"""The campaign admin: lifecycle actions and edits go through the services."""

import json

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.urls import reverse

from campaigns.models import Campaign
from campaigns.tests.factories import INTROS, CampaignFactory, three_questions
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:campaigns_campaign_changelist")


def run_action(client, action, campaigns):
    return client.post(
        CHANGELIST,
        {"action": f"campaign_{action}_action", ACTION_CHECKBOX_NAME: [c.pk for c in campaigns]},
        follow=True,
    )


def test_activate_reports_each_campaign(client, admin_user):
    ready = CampaignFactory(name="Ready")
    ContactFactory(campaign=ready)
    empty = CampaignFactory(name="Empty")
    running = CampaignFactory(name="Running", status="running")
    client.force_login(admin_user)
    response = run_action(client, "activate", [ready, empty, running])
    messages = [str(m) for m in response.context["messages"]]
    assert "Activate: 1 campaign(s)." in messages
    assert any(m.startswith("Empty cannot be activated: contacts: No contact") for m in messages)
    assert any(m.startswith("Running: Cannot activate a running campaign") for m in messages)
    statuses = dict(Campaign.objects.values_list("name", "status"))
    assert statuses == {"Ready": "running", "Empty": "draft", "Running": "running"}


@pytest.mark.parametrize(
    ("action", "before", "after"),
    [
        ("pause", "running", "paused"),
        ("resume", "paused", "running"),
        ("cancel", "draft", "cancelled"),
    ],
)
def test_pause_resume_cancel(client, admin_user, action, before, after):
    campaign = CampaignFactory(status=before)
    client.force_login(admin_user)
    run_action(client, action, [campaign])
    campaign.refresh_from_db()
    assert campaign.status == after
    assert AuditLog.objects.get(action=f"campaign.{action}").actor == admin_user


def test_a_running_campaign_shows_its_script_read_only(client, admin_user):
    campaign = CampaignFactory(status="running")
    client.force_login(admin_user)
    response = client.get(reverse("admin:campaigns_campaign_change", args=[campaign.pk]))
    form_fields = response.context["adminform"].form.fields
    assert "name" in form_fields
    assert "max_attempts" in form_fields
    assert "texts" not in form_fields
    assert "languages" not in form_fields
    assert "language" not in form_fields
    assert form_fields["questionnaire"].disabled


def test_an_edit_is_audit_logged(client, admin_user):
    campaign = CampaignFactory(status="paused")
    client.force_login(admin_user)
    url = reverse("admin:campaigns_campaign_change", args=[campaign.pk])
    data = {
        "name": "Renamed in admin",
        "description": campaign.description,
        "max_attempts": 4,
        "retry_interval_minutes": 60,
        "call_window_start": "09:00:00",
        "call_window_end": "20:00:00",
        "call_days": "[1, 2, 3]",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign.refresh_from_db()
    assert (campaign.name, campaign.max_attempts, campaign.call_days) == (
        "Renamed in admin",
        4,
        [1, 2, 3],
    )
    log = AuditLog.objects.get(action="campaign.update")
    assert log.actor == admin_user
    assert set(log.details["changed"]) == {
        "name",
        "max_attempts",
        "call_days",
    }


def test_an_added_campaign_is_created_by_the_service(client, admin_user):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:campaigns_campaign_add"),
        {
            "name": "Made in admin",
            "language": "en",
            "timezone": "Europe/Rome",
            "languages": '["en"]',
            "texts": json.dumps({"en": {"intro": INTROS["en"]}}),
            "questionnaire": json.dumps(three_questions()),
            "max_attempts": 3,
            "retry_interval_minutes": 60,
            "call_window_start": "09:00:00",
            "call_window_end": "20:00:00",
            "call_days": "[1, 2, 3, 4, 5]",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    campaign = Campaign.objects.get(name="Made in admin")
    assert campaign.created_by == admin_user
    assert campaign.status == "draft"
    assert AuditLog.objects.filter(action="campaign.create", object_id=str(campaign.pk)).exists()
    assert campaign.text("en", "intro") == INTROS["en"]
    assert [q.key for q in campaign.questions.all()] == ["q1", "q2", "q3"]

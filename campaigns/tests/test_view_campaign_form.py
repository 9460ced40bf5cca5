"""The create and edit pages: the services' checks, shown on the fields."""

import datetime as dt
import json
import zoneinfo

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Question
from campaigns.tests.factories import INTROS, CampaignFactory, three_questions
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Spring survey",
    "description": "",
    "language": "en",
    "timezone": "America/New_York",
    "languages": ["en"],
    "texts": json.dumps({"en": {"intro": "Hello."}}),
    "questionnaire": json.dumps(
        [
            {"key": "q1", "type": "scale", "text": {"en": "One?"}, "min": 1, "max": 10},
            {"key": "q2", "type": "number", "text": {"en": "Two?"}},
            {"key": "q3", "type": "free_text", "text": {"en": "Three?"}},
        ]
    ),
    "max_attempts": "3",
    "retry_interval_minutes": "60",
    "call_window_start": "09:00",
    "call_window_end": "20:00",
    "call_days": ["1", "2", "3"],
    "starts_at": "",
    "completed_email_template": "",
    "refused_email_template": "",
    "not_reached_email_template": "",
}


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status):
    campaign = CampaignFactory()
    assert persona_client.get(reverse("campaign_new")).status_code == status
    assert persona_client.get(reverse("campaign_edit", args=[campaign.pk])).status_code == status
    response = persona_client.post(reverse("campaign_new"), FORM)
    assert response.status_code == (302 if status == 200 else status)
    assert Campaign.objects.filter(name="Spring survey").exists() == (status == 200)


def test_create_then_land_on_the_campaign_page(client, manager_user):
    client.force_login(manager_user)
    response = client.post(reverse("campaign_new"), {**FORM, "starts_at": "2027-03-01T08:30"})
    campaign = Campaign.objects.get(name="Spring survey")
    assert response["Location"] == reverse("campaign_detail", args=[campaign.pk])
    assert campaign.call_days == [1, 2, 3]
    assert campaign.created_by == manager_user
    # starts_at is read in the campaign's own time zone (New York, UTC−5 in March before DST).
    assert campaign.starts_at == dt.datetime(
        2027, 3, 1, 8, 30, tzinfo=zoneinfo.ZoneInfo("America/New_York")
    )
    assert AuditLog.objects.filter(action="campaign.create", actor=manager_user).exists()


def test_errors_are_shown_on_their_fields(client, manager_user):
    client.force_login(manager_user)
    response = client.post(
        reverse("campaign_new"),
        {
            **FORM,
            "name": "",
            "timezone": "Mars/Base",
            "call_window_start": "20:00",
            "call_window_end": "09:00",
            "max_attempts": "9",
        },
    )
    assert response.status_code == 400
    form = response.context["form"]
    assert set(form.errors) == {"name", "timezone", "max_attempts"}
    assert not Campaign.objects.exists()
    # Once the field errors are fixed, the window's order is reported on its end.
    response = client.post(
        reverse("campaign_new"), {**FORM, "call_window_start": "20:00", "call_window_end": "09:00"}
    )
    assert response.status_code == 400
    assert response.context["form"].errors == {
        "call_window_end": ["The call window must end after it starts."]
    }
    assert b"The call window must end after it starts." in response.content


def test_a_running_campaign_shows_frozen_fields_disabled_and_saves_the_rest(client, manager_user):
    campaign = CampaignFactory(status="running")
    client.force_login(manager_user)
    page = client.get(reverse("campaign_edit", args=[campaign.pk]))
    form = page.context["form"]
    assert form.fields["questionnaire"].disabled
    assert form.fields["texts"].disabled
    assert not form.fields["name"].disabled
    sneaky = three_questions()
    sneaky[0]["text"] = {"en": "Sneaky change?"}
    response = client.post(
        reverse("campaign_edit", args=[campaign.pk]),
        {**FORM, "name": "Renamed", "questionnaire": json.dumps(sneaky)},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    first = Question.objects.get(campaign=campaign, position=1)
    assert first.text == {"en": "How satisfied are you, from 1 to 10?"}
    assert campaign.text("en", "intro") == INTROS["en"]  # the posted "Hello." is not taken
    assert campaign.timezone == "Europe/Rome"  # disabled: the posted value is not taken


def test_a_final_campaign_is_not_edited(client, manager_user):
    campaign = CampaignFactory(status="cancelled")
    client.force_login(manager_user)
    response = client.get(reverse("campaign_edit", args=[campaign.pk]))
    assert response["Location"] == reverse("campaign_detail", args=[campaign.pk])


def test_an_unknown_campaign_is_a_404(client, manager_user):
    client.force_login(manager_user)
    missing = "0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a"
    assert client.get(f"/campaigns/{missing}/edit").status_code == 404


# --- email template choices and the time-zone list (issue 15 item 10) ---------------------------


def _options(html: str, field: str) -> list[str]:
    import re

    select = re.search(rf'<select name="{field}"[^>]*>(.*?)</select>', html, re.S)
    assert select, field
    return [label.strip() for label in re.findall(r"<option[^>]*>([^<]*)</option>", select[1])]


def test_template_choices_name_each_template_once_and_lead_with_the_campaigns_language(
    client, manager_user
):
    from campaigns.models import EmailTemplate

    for name, locale in [("Completed (en)", "en"), ("Grazie", "it"), ("Thanks", "en")]:
        EmailTemplate.objects.create(
            name=name, type="completed", locale=locale, subject="s", body_text="b"
        )
    campaign = CampaignFactory(status="draft", language="it")
    client.force_login(manager_user)
    html = client.get(reverse("campaign_edit", args=[campaign.pk])).content.decode()
    labels = _options(html, "completed_email_template")
    assert labels[1:] == ["Grazie (Italian)", "Completed (en)", "Thanks (English)"]
    assert "(Completed, en)" not in html


def test_the_time_zone_is_chosen_from_a_list_with_a_search(client, manager_user):
    client.force_login(manager_user)
    html = client.get(reverse("campaign_new")).content.decode()
    zones = _options(html, "timezone")
    assert "Europe/Rome" in zones
    assert "America/New York" in zones
    assert len(zones) > 300
    assert "js/zone_search.js" in html
    assert 'list="timezones"' not in html  # no free text box any more

"""`GET /api/campaigns` (filters, search, counts) and `POST /api/campaigns`."""

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory, EmailTemplateFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/campaigns"


@pytest.mark.parametrize(
    ("persona", "get_status", "post_status"),
    [
        ("admin", 200, 201),
        ("manager", 200, 201),
        ("viewer", 200, 403),
        ("anonymous", 401, 401),
    ],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, get_status, post_status):
    assert persona_api.get(URL).status_code == get_status
    assert persona_api.post(URL, {"name": "New"}, format="json").status_code == post_status
    assert Campaign.objects.filter(name="New").exists() == (post_status == 201)


def test_lists_campaigns_with_their_counts(viewer_api, django_assert_num_queries):
    campaign = CampaignFactory(name="Counted")
    ContactFactory(campaign=campaign)
    ContactFactory(campaign=campaign, state=ContactState.COMPLETED, attempts_count=1)
    ContactFactory(campaign=campaign, state=ContactState.REFUSED, attempts_count=2)
    ContactFactory(campaign=campaign, state=ContactState.NOT_REACHED, attempts_count=3)
    ContactFactory(campaign=campaign, state=ContactState.PENDING, attempts_count=1)
    for _ in range(3):
        CampaignFactory()
    with django_assert_num_queries(8):
        # 1. the count for the pagination  2. the page of campaigns with their counts
        # 3. their questions  4-8. their progress and cost, all at once (calls/progress.py,
        # calls/spend.py)
        response = viewer_api.get(URL)
    body = response.json()
    assert body["count"] == 4
    counted = next(c for c in body["results"] if c["name"] == "Counted")
    assert counted["counts"] == {
        "total": 5,
        "attempted": 4,
        "completed": 1,
        "refused": 1,
        "not_reached": 1,
    }
    assert counted["allowed_actions"] == ["activate", "cancel"]
    assert counted["status"] == "draft"
    assert counted["call_days"] == [1, 2, 3, 4, 5, 6]
    assert [q["key"] for q in counted["questions"]] == ["q1", "q2", "q3"]
    assert counted["progress"]["contacts_total"] == 5
    assert "dialling" not in counted  # a query per campaign: on the campaign's own answer


def test_lists_each_campaign_s_progress_and_cost_as_its_own_answer_does(viewer_api, settings):
    from calls.tests.factories import CallAttemptFactory

    settings.CALL_COST_CURRENCY = "GBP"
    running = CampaignFactory(name="Running", status="running", budget="25.00")
    for _ in range(3):
        ContactFactory(campaign=running)
    done = ContactFactory(campaign=running, state=ContactState.COMPLETED, attempts_count=1)
    started = timezone.now() - dt.timedelta(minutes=30)
    CallAttemptFactory(  # 2 min 5 s of talk: 3 minutes billed
        contact=done,
        outcome="completed",
        started_at=started,
        answered_at=started + dt.timedelta(seconds=10),
        ended_at=started + dt.timedelta(seconds=135),
    )
    draft = CampaignFactory(name="Draft")
    listed = {c["name"]: c for c in viewer_api.get(URL).json()["results"]}
    for campaign in (running, draft):
        own = viewer_api.get(f"{URL}/{campaign.pk}").json()
        assert listed[campaign.name]["progress"] == own["progress"]
        assert listed[campaign.name]["cost"] == own["cost"]
    assert listed["Running"]["progress"]["contacts_done"] == 1
    assert listed["Running"]["progress"]["percent_done"] == 25.0
    assert listed["Running"]["cost"]["currency"] == "GBP"
    assert listed["Running"]["cost"]["billed_minutes"] == 3
    assert listed["Running"]["cost"]["completed_surveys"] == 1
    assert listed["Running"]["cost"]["budget"] == "25.00"
    assert listed["Draft"]["progress"]["contacts_total"] == 0


def test_filters_by_status_and_creation_date_and_searches_by_name(viewer_api):
    running = CampaignFactory(name="Spring running", status="running")
    paused = CampaignFactory(name="Autumn paused", status="paused")
    old = CampaignFactory(name="Spring draft")
    Campaign.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=40))

    def names(query):
        response = viewer_api.get(f"{URL}?{query}")
        assert response.status_code == 200, response.json()
        return sorted(c["name"] for c in response.json()["results"])

    assert names("status=running") == [running.name]
    assert names("status=running&status=paused") == sorted([running.name, paused.name])
    assert names("search=spring") == ["Spring draft", "Spring running"]
    since = (timezone.now() - dt.timedelta(days=7)).date().isoformat()
    assert names(f"created_after={since}") == sorted([running.name, paused.name])
    assert names(f"created_before={since}") == ["Spring draft"]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("created_after=yesterday", "created_after"),
        ("created_before=2026-13-01", "created_before"),
    ],
)
def test_bad_filters_are_a_400_naming_the_parameter(viewer_api, query, field):
    response = viewer_api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert field in response.json()


def test_creates_a_draft(manager_api, manager_user):
    template = EmailTemplateFactory(type="completed")
    response = manager_api.post(
        URL,
        {
            "name": "Spring survey",
            "language": "it",
            "timezone": "Europe/Rome",
            "intro_script": "Buongiorno.",
            "question_1_text": "Quanto?",
            "question_1_type": "scale",
            "max_attempts": 4,
            "call_window_start": "10:00",
            "call_window_end": "19:30",
            "call_days": [1, 3, 5],
            "completed_email_template": str(template.pk),
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    campaign = Campaign.objects.get(pk=body["id"])
    assert (campaign.status, campaign.language, campaign.max_attempts) == ("draft", "it", 4)
    assert campaign.call_window_end == dt.time(19, 30)
    assert campaign.call_days == [1, 3, 5]
    assert campaign.completed_email_template == template
    assert campaign.created_by == manager_user
    assert body["created_by"] == "max"
    assert body["counts"]["total"] == 0


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "name"),
        ({"name": "X", "max_attempts": 7}, "max_attempts"),
        ({"name": "X", "max_attempts": "three"}, "max_attempts"),
        ({"name": "X", "call_days": [0]}, "call_days"),
        ({"name": "X", "call_days": "Mon"}, "call_days"),
        ({"name": "X", "call_window_start": "25:00"}, "call_window_start"),
        (
            {"name": "X", "call_window_start": "19:00", "call_window_end": "09:00"},
            "call_window_end",
        ),
        ({"name": "X", "timezone": "Moon/Base"}, "timezone"),
        ({"name": "X", "language": "de"}, "language"),
        ({"name": "X", "starts_at": "next week"}, "starts_at"),
        ({"name": "X", "refused_email_template": "not-a-uuid"}, "refused_email_template"),
        ({"name": "X", "status": "running"}, None),  # read-only: ignored, still a draft
    ],
)
def test_bad_input_is_a_400_by_field(manager_api, payload, field):
    response = manager_api.post(URL, payload, format="json")
    if field is None:
        assert response.status_code == 201
        assert response.json()["status"] == "draft"
        return
    assert response.status_code == 400
    assert field in response.json(), response.json()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("{not json", "application/json"),
        ("[1, 2]", "application/json"),
        ("\x00\x01\x02", "application/octet-stream"),
    ],
)
def test_malformed_bodies_are_a_4xx(manager_api, body, content_type):
    response = manager_api.generic("POST", URL, body, content_type=content_type)
    assert 400 <= response.status_code < 500
    assert not Campaign.objects.exists()

"""GET /api/campaigns/{id}/stats — the contract of docs/architecture.md §8, its parameters and
roles."""

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from dashboard.api import CampaignStatsOutputSerializer

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory(timezone="America/New_York", status="running")
    now = timezone.now()
    answered = now - dt.timedelta(seconds=90)
    CallAttemptFactory(
        contact=ContactFactory(campaign=campaign, state="completed"),
        started_at=now - dt.timedelta(seconds=100),
        answered_at=answered,
        ended_at=now,
        outcome=CallOutcome.COMPLETED,
    )
    ContactFactory(campaign=campaign)
    return campaign


def url(campaign_id, query: str = "") -> str:
    return f"/api/campaigns/{campaign_id}/stats" + (f"?{query}" if query else "")


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, status, campaign):
    response = persona_api.get(url(campaign.pk))
    assert response.status_code == status
    if status == 200:
        assert response.json()["campaign_id"] == str(campaign.pk)
    else:
        assert "detail" in response.json()


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_missing_campaign_is_404(viewer_api, campaign_id):
    assert viewer_api.get(url(campaign_id)).status_code == 404


def test_answers_the_contract_field_for_field(viewer_api, campaign):
    body = viewer_api.get(url(campaign.pk)).json()

    serializer = CampaignStatsOutputSerializer()
    assert set(body) == set(serializer.fields)
    for nested in ("contacts", "call_outcomes", "rates", "duration_stats"):
        assert set(body[nested]) == set(serializer.fields[nested].fields), nested
    point_fields = {"timestamp", "attempts", "completed", "refused", "not_reached"}
    assert all(set(p) == point_fields for p in body["time_series_hourly"])
    assert all(set(p) == point_fields for p in body["time_series_daily"])

    assert body["campaign_name"] == campaign.name
    assert body["campaign_status"] == "running"
    assert body["contacts"]["total"] == 2
    assert body["contacts"]["completed"] == 1
    assert body["call_outcomes"]["total_attempts"] == 1
    assert body["rates"]["completion_rate"] == 50.0
    assert body["rates"]["answer_rate"] == 100.0
    assert body["duration_stats"]["average_duration_seconds"] == 90.0
    assert len(body["time_series_hourly"]) == 24
    assert len(body["time_series_daily"]) == 30
    # The call started in the current local hour (or, at an hour's first 100 s, the one before).
    assert sum(p["attempts"] for p in body["time_series_hourly"][-2:]) == 1
    assert sum(p["attempts"] for p in body["time_series_daily"]) == 1
    # Timestamps carry the campaign's UTC offset (New York is UTC-4 or UTC-5).
    first = dt.datetime.fromisoformat(body["time_series_daily"][0]["timestamp"])
    assert first.utcoffset() in (dt.timedelta(hours=-4), dt.timedelta(hours=-5))
    assert (first.hour, first.minute) == (0, 0)
    assert dt.datetime.fromisoformat(body["generated_at"]).tzinfo is not None
    assert body["cached"] is False


@pytest.mark.parametrize(
    ("query", "hourly", "daily"),
    [
        ("time_series_hours=1&time_series_days=1", 1, 1),
        ("time_series_hours=168&time_series_days=90", 168, 90),
        ("include_time_series=false", 0, 0),
        ("include_time_series=0", 0, 0),
        ("include_time_series=true&time_series_hours=5", 5, 30),
        ("unknown_parameter=1", 24, 30),
    ],
)
def test_query_parameters(viewer_api, campaign, query, hourly, daily):
    body = viewer_api.get(url(campaign.pk, query)).json()
    assert (len(body["time_series_hourly"]), len(body["time_series_daily"])) == (hourly, daily)
    assert body["call_outcomes"]["total_attempts"] == 1


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("time_series_hours=0", "time_series_hours"),
        ("time_series_hours=169", "time_series_hours"),
        ("time_series_hours=-3", "time_series_hours"),
        ("time_series_hours=1.5", "time_series_hours"),
        ("time_series_hours=abc", "time_series_hours"),
        ("time_series_hours=", "time_series_hours"),
        ("time_series_hours=99999999999999999999999", "time_series_hours"),
        ("time_series_days=0", "time_series_days"),
        ("time_series_days=91", "time_series_days"),
        ("time_series_days=%00", "time_series_days"),
        ("include_time_series=maybe", "include_time_series"),
        ("include_time_series=", "include_time_series"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(viewer_api, campaign, query, field):
    response = viewer_api.get(url(campaign.pk, query))
    assert response.status_code == 400
    body = response.json()
    assert list(body) == [field]
    assert body[field][0]


def test_query_count_is_fixed(viewer_api, campaign, django_assert_num_queries):
    for _ in range(5):
        CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome=CallOutcome.BUSY)

    with django_assert_num_queries(4):
        # 1. the campaign
        # 2. contacts per state
        # 3. closed attempts per hour, with outcome counts and talk time, from their buckets
        # 4. attempts in flight per hour
        response = viewer_api.get(url(campaign.pk))
    assert response.json()["call_outcomes"]["busy"] == 5

    with django_assert_num_queries(1):  # the campaign; the figures come from the cache
        assert viewer_api.get(url(campaign.pk)).json()["cached"] is True


def test_answers_are_cached_per_query(viewer_api, campaign):
    assert viewer_api.get(url(campaign.pk)).json()["cached"] is False
    assert viewer_api.get(url(campaign.pk)).json()["cached"] is True
    # Another query is another entry, with its own figures.
    other = viewer_api.get(url(campaign.pk, "time_series_hours=2")).json()
    assert other["cached"] is False
    assert len(other["time_series_hourly"]) == 2
    again = viewer_api.get(url(campaign.pk, "time_series_hours=2")).json()
    assert again["cached"] is True
    assert len(again["time_series_hourly"]) == 2
    # The default query written out is the same entry as no query at all.
    spelled = "include_time_series=true&time_series_hours=24&time_series_days=30"
    assert viewer_api.get(url(campaign.pk, spelled)).json()["cached"] is True


def test_cached_figures_stay_until_they_expire(viewer_api, campaign, settings):
    first = viewer_api.get(url(campaign.pk)).json()
    CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome=CallOutcome.BUSY)

    cached = viewer_api.get(url(campaign.pk)).json()
    assert cached["call_outcomes"] == first["call_outcomes"]
    assert cached["generated_at"] == first["generated_at"]

    settings.STATS_CACHE_TTL_SECONDS = 0  # Django's cache: 0 = expire at once
    other = CampaignFactory()
    assert viewer_api.get(url(other.pk)).json()["cached"] is False
    assert viewer_api.get(url(other.pk)).json()["cached"] is False


def test_post_is_not_allowed(manager_api, campaign):
    assert manager_api.post(url(campaign.pk)).status_code == 405

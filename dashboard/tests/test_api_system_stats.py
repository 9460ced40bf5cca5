"""GET /api/dashboard/stats/overview|queue|orchestrator|platforms|campaigns: roles, shape and
query counts (the figures themselves are tested in test_system_stats.py)."""

import pytest
from django.core.cache import cache

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from dashboard import api

pytestmark = pytest.mark.django_db

ENDPOINTS = {
    # name: (output serializer, queries when computed — each named)
    # campaigns, contacts, closed attempts, calls in flight, responses, emails: one statement
    "overview": (api.SystemOverviewOutputSerializer, 1),
    # due contacts by campaign and time zone; calls in flight + closed attempts, one statement
    "queue": (api.SystemQueueOutputSerializer, 2),
    # the last scheduler run; runs in 24 h + calls in flight + max concurrency, one statement
    "orchestrator": (api.SystemOrchestratorOutputSerializer, 2),
    # closed attempts and calls in flight per provider, one statement
    "platforms": (api.SystemPlatformsOutputSerializer, 1),
    "campaigns": (api.SystemCampaignsOutputSerializer, 1),  # statuses + minutes + cost, one
}


@pytest.fixture
def some_data():
    CampaignFactory(status="running")
    for outcome in (None, CallOutcome.COMPLETED, CallOutcome.FAILED):
        CallAttemptFactory(outcome=outcome)
    SchedulerRunFactory(calls_placed=4)


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, status, endpoint):
    response = persona_api.get(f"/api/dashboard/stats/{endpoint}")
    assert response.status_code == status
    if status == 401:
        assert "detail" in response.json()


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_shape_and_query_count(viewer_api, some_data, endpoint, django_assert_num_queries):
    serializer, queries = ENDPOINTS[endpoint]

    with django_assert_num_queries(queries):
        response = viewer_api.get(f"/api/dashboard/stats/{endpoint}")

    assert response.status_code == 200
    assert set(response.json()) == set(serializer().fields)


def test_answers_carry_real_figures(viewer_api, some_data):
    get = lambda name: viewer_api.get(f"/api/dashboard/stats/{name}").json()  # noqa: E731
    assert get("overview")["total_call_attempts"] == 3
    assert get("queue")["processing"] == 1
    assert get("orchestrator")["actions_last_run"] == 4
    assert get("platforms")["simulator"]["calls_completed"] == 1
    assert get("campaigns")["by_status"]["running"] == 1


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_read_only(admin_api, endpoint):
    assert admin_api.post(f"/api/dashboard/stats/{endpoint}").status_code == 405


CACHED = ["overview", "queue", "platforms", "campaigns"]


@pytest.mark.parametrize("endpoint", CACHED)
def test_whole_table_figures_are_cached(viewer_api, some_data, endpoint):
    url = f"/api/dashboard/stats/{endpoint}"
    first = viewer_api.get(url).json()
    CallAttemptFactory(outcome=CallOutcome.FAILED, provider="twilio")
    CampaignFactory(status="scheduled")

    assert viewer_api.get(url).json() == first  # from the cache

    cache.clear()  # as if the entry had expired
    assert viewer_api.get(url).json() != first


def test_cached_answers_need_no_query(viewer_api, some_data, django_assert_num_queries):
    for endpoint in CACHED:
        viewer_api.get(f"/api/dashboard/stats/{endpoint}")
    with django_assert_num_queries(0):
        for endpoint in CACHED:
            assert viewer_api.get(f"/api/dashboard/stats/{endpoint}").status_code == 200


def test_orchestrator_stays_live(viewer_api, some_data):
    url = "/api/dashboard/stats/orchestrator"
    assert viewer_api.get(url).json()["actions_last_run"] == 4
    SchedulerRunFactory(calls_placed=9)
    assert viewer_api.get(url).json()["actions_last_run"] == 9

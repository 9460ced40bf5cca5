"""The system dashboard page (`system_dashboard`) and its htmx partial
(`system_dashboard_panel`)."""

import json

import pytest
from django.urls import reverse

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory

pytestmark = pytest.mark.django_db

PAGE = "/dashboard/system"
PANEL = "/dashboard/system/panel"


@pytest.fixture
def some_data():
    CampaignFactory(status="scheduled")
    CampaignFactory(status="running")
    for outcome in (None, CallOutcome.COMPLETED, CallOutcome.FAILED, CallOutcome.FAILED):
        CallAttemptFactory(outcome=outcome)
    SchedulerRunFactory(calls_placed=1234)


def test_url_names():
    assert reverse("system_dashboard") == PAGE
    assert reverse("system_dashboard_panel") == PANEL


@pytest.mark.parametrize("url", [PAGE, PANEL])
@pytest.mark.parametrize(
    ("persona", "status"), [("admin", 200), ("manager", 200), ("viewer", 200)], indirect=["persona"]
)
def test_every_role_may_read(persona_client, persona, status, url, some_data):
    response = persona_client.get(url)
    assert response.status_code == status
    assert b"Calls placed by the last tick" in response.content


@pytest.mark.parametrize("url", [PAGE, PANEL])
def test_anonymous_goes_to_login(client, url):
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={url}"


def test_signed_out_htmx_refresh_sends_the_whole_page_to_login(client):
    response = client.get(
        PANEL, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="http://testserver/dashboard/system"
    )
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/dashboard/system"


def test_signed_out_htmx_refresh_never_redirects_off_site(client):
    response = client.get(
        PANEL, HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/phish"
    )
    assert response["HX-Redirect"] == "/accounts/login/?next=/"


def test_page_shows_the_five_blocks_and_the_chart(viewer_client, some_data):
    response = viewer_client.get(PAGE)
    content = response.content.decode()

    for block in ("overview", "queue", "orchestrator", "platforms", "campaigns"):
        assert f'data-block="{block}"' in content
    assert response.context["overview"]["total_call_attempts"] == 4
    assert '<div class="label">Failed calls</div><div class="value">2</div>' in content
    assert ">1,234</td>" in content  # calls placed by the last tick
    # Calls placed in 24 hours and per hour are the attempts started (the campaigns' own
    # figures added up), not what the scheduler runs say.
    assert response.context["orchestrator"]["actions_last_24h"] == 4
    # The chart's data, and the same figures as a table for readers without JavaScript.
    chart = json.loads(_json_script(content))
    assert chart["type"] == "bar"
    assert len(chart["labels"]) == 24
    assert chart["datasets"][0]["data"][-1] == 4
    assert 'data-chart="system-calls-chart"' in content
    assert "<details" in content
    # Every figure says what it counts.
    assert "in scheduled, running and paused campaigns" in content
    assert "every time on this page is in UTC" in content
    # Scripts are served by us, never by a CDN.
    assert "/static/vendor/htmx/htmx.min.js" in content
    assert "/static/vendor/chart.js/chart.umd.min.js" in content
    assert "://" not in "".join(line for line in content.splitlines() if "<script src" in line)
    # Refreshes itself, keeps the old figures on an error answer, links itself in the nav.
    assert 'hx-trigger="every 60s"' in content
    assert 'hx-status:5xx="swap:none"' in content
    assert f'<a href="{PAGE}" aria-current="page">System</a>' in content


def _json_script(content: str) -> str:
    start = content.index('<script id="system-calls-chart" type="application/json">')
    start = content.index(">", start) + 1
    return content[start : content.index("</script>", start)]


def test_panel_is_the_fragment_alone(viewer_client, some_data):
    content = viewer_client.get(PANEL, HTTP_HX_REQUEST="true").content.decode()
    assert content.lstrip().startswith("<section")
    assert "<html" not in content
    assert 'id="system-stats"' in content


def test_broker_outage_is_shown_not_raised(viewer_client, broker_down):
    response = viewer_client.get(PAGE)
    assert response.status_code == 200
    assert b"broker unreachable" in response.content


@pytest.mark.parametrize("url", [PAGE, PANEL])
def test_query_count(viewer_client, some_data, url, django_assert_num_queries):
    with django_assert_num_queries(11):
        # 1. session  2. user
        # 3. overview: one-row aggregates in one statement
        # 4. queue: due contacts by campaign and zone  5. calls in flight + closed attempts
        # 6. last scheduler run  7. attempts in 24 h + calls in flight + max concurrency
        # 8. closed attempts and calls in flight per provider, in one statement
        # 9. campaigns per status + billed minutes + cost per minute
        # 10-11. calls placed per hour: closed attempts (buckets), calls in flight
        viewer_client.get(url)
    with django_assert_num_queries(6):
        # session, user; overview, queue, platforms and campaigns come from the cache;
        # last scheduler run, attempts in 24 h + in flight + concurrency; calls per hour
        # (closed, in flight)
        viewer_client.get(url)

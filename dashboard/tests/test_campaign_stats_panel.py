"""The campaign statistics panel: the `campaign_stats_panel` partial view, and the
`{% campaign_stats_panel campaign %}` tag the campaign page includes it with."""

import datetime as dt
import json
import uuid
import zoneinfo

import pytest
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    """Four contacts, three finished calls (one answered for 42 s), one in flight."""
    campaign = CampaignFactory(name="Spring check-in", timezone="Europe/Rome", status="running")
    now = timezone.now()
    states = [ContactState.COMPLETED, ContactState.REFUSED, ContactState.NOT_REACHED]
    for state, outcome in zip(
        states, [CallOutcome.COMPLETED, CallOutcome.REFUSED, CallOutcome.BUSY], strict=True
    ):
        talk = dt.timedelta(seconds=42) if outcome == CallOutcome.COMPLETED else None
        CallAttemptFactory(
            contact=ContactFactory(campaign=campaign, state=state),
            outcome=outcome,
            started_at=now - dt.timedelta(minutes=1),
            answered_at=now - talk if talk else None,
            ended_at=now,
        )
    CallAttemptFactory(contact=ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS))
    return campaign


def url(campaign_id):
    return f"/campaigns/{campaign_id}/stats-panel"


def test_url_name(campaign):
    assert reverse("campaign_stats_panel", args=[campaign.pk]) == url(campaign.pk)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status, campaign):
    response = persona_client.get(url(campaign.pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert b"Completion rate" in response.content


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_missing_campaign_is_404(viewer_client, campaign_id):
    assert viewer_client.get(url(campaign_id)).status_code == 404


def test_signed_out_htmx_refresh_sends_the_page_to_login(client, campaign):
    page = "http://testserver/campaigns/some-page"
    response = client.get(url(campaign.pk), HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)
    assert response.status_code == 401
    assert response["HX-Redirect"] == "/accounts/login/?next=/campaigns/some-page"


def _stat(content: str, label: str) -> str:
    start = content.index(f'<div class="label">{label}</div><div class="value">')
    start = content.index('class="value">', start) + len('class="value">')
    return content[start : content.index("</div>", start)]


def _json(content: str, element_id: str) -> dict:
    start = content.index(f'<script id="{element_id}" type="application/json">')
    start = content.index(">", start) + 1
    return json.loads(content[start : content.index("</script>", start)])


def test_panel_shows_cards_rates_duration_and_charts(viewer_client, campaign):
    response = viewer_client.get(url(campaign.pk))
    content = response.content.decode()

    assert _stat(content, "Contacts") == "4"
    assert _stat(content, "In progress") == "1"
    assert _stat(content, "Call attempts") == "4"
    assert _stat(content, "Completion rate") == "25.00 %"
    assert _stat(content, "Refusal rate") == "25.00 %"
    assert _stat(content, "Not-reached rate") == "25.00 %"
    assert _stat(content, "Answer rate") == "66.67 %"  # 2 of 3 finished calls
    assert _stat(content, "Average call") == "42.0 s"
    # Charts of attempts and completions per hour and per day, from the same figures.
    panel_id = f"campaign-stats-{campaign.pk.hex}"
    hourly = _json(content, f"{panel_id}-hourly")
    daily = _json(content, f"{panel_id}-daily")
    assert [d["label"] for d in hourly["datasets"]] == ["Attempts", "Completed"]
    assert len(hourly["labels"]) == 24
    assert len(daily["labels"]) == 30
    assert sum(hourly["datasets"][0]["data"]) == 4
    assert sum(daily["datasets"][1]["data"]) == 1
    assert f'data-chart="{panel_id}-hourly"' in content
    # The same series as tables, for readers without JavaScript.
    assert "<details" in content
    assert "Attempts</th>" in content
    # Every 60 s, and at once when an upload on the page has imported contacts or the
    # campaign's status changed.
    assert (
        'hx-trigger="every 60s, contacts-imported from:body, campaign-status-changed from:body"'
        in content
    )
    assert "refreshed every 60 seconds" in content
    assert "(Europe/Rome)" in content


def test_rates_say_what_they_divide_by_and_leave_out_the_excluded(viewer_client, campaign):
    ContactFactory(campaign=campaign, state=ContactState.EXCLUDED)
    content = viewer_client.get(url(campaign.pk)).content.decode()
    assert _stat(content, "Completion rate") == "25.00 %"  # 1 of 4: the excluded one is out
    assert "1 of 4 contacts that could be called" in content
    assert "2 of 3 finished calls" in content
    # Only completion is painted as good news.
    assert 'class="bar bar-good"' in content
    assert 'class="bar bar-refused"' in content
    assert 'class="bar bar-not-reached"' in content


@pytest.mark.parametrize("status", ["draft", "running"])
def test_no_rates_before_anything_to_rate(viewer_client, status):
    campaign = CampaignFactory(status=status)
    ContactFactory(campaign=campaign)
    content = viewer_client.get(url(campaign.pk)).content.decode()
    assert _stat(content, "Completion rate") == "—"
    assert "0.00 %" not in content


def test_a_final_campaign_says_when_it_started_and_ended(viewer_client, manager_user):
    from campaigns.services import campaign_activate, campaign_cancel

    campaign = CampaignFactory(timezone="Europe/London")
    ContactFactory(campaign=campaign)
    campaign_activate(campaign=campaign, actor=manager_user)
    campaign_cancel(campaign=campaign, actor=manager_user)
    content = viewer_client.get(url(campaign.pk)).content.decode()
    assert "final figures: started" in content
    assert "cancelled <time" in content
    assert "refreshed every" not in content
    # No polling of final figures; a status change (none can come) is still listened to.
    assert 'hx-trigger="campaign-status-changed from:body"' in content


def test_panel_and_api_share_one_computation(viewer_client, viewer_api, campaign):
    viewer_client.get(url(campaign.pk))
    # The API's default query finds the panel's figures in the cache, and vice versa.
    assert viewer_api.get(f"/api/campaigns/{campaign.pk}/stats").json()["cached"] is True
    assert b"from the cache" in viewer_client.get(url(campaign.pk)).content


def test_query_count(viewer_client, campaign, django_assert_num_queries):
    with django_assert_num_queries(6):
        # 1. session  2. user  3. campaign  4. contacts per state
        # 5. closed attempts per hour, from their buckets  6. attempts in flight per hour
        viewer_client.get(url(campaign.pk))
    with django_assert_num_queries(3):  # session, user, campaign; the figures are cached
        viewer_client.get(url(campaign.pk))


def test_template_tag_renders_the_panel_in_place(campaign, django_assert_num_queries):
    template = Template("{% load dashboard %}<main>{% campaign_stats_panel campaign %}</main>")
    # contacts per state; closed attempts per hour (buckets); attempts in flight per hour
    with django_assert_num_queries(3):
        html = template.render(Context({"campaign": campaign}))
    assert f'id="campaign-stats-{campaign.pk.hex}"' in html
    assert _stat(html, "Completed") == "1"
    assert f'hx-get="{url(campaign.pk)}"' in html


def test_the_time_of_the_figures_is_the_campaigns_local_time(viewer_client, campaign):
    """Django's `date` filter shows an aware time in the server's zone (UTC): the panel must
    convert to the campaign's zone itself, which it names beside the time."""
    response = viewer_client.get(reverse("campaign_stats_panel", args=[campaign.pk]))
    html = response.content.decode()
    shown = html.split("data-generated-at>", 1)[1].split("<", 1)[0]
    stamp = html.split('<time datetime="', 1)[1].split('"', 1)[0]
    generated = dt.datetime.fromisoformat(stamp)
    rome = generated.astimezone(zoneinfo.ZoneInfo("Europe/Rome"))
    assert shown == rome.strftime("%Y-%m-%d %H:%M:%S")
    assert "(Europe/Rome)" in html

"""The campaign list page: key counts in one query, status badges and filter, role-aware."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.selectors import provider_config_get
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_counts_in_one_query(client, manager_user, django_assert_num_queries):
    campaign = CampaignFactory(name="Counted", status="running")
    ContactFactory(campaign=campaign, state=ContactState.COMPLETED, attempts_count=1)
    ContactFactory(campaign=campaign, state=ContactState.NOT_REACHED, attempts_count=3)
    ContactFactory(campaign=campaign)
    for _ in range(4):
        CampaignFactory()
    provider_config_get()
    client.force_login(manager_user)
    with django_assert_num_queries(9):
        # 1. session  2. user  3. pagination count  4. the page of campaigns with counts
        # the page's progress (calls/progress.py): 5. contacts by campaign, state and attempts
        # 6. the last hour's attempts  7. the stats buckets; its cost (calls/spend.py):
        # 8. the price per minute  9. billed minutes and completed calls per campaign
        response = client.get("/")
    assert response.status_code == 200
    row = next(c for c in response.context["page"].object_list if c.name == "Counted")
    assert (row.contacts_total, row.contacts_attempted, row.contacts_completed) == (3, 2, 1)
    assert row.contacts_not_reached == 1
    assert b'<span class="badge badge-running">Running</span>' in response.content
    assert reverse("campaign_detail", args=[campaign.pk]).encode() in response.content


def test_filters_by_status(client, viewer_user):
    CampaignFactory(name="A running one", status="running")
    CampaignFactory(name="A draft one")
    client.force_login(viewer_user)
    response = client.get("/?status=running")
    assert b"A running one" in response.content
    assert b"A draft one" not in response.content
    # An unknown status shows everything rather than failing.
    response = client.get("/?status=nonsense")
    assert b"A running one" in response.content
    assert b"A draft one" in response.content


def test_the_new_campaign_button_is_for_those_who_manage(client, manager_user, viewer_user):
    new = reverse("campaign_new").encode()
    client.force_login(manager_user)
    assert new in client.get("/").content
    client.force_login(viewer_user)
    assert new not in client.get("/").content


def test_progress_finish_and_cost_columns(client, viewer_user, settings):
    settings.CALL_COST_CURRENCY = "GBP"
    config = provider_config_get()
    config.cost_per_minute = "0.50"
    config.save()
    campaign = CampaignFactory(name="Measured", status="running", timezone="Europe/London")
    done = ContactFactory(campaign=campaign, state=ContactState.COMPLETED, attempts_count=1)
    ContactFactory(campaign=campaign)
    now = timezone.now()
    CallAttemptFactory(
        contact=done,
        outcome="completed",
        started_at=now - dt.timedelta(minutes=5),
        answered_at=now - dt.timedelta(minutes=4),
        ended_at=now - dt.timedelta(minutes=2, seconds=30),  # 90 s: 2 billed minutes
    )
    client.force_login(viewer_user)
    content = client.get("/").content.decode()
    row = content[content.index("Measured") :]
    row = row[: row.index("</tr>")]
    assert "50.0 %" in row
    assert "1 of 2 done" in row
    assert "1 calls in the last hour" in row
    assert "1.00 GBP" in row  # 2 minutes × 0.50
    assert "1.00 per completed survey" in row
    # One call left at four an hour (one call in one quarter hour): the estimated finish,
    # named in the campaign's zone, whatever day and hour the test runs.
    assert "Europe/London" in row

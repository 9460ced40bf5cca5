"""A user's own time zone (issue 15, item 5: "the viewer's own zone, a user setting, default
the campaign's"): chosen on the account page or through `PATCH /api/me`, and then every time
on every page is in it, named — the campaign pages' too, whose figures by hour and day follow."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from campaigns.tests.factories import CampaignFactory
from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory
from voicesurvey.models import User

pytestmark = pytest.mark.django_db

CREATED = dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)  # 23:30 in London, 08:30 in Tokyo


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_every_role_has_an_account_page(persona_client, persona, status):
    response = persona_client.get("/account")
    assert response.status_code == status
    if persona is None:
        assert response["Location"].startswith("/accounts/login/")
    else:
        assert b"Times on the pages" in response.content
        assert b"data-zone-select" in response.content


def test_the_account_page_sets_and_clears_the_zone(client, viewer_user):
    client.force_login(viewer_user)
    response = client.post("/account", {"timezone": "Asia/Tokyo"}, follow=True)
    assert b"Saved: times are shown in Asia/Tokyo." in response.content
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == "Asia/Tokyo"
    assert b'<option value="Asia/Tokyo" selected>' in client.get("/account").content

    response = client.post("/account", {"timezone": ""}, follow=True)
    assert b"Saved: each page shows its own zone" in response.content
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == ""


def test_an_unknown_zone_is_refused_and_nothing_changes(client, viewer_user):
    client.force_login(viewer_user)
    response = client.post("/account", {"timezone": "Mars/Olympus"})
    assert response.status_code == 400
    assert b"Mars/Olympus is not one of the available choices" in response.content
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == ""


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_each_user_sets_their_own_zone_through_the_api(persona_api, persona, status):
    response = persona_api.patch("/api/me", {"timezone": "America/New_York"}, format="json")
    assert response.status_code == status
    if persona is not None:
        assert response.json()["timezone"] == "America/New_York"
        assert persona_api.get("/api/me").json()["timezone"] == "America/New_York"
        persona.refresh_from_db()
        assert persona.timezone == "America/New_York"


def test_a_bad_zone_through_the_api_is_a_400_naming_the_field(viewer_api, viewer_user):
    response = viewer_api.patch("/api/me", {"timezone": "Europe/Atlantis"}, format="json")
    assert response.status_code == 400
    assert "timezone" in response.json()
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == ""


def _campaign():
    campaign = CampaignFactory(status="running", timezone="Europe/London")
    type(campaign).objects.filter(pk=campaign.pk).update(created_at=CREATED)
    ContactFactory(campaign=campaign, attempts_count=1, last_attempt_at=CREATED)
    return campaign


def test_a_campaign_page_is_in_the_campaign_s_zone_by_default(client, viewer_user):
    campaign = _campaign()
    client.force_login(viewer_user)
    html = client.get(f"/campaigns/{campaign.pk}").content.decode()
    assert "2026-12-01 23:30 (Europe/London)" in html  # created
    assert "Asia/Tokyo" not in html
    assert "Last attempt (Europe/London)" in html


def test_a_campaign_page_is_in_the_viewer_s_own_zone_when_they_chose_one(client, viewer_user):
    campaign = _campaign()
    User.objects.filter(pk=viewer_user.pk).update(timezone="Asia/Tokyo")
    client.force_login(viewer_user)
    html = client.get(f"/campaigns/{campaign.pk}").content.decode()
    assert "2026-12-02 08:30 (Asia/Tokyo)" in html  # created, in Tokyo
    assert "Times in Asia/Tokyo." in html  # the status panel
    assert "the times on this page are in your own zone, Asia/Tokyo" in html
    # Every time on the page is Tokyo's: the campaign's zone shows only as its setting.
    assert html.count("Europe/London") == 1

    stats = client.get(f"/campaigns/{campaign.pk}/stats-panel").content.decode()
    assert "(Asia/Tokyo)" in stats
    assert "Europe/London" not in stats
    table = client.get(f"/campaigns/{campaign.pk}/contacts-table").content.decode()
    assert "Last attempt (Asia/Tokyo)" in table
    assert "2026-12-02 08:30" in table


def test_the_other_pages_name_the_viewer_s_zone_instead_of_utc(client, admin_user):
    ExclusionEntry.objects.create(phone_number="+393471234567", reason="manual")
    client.force_login(admin_user)
    assert "Added (UTC)" in client.get("/exclusions").content.decode()
    assert "every time on this page is in UTC" in client.get("/dashboard/system").content.decode()

    User.objects.filter(pk=admin_user.pk).update(timezone="Australia/Sydney")
    assert "Added (Australia/Sydney)" in client.get("/exclusions").content.decode()
    system = client.get("/dashboard/system").content.decode()
    assert "every time on this page is in Australia/Sydney" in system
    assert "UTC" not in system.split("<main", 1)[1]
    _campaign()
    listed = client.get("/").content.decode()
    assert "Created (Australia/Sydney)" in listed
    assert "2026-12-02" in listed  # 10:30 on the 2nd in Sydney (23:30 on the 1st in UTC)


def test_a_zone_the_system_no_longer_knows_falls_back_to_the_pages_own(client, viewer_user):
    campaign = _campaign()
    User.objects.filter(pk=viewer_user.pk).update(timezone="Mars/Olympus")  # not via the form
    client.force_login(viewer_user)
    response = client.get(f"/campaigns/{campaign.pk}")
    assert response.status_code == 200
    assert "2026-12-01 23:30 (Europe/London)" in response.content.decode()


def test_the_zone_is_the_request_s_only(client, viewer_user):
    User.objects.filter(pk=viewer_user.pk).update(timezone="Asia/Tokyo")
    client.force_login(viewer_user)
    client.get("/account")
    assert timezone.get_current_timezone_name() == "UTC"


def test_the_api_answers_in_utc_whatever_the_caller_s_own_zone(client, viewer_user):
    """A session (the Swagger UI) carries the user: the API still answers as to anyone."""
    campaign = _campaign()
    User.objects.filter(pk=viewer_user.pk).update(timezone="Asia/Tokyo")
    client.force_login(viewer_user)
    body = client.get(f"/api/campaigns/{campaign.pk}").json()
    assert body["created_at"] == "2026-12-01T23:30:00Z"
    assert client.get("/api/me").json()["timezone"] == "Asia/Tokyo"


def test_the_service_refuses_an_unknown_zone_and_saves_nothing(viewer_user):
    from django.core.exceptions import ValidationError

    from voicesurvey.services import user_timezone_set

    with pytest.raises(ValidationError, match="Unknown time zone"):
        user_timezone_set(user=viewer_user, zone="Europe/Atlantis")
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == ""
    assert user_timezone_set(user=viewer_user, zone="Europe/Rome").timezone == "Europe/Rome"

"""The masked-number oracle, closed (security review): a viewer sees `+39 *** *** 4567`, and
used to be able to ask the contacts API and table whether `+393400000000` was a contact — one
guess at a time, a whole number in hours. Viewers now search by external id only, a
phone-shaped search from them is refused with a message, and every search is rate-limited."""

from __future__ import annotations

import pytest
from django.urls import reverse

from campaigns.tests.factories import CampaignFactory
from contacts.search import TOO_MANY_SEARCHES, VIEWERS_SEARCH_BY_ID, is_phone_shaped
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

NUMBER = "+393400000000"


@pytest.fixture
def campaign():
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign, phone_number=NUMBER, external_contact_id="CRM-7")
    return campaign


def api_search(client, campaign, term):
    return client.get(f"/api/campaigns/{campaign.pk}/contacts", {"search": term})


def table_search(client, campaign, term):
    return client.get(reverse("contacts:table", args=[campaign.pk]), {"q": term})


@pytest.mark.parametrize(
    "term", [NUMBER, "+39 340 000 0000", "0039 340 0000000", "3400000000", "(340) 000-0000"]
)
def test_a_viewer_cannot_search_the_api_by_number(viewer_api, campaign, term):
    response = api_search(viewer_api, campaign, term)
    assert response.status_code == 400
    assert response.json() == {"search": [VIEWERS_SEARCH_BY_ID]}


def test_a_viewer_cannot_search_the_table_by_number(client, viewer_user, campaign):
    client.force_login(viewer_user)
    response = table_search(client, campaign, NUMBER)
    assert response.status_code == 400
    html = response.content.decode()
    assert "searches by external id only" in html
    assert "CRM-7" not in html  # no row, so no answer either way


def test_a_viewer_still_searches_by_external_id(viewer_api, client, viewer_user, campaign):
    response = api_search(viewer_api, campaign, "CRM-7")
    assert [c["external_contact_id"] for c in response.json()["results"]] == ["CRM-7"]
    client.force_login(viewer_user)
    assert "CRM-7" in table_search(client, campaign, "CRM-7").content.decode()


def test_managers_still_search_by_number(manager_api, campaign):
    response = api_search(manager_api, campaign, NUMBER)
    assert [c["external_contact_id"] for c in response.json()["results"]] == ["CRM-7"]


def test_searches_are_rate_limited_per_user(manager_api, viewer_api, campaign, settings):
    settings.SEARCHES_PER_MINUTE = 3
    for _ in range(3):
        assert api_search(manager_api, campaign, NUMBER).status_code == 200
    refused = api_search(manager_api, campaign, NUMBER)
    assert refused.status_code == 429
    assert refused.json()["detail"] == TOO_MANY_SEARCHES
    assert api_search(manager_api, campaign, "").status_code == 200  # listing is not searching
    assert api_search(viewer_api, campaign, "CRM-7").status_code == 200  # someone else


def test_refused_searches_count_too(client, viewer_user, campaign, settings):
    settings.SEARCHES_PER_MINUTE = 2
    client.force_login(viewer_user)
    assert table_search(client, campaign, NUMBER).status_code == 400
    assert table_search(client, campaign, NUMBER).status_code == 400
    assert table_search(client, campaign, NUMBER).status_code == 429


@pytest.mark.parametrize(
    ("term", "shaped"),
    [
        ("+39 347 123 4567", True),
        ("3471234567", True),
        ("(212) 555-0123", True),
        ("CRM-7", False),
        ("12345", False),  # short ids stay searchable
        ("A-3471234567", False),
    ],
)
def test_what_is_phone_shaped(term, shaped):
    assert is_phone_shaped(term) is shaped

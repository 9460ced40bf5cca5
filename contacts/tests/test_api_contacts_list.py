"""`GET /api/campaigns/{id}/contacts`: filters state, last_outcome, search (an exact phone
number in any notation, or an exact external id); paginated; numbers masked for viewers."""

from __future__ import annotations

import uuid

import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    campaign = CampaignFactory()
    ContactFactory(
        campaign=campaign,
        phone_number="+393471234567",
        external_contact_id="CRM-1",
        email="ada@example.org",
    )
    ContactFactory(
        campaign=campaign,
        phone_number="+447911123456",
        external_contact_id="CRM-2",
        state=ContactState.NOT_REACHED,
        attempts_count=3,
        last_outcome="no_answer",
    )
    ContactFactory(
        campaign=campaign,
        phone_number="+393471234568",
        external_contact_id="3471234567",  # an id that looks like a number
        state=ContactState.COMPLETED,
        attempts_count=1,
        last_outcome="completed",
    )
    ContactFactory(phone_number="+393471234569")  # another campaign's
    return campaign


def _get(client, campaign, query=""):
    return client.get(f"/api/campaigns/{campaign.pk}/contacts{query}")


def _ids(response) -> list[str]:
    return [c["external_contact_id"] for c in response.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, campaign, expected):
    assert _get(persona_api, campaign).status_code == expected


def test_unknown_campaign_is_404(viewer_api):
    response = viewer_api.get(f"/api/campaigns/{uuid.uuid4()}/contacts")
    assert response.status_code == 404
    assert "detail" in response.json()


def test_the_campaign_s_contacts_in_upload_order_with_every_field(manager_api, campaign):
    response = _get(manager_api, campaign)
    body = response.json()
    assert body["count"] == 3
    assert body["next"] is None
    assert _ids(response) == ["CRM-1", "CRM-2", "3471234567"]
    first = body["results"][0]
    assert set(first) == {
        "id",
        "campaign_id",
        "external_contact_id",
        "phone_number",
        "email",
        "preferred_language",
        "timezone",
        "has_prior_consent",
        "do_not_call",
        "state",
        "attempts_count",
        "last_attempt_at",
        "last_outcome",
        "next_attempt_at",
        "callback_at",
        "attributes",
        "created_at",
    }
    assert first["phone_number"] == "+393471234567"
    assert first["email"] == "ada@example.org"
    assert first["campaign_id"] == str(campaign.pk)
    assert first["last_outcome"] is None
    assert body["results"][1]["last_outcome"] == "no_answer"
    assert first["callback_at"] is None
    assert first["attributes"] == {}


def test_viewers_get_masked_numbers_and_no_email(viewer_api, campaign):
    first = _get(viewer_api, campaign).json()["results"][0]
    assert first["phone_number"] == "+39 *** *** 4567"
    assert first["email"] is None


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("?state=not_reached", ["CRM-2"]),
        ("?state=completed", ["3471234567"]),
        ("?last_outcome=no_answer", ["CRM-2"]),
        ("?state=pending&last_outcome=completed", []),
        ("?search=%2B39%20347%20123%204567", ["CRM-1"]),
        ("?search=3471234567", ["CRM-1", "3471234567"]),  # the number, and an id
        ("?search=347-123-4568", ["3471234567"]),  # a national number, normalised
        ("?search=0044%207911%20123456", ["CRM-2"]),
        ("?search=CRM-2", ["CRM-2"]),
        ("?search=CRM", []),  # exact, not a substring
        ("?search=+393471234569", []),  # another campaign's
        ("?search=", ["CRM-1", "CRM-2", "3471234567"]),
    ],
)
def test_filters(manager_api, campaign, query, expected):
    response = _get(manager_api, campaign, query)
    assert response.status_code == 200
    assert _ids(response) == expected


@pytest.mark.parametrize("field", ["state", "last_outcome"])
def test_an_unknown_choice_is_400_naming_the_field(manager_api, campaign, field):
    response = _get(manager_api, campaign, f"?{field}=bogus")
    assert response.status_code == 400
    assert list(response.json()) == [field]


@pytest.mark.parametrize("query", ["?page=0", "?page=99", "?page=x", "?page_size=-1&page=abc"])
def test_bad_pages_never_500(manager_api, campaign, query):
    assert _get(manager_api, campaign, query).status_code in (200, 404)


def test_pagination(manager_api, campaign):
    response = _get(manager_api, campaign, "?page_size=2&page=2")
    assert response.json()["count"] == 3
    assert _ids(response) == ["3471234567"]
    assert response.json()["previous"] is not None


def test_query_count_does_not_grow_with_the_page(manager_api, campaign, django_assert_num_queries):
    for n in range(30):
        ContactFactory(campaign=campaign, phone_number=f"+3934799{n:05d}")
    # 1: the campaign, 2: the count, 3: the page (force_authenticate: no session or user query)
    with django_assert_num_queries(3):
        response = _get(manager_api, campaign, "?state=pending&search=%2B393479900001")
    assert response.json()["count"] == 1

"""The campaign list's search by name, date filter and sort (issue 15 item 13), on the page
(`/`) and on `GET /api/campaigns`; a bad parameter is a 400 naming it."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.models import Campaign
from campaigns.selectors import campaign_list_search
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

DAY = dt.datetime(2026, 11, 1, 12, tzinfo=dt.UTC)


@pytest.fixture
def campaigns():
    """Four campaigns, created a day apart, with progress 2/4 (apple), 0/2 (banana),
    none (cherry, no contacts) and 1/1 (date)."""
    made = {}
    for n, (name, status) in enumerate(
        [
            ("Apple survey", "running"),
            ("Banana poll", "draft"),
            ("Cherry survey", "completed"),
            ("Date poll", "paused"),
        ]
    ):
        campaign = CampaignFactory(name=name, status=status, max_attempts=2)
        Campaign.objects.filter(pk=campaign.pk).update(created_at=DAY + dt.timedelta(days=n))
        made[name.split()[0].lower()] = campaign
    for state, attempts in [
        (ContactState.COMPLETED, 1),
        (ContactState.NOT_REACHED, 2),  # no attempt left: done
        (ContactState.NOT_REACHED, 1),  # a retry left
        (ContactState.PENDING, 0),
    ]:
        ContactFactory(campaign=made["apple"], state=state, attempts_count=attempts)
    ContactFactory(campaign=made["banana"])
    ContactFactory(campaign=made["banana"])
    ContactFactory(campaign=made["date"], state=ContactState.REFUSED, attempts_count=1)
    return made


def _names(queryset) -> list[str]:
    return [c.name.split()[0] for c in queryset]


@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ("name", ["Apple", "Banana", "Cherry", "Date"]),
        ("-name", ["Date", "Cherry", "Banana", "Apple"]),
        ("created", ["Apple", "Banana", "Cherry", "Date"]),
        ("-created", ["Date", "Cherry", "Banana", "Apple"]),
        ("progress", ["Banana", "Apple", "Date", "Cherry"]),  # no contacts: last either way
        ("-progress", ["Date", "Apple", "Banana", "Cherry"]),
        ("status", ["Banana", "Apple", "Date", "Cherry"]),  # draft, running, paused, completed
        ("-status", ["Cherry", "Date", "Apple", "Banana"]),
    ],
)
def test_the_selector_sorts(campaigns, sort, expected):
    assert _names(campaign_list_search(sort=sort)) == expected


def test_the_selector_searches_and_filters_by_date(campaigns):
    assert _names(campaign_list_search(search="  SURVEY ", sort="name")) == ["Apple", "Cherry"]
    between = campaign_list_search(
        created_after=dt.date(2026, 11, 2), created_before=dt.date(2026, 11, 3), sort="name"
    )
    assert _names(between) == ["Banana", "Cherry"]
    assert _names(campaign_list_search(statuses=["paused", "draft"], sort="name")) == [
        "Banana",
        "Date",
    ]


# --- the page ---------------------------------------------------------------------------------


def _page_names(response) -> list[str]:
    return [c.name.split()[0] for c in response.context["page"].object_list]


def test_the_page_searches_filters_and_sorts(client, viewer_user, campaigns):
    client.force_login(viewer_user)
    response = client.get("/", {"search": "poll", "sort": "-name"})
    assert response.status_code == 200
    assert _page_names(response) == ["Date", "Banana"]
    html = response.content.decode()
    assert 'value="poll"' in html
    assert '<option value="-name" selected>' in html
    # The status links keep the search and the sort.
    assert 'href="?status=draft&amp;search=poll&amp;sort=-name"' in html
    response = client.get("/", {"created_after": "2026-11-02", "sort": "progress"})
    assert _page_names(response) == ["Banana", "Date", "Cherry"]
    response = client.get("/", {"status": "running", "search": "survey"})
    assert _page_names(response) == ["Apple"]


def test_the_page_says_when_nothing_matches(client, viewer_user, campaigns):
    client.force_login(viewer_user)
    response = client.get("/", {"search": "nothing like it"})
    assert response.status_code == 200
    assert "No campaign matches." in response.content.decode()


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_before": "2026-13-01"}, "created_before"),
        ({"created_after": "2026-11-03", "created_before": "2026-11-01"}, "created_before"),
        ({"search": "x" * 201}, "search"),
    ],
)
def test_the_page_answers_a_bad_parameter_with_400_naming_it(
    client, viewer_user, campaigns, params, field
):
    client.force_login(viewer_user)
    response = client.get("/", params)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"({field}):" in html
    assert "Apple survey" not in html


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_the_page_role_matrix(persona_client, campaigns, expected):
    assert persona_client.get("/", {"search": "survey", "sort": "status"}).status_code == expected


# --- the API ----------------------------------------------------------------------------------


def _api_names(response) -> list[str]:
    return [row["name"].split()[0] for row in response.json()["results"]]


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_the_api_role_matrix(persona_api, campaigns, expected):
    assert persona_api.get("/api/campaigns", {"sort": "progress"}).status_code == expected


def test_the_api_searches_filters_and_sorts(viewer_api, campaigns):
    response = viewer_api.get("/api/campaigns", {"sort": "-progress"})
    assert response.status_code == 200
    assert _api_names(response) == ["Date", "Apple", "Banana", "Cherry"]
    response = viewer_api.get(
        "/api/campaigns",
        {"search": "survey", "created_before": "2026-11-02", "sort": "name"},
    )
    assert _api_names(response) == ["Apple"]
    response = viewer_api.get("/api/campaigns", {"status": "draft", "sort": "status"})
    assert _api_names(response) == ["Banana"]
    assert _api_names(viewer_api.get("/api/campaigns")) == ["Date", "Cherry", "Banana", "Apple"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"sort": "colour"}, "sort"),
        ({"created_after": "yesterday"}, "created_after"),
        ({"created_after": "2026-11-03", "created_before": "2026-11-01"}, "created_before"),
        ({"status": "finished"}, "status"),
    ],
)
def test_the_api_answers_a_bad_parameter_with_400_naming_it(viewer_api, campaigns, params, field):
    response = viewer_api.get("/api/campaigns", params)
    assert response.status_code == 400
    assert field in response.json()

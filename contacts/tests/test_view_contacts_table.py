"""The contacts table (`campaigns/{id}/contacts-table`; contacts_table_context for the campaign
page): 50 a page, state filter, exact search, masked numbers for viewers, links to calls."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def campaign():
    campaign = CampaignFactory(name="Autumn survey")
    ContactFactory(campaign=campaign, phone_number="+393471234567", external_contact_id="CRM-1")
    ContactFactory(
        campaign=campaign,
        phone_number="+447911123456",
        external_contact_id="CRM-2",
        state=ContactState.NOT_REACHED,
        attempts_count=3,
        last_outcome="busy",
    )
    return campaign


def _get(client, campaign, query="", **extra):
    return client.get(reverse("contacts:table", args=[campaign.pk]) + query, **extra)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, campaign, expected):
    response = _get(persona_client, campaign)
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_campaign_is_404(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get(f"/campaigns/{uuid.uuid4()}/contacts-table").status_code == 404


def test_post_is_not_allowed(client, manager_user, campaign):
    client.force_login(manager_user)
    assert client.post(reverse("contacts:table", args=[campaign.pk])).status_code == 405


def test_htmx_gets_the_table_and_others_a_page_with_the_upload_form(client, manager_user, campaign):
    client.force_login(manager_user)
    partial = _get(client, campaign, **HTMX).content.decode()
    page = _get(client, campaign).content.decode()
    assert partial.lstrip().startswith("<section")
    assert "<html" not in partial
    assert f'id="contacts-{campaign.pk}"' in partial
    assert "<html" in page
    assert "Contacts · Autumn survey" in page
    assert f'action="/campaigns/{campaign.pk}/contacts/upload"' in page
    assert 'hx-encoding="multipart/form-data"' in page
    assert f'href="/campaigns/{campaign.pk}"' in page  # back to the campaign page


def test_a_manager_sees_numbers_and_links_to_the_latest_call(client, manager_user, campaign):
    client.force_login(manager_user)
    html = _get(client, campaign, **HTMX).content.decode()
    reached = campaign.contacts.get(external_contact_id="CRM-2")
    assert "+393471234567" in html
    assert "+447911123456" in html
    assert html.count("Latest call") == 1  # only the contact that was called
    assert reverse("contact_latest_call", args=[reached.pk]) in html
    assert '<span class="badge badge-not_reached">Not reached</span>' in html
    assert '<span class="badge badge-busy">Busy</span>' in html
    assert "2 contacts" in html


def test_a_viewer_sees_masked_numbers_no_call_links_and_no_upload(client, viewer_user, campaign):
    client.force_login(viewer_user)
    html = _get(client, campaign).content.decode()
    assert "+39 *** *** 4567" in html
    assert "+44 *** *** 3456" in html
    assert "+393471234567" not in html
    assert "Latest call" not in html
    assert "Upload contacts" not in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ("?state=not_reached", "CRM-2", "CRM-1"),
        ("?q=347+123+4567", "CRM-1", "CRM-2"),
        ("?q=%2B44+7911+123456", "CRM-2", "CRM-1"),
        ("?q=CRM-2", "CRM-2", "CRM-1"),
        ("?state=bogus", "CRM-1", "nothing"),  # an unknown state is no filter
    ],
)
def test_filters(client, manager_user, campaign, query, shown, hidden):
    client.force_login(manager_user)
    html = _get(client, campaign, query, **HTMX).content.decode()
    assert f"<td>{shown}</td>" in html
    assert f"<td>{hidden}</td>" not in html


def test_no_match(client, manager_user, campaign):
    client.force_login(manager_user)
    html = _get(client, campaign, "?q=CRM", **HTMX).content.decode()
    assert "No contact matches." in html


def test_no_contacts_yet_invites_managers_to_upload(client, manager_user):
    client.force_login(manager_user)
    html = _get(client, CampaignFactory(), **HTMX).content.decode()
    assert "No contacts yet. Upload a CSV file to add some." in html


def test_a_final_campaign_page_says_no_more_uploads(client, manager_user):
    client.force_login(manager_user)
    html = _get(client, CampaignFactory(status=CampaignStatus.COMPLETED)).content.decode()
    assert "This campaign is completed: no more contacts can be added to it." in html
    assert 'name="file"' not in html


def test_fifty_a_page_and_links_keep_the_filters(client, manager_user, django_assert_num_queries):
    campaign = CampaignFactory()
    for n in range(51):
        ContactFactory(campaign=campaign, external_contact_id=f"P-{n:02d}")
    client.force_login(manager_user)

    # 1: session, 2: user, 3: campaign, 4: count, 5: the page of contacts, 6: the campaign's
    # attribute names (cached after)
    with django_assert_num_queries(6):
        first = _get(client, campaign, "?state=pending", **HTMX).content.decode()
    assert first.count("<tr>") == 51  # the header row and 50 contacts
    assert "Page 1 of 2" in first
    table = reverse("contacts:table", args=[campaign.pk])
    assert f'href="{table}?state=pending&amp;page=2"' in first
    assert f'hx-get="{table}?state=pending&amp;page=2"' in first

    second = _get(client, campaign, "?state=pending&page=2", **HTMX).content.decode()
    assert "<td>P-50</td>" in second
    assert "<td>P-00</td>" not in second
    assert _get(client, campaign, "?page=999", **HTMX).status_code == 200  # the last page

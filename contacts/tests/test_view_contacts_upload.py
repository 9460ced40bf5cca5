"""`POST /campaigns/{id}/contacts/upload` (the campaign page's upload form): the row report,
as a partial for htmx (with the contacts table refreshed out of band) or a page without."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact
from contacts.tests.factories import csv_upload

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}
GOOD = "phone,email\n+39 347 123 4567,ada@example.org\n+393471234568,bad\nnope,\n"


def _post(client, campaign, content=GOOD, **extra):
    return client.post(
        reverse("contacts:upload", args=[campaign.pk]), {"file": csv_upload(content)}, **extra
    )


@pytest.fixture
def campaign():
    return CampaignFactory(name="Autumn survey")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, campaign, expected):
    response = _post(persona_client, campaign)
    assert response.status_code == expected
    assert Contact.objects.exists() == (expected == 200)
    if expected == 302:
        assert response["Location"].startswith("/accounts/login/")


def test_unknown_campaign_is_404(client, manager_user):
    client.force_login(manager_user)
    response = client.post(f"/campaigns/{uuid.uuid4()}/contacts/upload", {"file": csv_upload(GOOD)})
    assert response.status_code == 404


def test_get_is_not_allowed(client, manager_user, campaign):
    client.force_login(manager_user)
    assert client.get(reverse("contacts:upload", args=[campaign.pk])).status_code == 405


def test_csrf_is_checked(manager_user, campaign):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(manager_user)
    assert _post(client, campaign).status_code == 403
    assert not Contact.objects.exists()


def test_without_javascript_a_page_with_the_report_and_a_way_back(client, manager_user, campaign):
    client.force_login(manager_user)
    response = _post(client, campaign)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" in html
    assert "Imported <strong>1</strong> contact" in html
    assert "<strong>2</strong> rows rejected" in html
    assert (
        '<td class="num">3</td><td>email</td><td class="rejected-value">bad</td>'
        "<td>Not a valid email address.</td>"
    ) in html
    assert (
        '<td class="num">4</td><td>phone_number</td><td class="rejected-value">*** *** nope</td>'
    ) in html
    assert "Invalid email: 1 · Invalid phone number: 1" in html
    assert f'href="{reverse("campaign_detail", args=[campaign.pk])}"' in html
    assert "Back to Autumn survey" in html


def test_htmx_gets_the_report_and_the_refreshed_table(client, manager_user, campaign):
    client.force_login(manager_user)
    response = _post(client, campaign, **HTMX)
    html = response.content.decode()
    assert "<html" not in html
    assert "data-accepted>1<" in html
    assert "data-rejected>2<" in html
    assert f'id="contacts-{campaign.pk}"' in html
    assert 'hx-swap-oob="true"' in html
    assert "+393471234567" in html  # the new contact, in the table
    assert response["HX-Trigger"] == "contacts-imported"  # the statistics panel refreshes


def test_an_upload_that_imports_nothing_leaves_the_statistics_alone(client, manager_user, campaign):
    client.force_login(manager_user)
    response = _post(client, campaign, "phone\nnope\n", **HTMX)
    assert "data-accepted>0<" in response.content.decode()
    assert "HX-Trigger" not in response


def test_excluded_rows_are_counted_and_explained(client, manager_user, campaign):
    client.force_login(manager_user)
    html = _post(client, campaign, "phone,dnc\n+393471234567,yes\n", **HTMX).content.decode()
    assert "data-excluded>1<" in html
    assert "1 of the imported is excluded (on the exclusion list, or marked do-not-call)" in html


def test_over_a_thousand_rejected_rows_says_how_many_more(client, manager_user, campaign):
    client.force_login(manager_user)
    html = _post(client, campaign, "phone\n" + "bad\n" * 1002, **HTMX).content.decode()
    assert html.count('<tr><td class="num">') == 1000
    assert "2 more rejected rows not listed." in html
    assert "hx-swap-oob" not in html  # nothing imported: no table to refresh


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"phone\n", "The file has a header but no rows under it"),
        (b"name,email\nAda,a@example.org\n", "No phone number column"),
        (b"\x00\x01binary\xff\xfe" * 100, "This is not a text file"),
    ],
)
@pytest.mark.parametrize("htmx", [True, False])
def test_file_level_errors_are_a_message_and_400(
    client, manager_user, campaign, content, message, htmx
):
    client.force_login(manager_user)
    response = _post(client, campaign, content, **(HTMX if htmx else {}))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported." in html
    assert message in html
    assert ("<html" in html) is not htmx
    assert not Contact.objects.exists()


def test_no_file_is_a_message_and_400(client, manager_user, campaign):
    client.force_login(manager_user)
    response = client.post(reverse("contacts:upload", args=[campaign.pk]), {}, **HTMX)
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


def test_over_the_size_limit_is_a_message_and_400(client, manager_user, campaign, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(manager_user)
    content = "phone\n" + "+393471234567\n" * 90_000
    response = _post(client, campaign, content, **HTMX)
    assert response.status_code == 400
    assert "the limit is 1 MB" in response.content.decode()


def test_a_cancelled_campaign_refuses_with_a_message(client, manager_user):
    campaign = CampaignFactory(status=CampaignStatus.CANCELLED)
    client.force_login(manager_user)
    response = _post(client, campaign, **HTMX)
    assert response.status_code == 400
    assert "The campaign is cancelled: no contacts can be added to it." in response.content.decode()

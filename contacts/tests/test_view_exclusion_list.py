"""`/exclusions`: the exclusion list page, for admins and campaign managers (docs/architecture.md
§7, "manage exclusion list"); viewers get 403, as the list is nothing but phone numbers."""

from __future__ import annotations

import pytest
from django.urls import reverse

from contacts.tests.factories import ExclusionEntryFactory

pytestmark = pytest.mark.django_db

URL = "/exclusions"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, expected):
    assert reverse("contacts:exclusion_list") == URL
    response = persona_client.get(URL)
    assert response.status_code == expected


def test_a_manager_sees_the_list_and_the_forms_but_no_remove_button(client, manager_user):
    ExclusionEntryFactory(phone_number="+393471234567", reason="asked on the phone")
    client.force_login(manager_user)
    html = client.get(URL).content.decode()
    assert "+393471234567" in html
    assert "asked on the phone" in html
    assert 'action="/exclusions/add"' in html
    assert 'action="/exclusions/import"' in html
    assert 'enctype="multipart/form-data"' in html
    assert "Remove" not in html


def test_an_admin_also_gets_remove_buttons(client, admin_user):
    entry = ExclusionEntryFactory()
    client.force_login(admin_user)
    html = client.get(URL).content.decode()
    assert f'action="/exclusions/{entry.pk}/remove"' in html
    assert ">Remove</button>" in html


def test_search_by_number_in_any_notation(client, manager_user):
    ExclusionEntryFactory(phone_number="+393471234567", reason="first")
    ExclusionEntryFactory(phone_number="+447911123456", reason="second")
    client.force_login(manager_user)
    html = client.get(URL, {"q": "347 123 4567"}).content.decode()
    assert "first" in html
    assert "second" not in html
    html = client.get(URL, {"q": "not a number"}).content.decode()
    assert "is not on the exclusion list" in html
    assert "first" not in html


def test_pages_of_fifty(client, manager_user, django_assert_num_queries):
    for n in range(51):
        ExclusionEntryFactory(phone_number=f"+3934712{n:05d}")
    client.force_login(manager_user)
    # 1: session, 2: user, 3: count, 4: the page
    with django_assert_num_queries(4):
        html = client.get(URL).content.decode()
    assert html.count('<td class="phone">') == 50
    assert "Page 1 of 2" in html
    assert client.get(URL, {"page": 2}).content.decode().count('<td class="phone">') == 1


def test_empty(client, manager_user):
    client.force_login(manager_user)
    assert "The exclusion list is empty." in client.get(URL).content.decode()

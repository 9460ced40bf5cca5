"""`POST /exclusions/add` (the exclusion list page's form)."""

from __future__ import annotations

import pytest

from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/exclusions/add"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 302), ("manager", 302), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona, persona_client, expected):
    response = persona_client.post(URL, {"phone_number": "+393471234567"})
    assert response.status_code == expected
    assert ExclusionEntry.objects.exists() == (persona is not None and expected == 302)


def test_adds_excludes_and_says_so(client, manager_user):
    ContactFactory(phone_number="+393471234567")
    client.force_login(manager_user)
    response = client.post(URL, {"phone_number": "347 123 4567", "reason": "asked"}, follow=True)
    html = response.content.decode()
    assert response.redirect_chain == [("/exclusions", 302)]
    assert "+393471234567 is on the exclusion list; 1 contact will not be called." in html
    entry = ExclusionEntry.objects.get()
    assert (entry.phone_number, entry.reason, entry.source) == ("+393471234567", "asked", "manual")
    assert AuditLog.objects.get(action="exclusion.add").actor == manager_user


def test_a_listed_number_says_so(client, manager_user):
    ExclusionEntryFactory(phone_number="+393471234567")
    client.force_login(manager_user)
    html = client.post(URL, {"phone_number": "+393471234567"}, follow=True).content.decode()
    assert "+393471234567 was already on the exclusion list." in html


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"phone_number": "hello"}, "Not a phone number: it does not look like a number."),
        ({"phone_number": ""}, "This field is required."),
        ({"phone_number": "+393471234567", "reason": "x" * 300}, "at most 255 characters"),
    ],
)
def test_bad_input_is_shown_on_the_form(client, manager_user, data, message):
    client.force_login(manager_user)
    response = client.post(URL, data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ExclusionEntry.objects.exists()


def test_get_is_not_allowed(client, manager_user):
    client.force_login(manager_user)
    assert client.get(URL).status_code == 405

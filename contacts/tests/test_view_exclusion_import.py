"""`POST /exclusions/import` (the exclusion list page's CSV form): the report on the page."""

from __future__ import annotations

import pytest

from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory, csv_upload

pytestmark = pytest.mark.django_db

URL = "/exclusions/import"
FILE = "telephone,reason\n+39 347 123 4567,asked\nnope,\n+393471234567,again\n"


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, expected):
    response = persona_client.post(URL, {"file": csv_upload(FILE)})
    assert response.status_code == expected
    assert ExclusionEntry.objects.exists() == (expected == 200)


def test_the_report_is_shown_with_the_list(client, manager_user):
    ContactFactory(phone_number="+393471234567")
    client.force_login(manager_user)
    html = client.post(URL, {"file": csv_upload(FILE)}).content.decode()
    assert "Added <strong>1</strong> number from 3 rows;" in html
    assert "1 already listed; <strong>1</strong> rejected." in html
    assert "1 contact will not be called." in html
    assert (
        '<td class="num">3</td><td class="rejected-value">*** *** nope</td><td>Not a phone number'
    ) in html
    assert '<td class="phone">+393471234567</td>' in html  # the list below shows it


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"name\nAda\n", "No phone number column"),
        (b"PK\x03\x04\x00\x00", "This is an Excel workbook (.xlsx)"),
    ],
)
def test_file_level_errors_are_a_message_and_400(client, manager_user, content, message):
    client.force_login(manager_user)
    response = client.post(URL, {"file": csv_upload(content)})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Nothing was imported." in html
    assert message in html


def test_no_file(client, manager_user):
    client.force_login(manager_user)
    response = client.post(URL, {})
    assert response.status_code == 400
    assert "Choose a CSV file to upload." in response.content.decode()


def test_over_the_size_limit(client, manager_user, settings):
    settings.MAX_UPLOAD_MB = 1
    client.force_login(manager_user)
    response = client.post(URL, {"file": csv_upload("phone\n" + "+393471234567\n" * 90_000)})
    assert response.status_code == 400
    assert "the limit is 1 MB" in response.content.decode()

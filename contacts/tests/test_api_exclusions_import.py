"""`POST /api/exclusions/import` (multipart, field `file`)."""

from __future__ import annotations

import pytest

from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory, csv_upload

pytestmark = pytest.mark.django_db

FILE = "phone;reason\n+39 347 123 4567;asked\nnope;x\n"


def _upload(client, content):
    return client.post("/api/exclusions/import", {"file": csv_upload(content)}, format="multipart")


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 201), ("manager", 201), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, expected):
    assert _upload(persona_api, FILE).status_code == expected
    assert ExclusionEntry.objects.exists() == (expected == 201)


def test_the_report(manager_api):
    ContactFactory(phone_number="+393471234567")
    response = _upload(manager_api, FILE)
    assert response.status_code == 201
    body = response.json()
    assert body.pop("rejected_rows_url").startswith("/api/rejected-rows/")
    assert body == {
        "rows": 2,
        "added": 1,
        "already_listed": 0,
        "rejected": 1,
        "contacts_excluded": 1,
        "rejected_by_code": {"invalid_phone": 1},
        "errors_not_listed": 0,
        "errors": [
            {
                "line": 3,
                "field": "phone_number",
                "code": "invalid_phone",
                "reason": "Not a phone number: it does not look like a number.",
                "value": "*** *** nope",
            }
        ],
        "encoding": "utf-8",
        "delimiter": "semicolon",
        "ignored_columns": [],
        "ignored_column_reasons": {},
    }


def test_nothing_new_is_200(manager_api):
    _upload(manager_api, FILE)
    response = _upload(manager_api, FILE)
    assert response.status_code == 200
    assert response.json()["already_listed"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"reason\nasked\n", "No phone number column"),
        (b"\x00\x01\x02\x03" * 50, "This is not a text file"),
    ],
)
def test_files_that_cannot_be_imported_are_400(manager_api, content, message):
    response = _upload(manager_api, content)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)


def test_over_the_size_limit_is_413(manager_api, settings):
    settings.MAX_UPLOAD_MB = 1
    response = _upload(manager_api, "phone\n" + "+393471234567\n" * 90_000)
    assert response.status_code == 413


def test_no_file_is_a_field_error(manager_api):
    response = manager_api.post("/api/exclusions/import", {}, format="multipart")
    assert response.status_code == 400
    assert "file" in response.json()

"""`POST /api/campaigns/{id}/contacts/upload` (multipart, field `file`): the import's report,
or 400 {"detail": …} for a file that cannot be imported; never a 500."""

from __future__ import annotations

import uuid

import pytest

from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact
from contacts.tests.factories import csv_upload
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

GOOD = "phone_number,email\n+39 347 123 4567,ada@example.org\n347 123 4568,bad\n"


def _upload(client, campaign_id, content, **kwargs):
    return client.post(
        f"/api/campaigns/{campaign_id}/contacts/upload",
        {"file": csv_upload(content, **kwargs)},
        format="multipart",
    )


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 201), ("manager", 201), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, expected):
    campaign = CampaignFactory()
    response = _upload(persona_api, campaign.pk, GOOD)
    assert response.status_code == expected, response.content
    assert Contact.objects.exists() == (expected == 201)
    if expected == 403:
        assert AuditLog.objects.filter(action="access.denied").exists()


def test_unknown_campaign_is_404(manager_api):
    response = _upload(manager_api, uuid.uuid4(), GOOD)
    assert response.status_code == 404
    assert "detail" in response.json()


def test_the_report(manager_api, manager_user):
    campaign = CampaignFactory()
    response = _upload(manager_api, campaign.pk, GOOD)
    assert response.status_code == 201
    body = response.json()
    assert body.pop("rejected_rows_url").startswith("/api/rejected-rows/")
    assert body == {
        "rows": 2,
        "accepted": 1,
        "rejected": 1,
        "excluded": 0,
        "rejected_by_code": {"invalid_email": 1},
        "errors_not_listed": 0,
        "errors": [
            {
                "line": 3,
                "field": "email",
                "code": "invalid_email",
                "reason": "Not a valid email address.",
                "value": "bad",
            }
        ],
        "encoding": "utf-8",
        "delimiter": "comma",
        "ignored_columns": [],
        "ignored_column_reasons": {},
        "attribute_columns": [],
    }
    assert campaign.contacts.get().phone_number == "+393471234567"
    assert AuditLog.objects.get(action="contact.import").actor == manager_user


def test_nothing_accepted_is_200(manager_api):
    response = _upload(manager_api, CampaignFactory().pk, "phone\nbad\n")
    assert response.status_code == 200
    assert response.json()["accepted"] == 0
    assert response.json()["rejected"] == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "The file is empty."),
        (b"phone\n", "The file has a header but no rows under it"),
        (b"name\nAda\n", "No phone number column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "This is a PNG image, not a CSV file"),
        (b"PK\x03\x04\x14\x00\x06\x00", "This is an Excel workbook (.xlsx) or a ZIP archive"),
        ("phone\n+393471234567\n".encode("utf-16"), "The file is UTF-16 text"),
    ],
)
def test_files_that_cannot_be_imported_are_400_with_the_reason(manager_api, content, message):
    response = _upload(manager_api, CampaignFactory().pk, content)
    assert response.status_code == 400
    assert set(response.json()) == {"detail"}
    assert response.json()["detail"].startswith(message)
    assert not Contact.objects.exists()


def test_no_file_is_a_field_error(manager_api):
    campaign = CampaignFactory()
    response = manager_api.post(
        f"/api/campaigns/{campaign.pk}/contacts/upload", {"other": "x"}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json() == {"file": ["No file was submitted."]}


def test_a_json_body_is_refused_cleanly(manager_api):
    campaign = CampaignFactory()
    response = manager_api.post(
        f"/api/campaigns/{campaign.pk}/contacts/upload",
        data=b'{"file": "phone\\n+393471234567"}',
        content_type="application/json",
    )
    assert response.status_code == 415
    assert "detail" in response.json()


def test_a_broken_multipart_body_is_400(manager_api):
    campaign = CampaignFactory()
    response = manager_api.post(
        f"/api/campaigns/{campaign.pk}/contacts/upload",
        data=b'--xyz\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\nph',
        content_type="multipart/form-data; boundary=xyz",
    )
    assert response.status_code == 400


def _rows(count: int) -> str:
    return "phone\n" + "".join(f"+3934712{n:05d}\n" for n in range(count))


def test_over_the_size_limit_is_413_before_the_body_is_read(manager_api, settings):
    settings.MAX_UPLOAD_MB = 1
    response = _upload(manager_api, CampaignFactory().pk, _rows(80_000))  # ~1.1 MB
    assert response.status_code == 413
    assert response.json()["detail"].startswith("The file is 1.1 MB; the limit is 1 MB.")


def test_just_over_the_size_limit_is_413_from_the_import(manager_api, settings):
    settings.MAX_UPLOAD_MB = 1
    content = _rows(75_000)  # 1.05 MB: within the allowance for the multipart envelope
    assert 1024 * 1024 < len(content) < 1024 * 1024 + 64 * 1024
    response = _upload(manager_api, CampaignFactory().pk, content)
    assert response.status_code == 413
    assert "the limit is 1 MB" in response.json()["detail"]


@pytest.mark.parametrize("status", [CampaignStatus.COMPLETED, CampaignStatus.CANCELLED])
def test_a_final_campaign_is_400(manager_api, status):
    response = _upload(manager_api, CampaignFactory(status=status).pk, GOOD)
    assert response.status_code == 400
    assert response.json() == {
        "detail": f"The campaign is {status}: no contacts can be added to it."
    }

"""The upload report's rejected rows (issue 15 item 9): each shows its offending value (a phone
number masked), and they download as a CSV of their original columns plus `error`, for the
uploader only, for a day; on the page and through the API, for contacts and exclusions."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.urls import reverse

from campaigns.tests.factories import CampaignFactory
from contacts import csv_import
from contacts.models import RejectedRows
from contacts.services.exclusions import exclusion_import
from contacts.services.imports import contact_import
from contacts.services.rejected_rows import (
    rejected_rows_csv,
    rejected_rows_get,
    rejected_rows_keep,
)
from contacts.tests.factories import csv_upload

pytestmark = pytest.mark.django_db

UPLOAD = (
    "phone,email,region\n"
    "+39 347 123 4567,ada@example.org,north\n"
    "+39 347 765 4321,bad,south\n"
    "12ab,x@example.org,east\n"
    '+393471111111,"never closed,west\n'
)


def _read(content: bytes) -> list[list[str]]:
    assert content.startswith("\ufeff".encode())
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))


@pytest.fixture
def campaign():
    return CampaignFactory()


def test_the_report_keeps_the_value_masked_and_the_rows_whole(campaign, manager_user):
    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    assert report.accepted == 1
    by_line = {error.line: error for error in report.errors}
    assert by_line[3].value == "bad"
    assert by_line[4].value == "*** *** 12ab"  # the phone column: masked
    assert "7654321" not in repr(report.errors)
    assert report.header == ["phone", "email", "region"]
    assert [(row.line, row.cells) for row in report.rejected_rows[:2]] == [
        (3, ["+39 347 765 4321", "bad", "south"]),
        (4, ["12ab", "x@example.org", "east"]),
    ]
    assert report.rejected_rows_complete


def test_the_download_has_the_original_columns_and_an_error_column(campaign, manager_user):
    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    assert kept is not None
    rows = _read(rejected_rows_csv(kept))
    assert rows[0] == ["phone", "email", "region", "error"]
    assert rows[1] == ["+39 347 765 4321", "bad", "south", "Line 3: Not a valid email address."]
    assert rows[2][:3] == ["12ab", "x@example.org", "east"]
    assert rows[2][3].startswith("Line 4: Not a phone number")
    assert len(rows) == 1 + report.rejected


def test_fixed_rows_upload_again(campaign, manager_user):
    report = contact_import(
        campaign=campaign,
        file=csv_upload("phone,email\n+39 347 765 4321,bad\n"),
        actor=manager_user,
    )
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    fixed = (
        rejected_rows_csv(kept)
        .decode("utf-8-sig")
        .replace("bad", "ada@example.org")
        .replace(",error", "")
        .replace(",Line 2: Not a valid email address.", "")
    )
    again = contact_import(campaign=campaign, file=csv_upload(fixed), actor=manager_user)
    assert (again.accepted, again.rejected) == (1, 0)


def test_at_most_so_many_rows_are_kept(campaign, manager_user, monkeypatch):
    monkeypatch.setattr(csv_import, "MAX_REJECTED_ROWS", 2)
    text = "phone\n" + "".join(f"bad{n}\n" for n in range(5))
    report = contact_import(campaign=campaign, file=csv_upload(text), actor=manager_user)
    assert report.rejected == 5
    assert [row.line for row in report.rejected_rows] == [2, 3]
    assert not report.rejected_rows_complete
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    rows = _read(rejected_rows_csv(kept))
    assert len(rows) == 1 + 2 + 1
    assert "More rows were rejected" in rows[-1][-1]


def test_no_rejected_rows_keeps_nothing(campaign, manager_user):
    report = contact_import(
        campaign=campaign, file=csv_upload("phone\n+393471234567\n"), actor=manager_user
    )
    assert rejected_rows_keep(report=report, actor=manager_user, campaign=campaign) is None
    assert not RejectedRows.objects.exists()


def test_only_the_uploader_gets_them_and_for_a_day(campaign, manager_user, admin_user):
    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    assert rejected_rows_get(rejected_id=kept.pk, user=manager_user) == kept
    assert rejected_rows_get(rejected_id=kept.pk, user=admin_user) is None
    RejectedRows.objects.filter(pk=kept.pk).update(
        created_at=kept.created_at - dt.timedelta(hours=25)
    )
    assert rejected_rows_get(rejected_id=kept.pk, user=manager_user) is None
    # The next upload deletes what has expired.
    rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    assert not RejectedRows.objects.filter(pk=kept.pk).exists()


# --- the page -----------------------------------------------------------------------------------


def test_the_page_links_the_download(client, campaign, manager_user, admin_user):
    client.force_login(manager_user)
    html = client.post(
        reverse("contacts:upload", args=[campaign.pk]),
        {"file": csv_upload(UPLOAD, name="list.csv")},
    ).content.decode()
    kept = RejectedRows.objects.get()
    url = reverse("contacts:rejected_rows", args=[kept.pk])
    assert url == f"/rejected-rows/{kept.pk}"
    assert f'href="{url}"' in html
    assert "Download the rejected rows" in html
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="list-rejected.csv"' in response["Content-Disposition"]
    assert _read(response.content)[0] == ["phone", "email", "region", "error"]
    client.force_login(admin_user)  # not the uploader
    assert client.get(url).status_code == 404


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 404), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_the_page_download_role_matrix(persona_client, campaign, manager_user, expected):
    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    url = reverse("contacts:rejected_rows", args=[kept.pk])
    assert persona_client.get(url).status_code == expected


def test_the_exclusion_import_page_links_its_download(client, manager_user):
    client.force_login(manager_user)
    html = client.post(
        reverse("contacts:exclusion_import"),
        {"file": csv_upload("phone,reason\n+393471234567,asked\nnope,x\n")},
    ).content.decode()
    kept = RejectedRows.objects.get()
    assert kept.campaign is None
    url = reverse("contacts:rejected_rows", args=[kept.pk])
    assert f'href="{url}"' in html
    rows = _read(client.get(url).content)
    assert rows[1][:2] == ["nope", "x"]


# --- the API ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 404), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_the_api_download_role_matrix(persona_api, campaign, manager_user, expected):
    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    response = persona_api.get(f"/api/rejected-rows/{kept.pk}")
    assert response.status_code == expected


def test_the_api_upload_gives_a_download_url(manager_api, campaign):
    response = manager_api.post(
        f"/api/campaigns/{campaign.pk}/contacts/upload",
        {"file": csv_upload(UPLOAD)},
        format="multipart",
    )
    url = response.json()["rejected_rows_url"]
    download = manager_api.get(url)
    assert download.status_code == 200
    rows = _read(download.content)
    assert rows[1] == ["+39 347 765 4321", "bad", "south", "Line 3: Not a valid email address."]


def test_the_api_exclusion_import_download(manager_api, manager_user):
    report = exclusion_import(file=csv_upload("phone\nnope\n"), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=None)
    response = manager_api.get(f"/api/rejected-rows/{kept.pk}")
    assert response.status_code == 200
    assert _read(response.content)[1][0] == "nope"


def test_erasing_a_number_drops_its_kept_rejected_rows(campaign, manager_user):
    from calls.erasure import contact_forget

    report = contact_import(campaign=campaign, file=csv_upload(UPLOAD), actor=manager_user)
    kept = rejected_rows_keep(report=report, actor=manager_user, campaign=campaign)
    contact_forget(phone_number="+393477654321", actor=None)
    kept.refresh_from_db()
    assert [row[0] for row in kept.rows] == [4, 5]  # line 3 held the number
    assert "765 4321" not in str(kept.rows)

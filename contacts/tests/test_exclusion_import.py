"""exclusion_import: a CSV of numbers onto the exclusion list, the contacts that could still be
called with them excluded in every campaign, one query per batch, all in one transaction."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.factories import CampaignFactory
from contacts.csv_import import CsvImportError
from contacts.models import ContactState, ExclusionEntry
from contacts.services import exclusions as services
from contacts.services.exclusions import exclusion_import
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory, csv_upload
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def _import(text: str, **kwargs):
    return exclusion_import(file=csv_upload(text), actor=kwargs.pop("actor", None), **kwargs)


def test_numbers_are_added_and_dialable_contacts_excluded_everywhere(manager_user):
    pending = ContactFactory(phone_number="+393471234567")
    elsewhere = ContactFactory(phone_number="+393471234567", campaign=CampaignFactory())
    completed = ContactFactory(phone_number="+393471234568", state=ContactState.COMPLETED)
    untouched = ContactFactory(phone_number="+393479999999")

    report = _import(
        "phone,reason\n347 1234567,asked on the phone\n+39 347 123 4568,\n", actor=manager_user
    )

    assert (report.rows, report.added, report.already_listed, report.rejected) == (2, 2, 0, 0)
    assert report.contacts_excluded == 2
    entries = dict(ExclusionEntry.objects.values_list("phone_number", "reason"))
    assert entries == {"+393471234567": "asked on the phone", "+393471234568": ""}
    assert set(ExclusionEntry.objects.values_list("source", flat=True)) == {"import"}
    for contact in (pending, elsewhere, completed, untouched):
        contact.refresh_from_db()
    assert [c.state for c in (pending, elsewhere, completed, untouched)] == [
        "excluded",
        "excluded",
        "completed",
        "pending",
    ]
    log = AuditLog.objects.get(action="exclusion.import")
    assert log.actor == manager_user
    assert log.details == {
        "file_name": "contacts.csv",
        "rows": 2,
        "added": 2,
        "already_listed": 0,
        "rejected": 0,
        "contacts_excluded": 2,
    }


def test_listed_numbers_and_repeats_are_counted_not_added_twice():
    ExclusionEntryFactory(phone_number="+393471234567", reason="first")
    report = _import("phone,reason\n+393471234567,again\n+393471234568,a\n3471234568,b\n")
    assert (report.added, report.already_listed, report.rejected) == (1, 2, 0)
    assert ExclusionEntry.objects.get(phone_number="+393471234567").reason == "first"
    assert ExclusionEntry.objects.get(phone_number="+393471234568").reason == "a"


def test_bad_rows_are_reported_and_the_rest_added():
    report = _import("mobile,notes\n+393471234567,ok\nnot a number,x\n,y\n")
    assert report.added == 1
    assert report.rejected == 2
    assert [(e.line, e.field, e.code) for e in report.errors] == [
        (3, "phone_number", "invalid_phone"),
        (4, "phone_number", "missing_phone"),
    ]


def test_a_long_reason_is_cut_not_a_reason_to_call_the_number():
    report = _import(f"phone;reason\n+393471234567;{'x' * 300}\n")
    assert report.added == 1
    assert report.rejected == 0
    assert ExclusionEntry.objects.get().reason == "x" * 255


def test_one_insert_and_one_update_of_contacts_per_batch(monkeypatch):
    monkeypatch.setattr(services, "EXCLUSION_BATCH_ROWS", 3)
    for n in range(6):
        ContactFactory(phone_number=f"+3934712345{n:02d}")
    text = "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(6))
    with CaptureQueriesContext(connection) as queries:
        report = _import(text)
    assert report.contacts_excluded == 6
    contact_updates = [
        q["sql"] for q in queries if q["sql"].startswith('UPDATE "contacts_contact"')
    ]
    entry_inserts = [  # INSERT OR IGNORE (SQLite) / INSERT … ON CONFLICT DO NOTHING
        q["sql"]
        for q in queries
        if q["sql"].startswith("INSERT") and '"contacts_exclusionentry"' in q["sql"][:60]
    ]
    assert len(contact_updates) == 2
    assert len(entry_inserts) == 2


def test_a_failure_part_way_adds_nothing(monkeypatch):
    monkeypatch.setattr(services, "EXCLUSION_BATCH_ROWS", 2)
    contact = ContactFactory(phone_number="+393471234500")

    def crash(done, total):
        raise RuntimeError("killed")

    with pytest.raises(RuntimeError):
        _import("phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(5)), on_progress=crash)
    assert not ExclusionEntry.objects.exists()
    contact.refresh_from_db()
    assert contact.state == "pending"


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "empty"),
        (b"phone\n", "no_rows"),
        (b"reason\nasked\n", "no_phone_column"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "binary"),
    ],
)
def test_files_that_cannot_be_imported(data, code):
    with pytest.raises(CsvImportError) as excinfo:
        exclusion_import(file=csv_upload(data), actor=None)
    assert excinfo.value.code == code
    assert not ExclusionEntry.objects.exists()


def test_an_unclosed_quote_is_one_rejected_row_and_the_next_rows_are_read():
    report = _import('phone,reason\n"+393471234567,a\n+393471234568,b\n+393471234569,\n')
    assert [(e.line, e.field, e.code) for e in report.errors] == [(2, "", "unclosed_quote")]
    assert (report.rows, report.added) == (3, 2)
    assert set(ExclusionEntry.objects.values_list("phone_number", flat=True)) == {
        "+393471234568",
        "+393471234569",
    }

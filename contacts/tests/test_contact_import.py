"""contact_import: every valid row kept, every other row reported with its line and reason,
one transaction per file (docs/architecture.md §6.1, §10). File-level problems:
test_contact_import_files.py."""

from __future__ import annotations

import json
import logging

import pytest
from django.db import IntegrityError

from campaigns.models import Campaign, CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.csv_import import CsvImportError
from contacts.models import Contact, ContactState, ExclusionEntry
from contacts.services import imports as services
from contacts.services.imports import FALSE_VALUES, TRUE_VALUES, contact_import
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory, csv_upload
from dashboard.cache import campaign_stats_cached
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def _import(campaign, text: str, **kwargs):
    return contact_import(campaign=campaign, file=csv_upload(text), actor=None, **kwargs)


def _errors(report) -> list[tuple[int, str, str]]:
    return [(e.line, e.field, e.code) for e in report.errors]


@pytest.fixture
def campaign():
    return CampaignFactory(timezone="America/Sao_Paulo")


def test_valid_rows_become_contacts_with_every_field(campaign, manager_user):
    report = contact_import(
        campaign=campaign,
        file=csv_upload(
            "external_contact_id,phone_number,email,language,has_prior_consent,do_not_call\n"
            "CRM-1,+39 347 123 4567,ada@example.org,it,yes,no\n"
            "CRM-2,(212) 555-0123,,EN,0,\n"
        ),
        actor=manager_user,
    )

    assert (report.rows, report.accepted, report.rejected, report.excluded) == (2, 1, 1, 0)
    assert _errors(report) == [(3, "phone_number", "invalid_phone")]
    contact = Contact.objects.get()
    assert contact.campaign == campaign
    assert contact.external_contact_id == "CRM-1"
    assert contact.phone_number == "+393471234567"
    assert contact.email == "ada@example.org"
    assert contact.preferred_language == "it"
    assert contact.has_prior_consent is True
    assert contact.do_not_call is False
    assert contact.state == ContactState.PENDING
    assert contact.attempts_count == 0
    assert contact.last_outcome == ""
    assert contact.next_attempt_at is None
    assert contact.timezone == "Europe/Rome"  # the number fixes it


def test_the_time_zone_comes_from_the_number_else_from_the_campaign(campaign):
    _import(campaign, "phone\n+1 212 555 0123\n+61 412 345 678\n+44 7911 123456\n")
    zones = dict(Contact.objects.values_list("phone_number", "timezone"))
    assert zones == {
        "+12125550123": "America/New_York",
        "+61412345678": "America/Sao_Paulo",  # an Australian mobile: no single zone
        "+447911123456": "Europe/London",
    }


def test_national_numbers_are_read_in_the_default_region(campaign, settings):
    _import(campaign, "phone\n347 123 4567\n06 4567 1234\n")
    assert set(Contact.objects.values_list("phone_number", flat=True)) == {
        "+393471234567",
        "+390645671234",  # a Rome landline keeps its 0
    }
    settings.DEFAULT_PHONE_REGION = "US"
    _import(CampaignFactory(), "phone\n(212) 555-0199\n")
    assert Contact.objects.filter(phone_number="+12125550199").exists()


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("call me", "does not look like a number"),
        ("+39 12", "Not a valid phone number"),
        ("+999 1234567", "unknown country code"),
        ("1" * 45, "too long"),
    ],
)
def test_invalid_numbers_are_rejected_with_the_reason(campaign, raw, reason):
    report = _import(campaign, f"phone,email\n{raw},a@example.org\n+393471234567,\n")
    assert report.accepted == 1
    assert report.rejected == 1
    error = report.errors[0]
    assert (error.line, error.field, error.code) == (2, "phone_number", "invalid_phone")
    assert reason in error.reason


def test_a_row_without_a_number_is_rejected(campaign):
    report = _import(campaign, "phone,email\n,a@example.org\n+393471234567,\n")
    assert _errors(report) == [(2, "phone_number", "missing_phone")]
    assert report.errors[0].reason == "No phone number."


def test_duplicates_in_the_file_keep_the_first_and_report_the_others(campaign):
    report = _import(
        campaign,
        "phone,external_id\n+393471234567,first\n347 1234567,second\n+39 347 123 45 67,third\n",
    )
    assert report.accepted == 1
    assert _errors(report) == [
        (3, "phone_number", "duplicate_in_file"),
        (4, "phone_number", "duplicate_in_file"),
    ]
    assert "earlier line" in report.errors[0].reason
    assert Contact.objects.get().external_contact_id == "first"


def test_a_rejected_row_does_not_make_a_later_one_a_duplicate(campaign):
    report = _import(campaign, "phone,email\n+393471234567,not-an-email\n+393471234567,\n")
    assert _errors(report) == [(2, "email", "invalid_email")]
    assert report.accepted == 1


def test_numbers_already_in_the_campaign_are_rejected(campaign):
    ContactFactory(campaign=campaign, phone_number="+393471234567")
    ContactFactory(phone_number="+393479999999")  # another campaign's: no conflict
    report = _import(campaign, "phone\n347 1234567\n+393479999999\n")
    assert _errors(report) == [(2, "phone_number", "already_in_campaign")]
    assert report.errors[0].reason == "This number is already in the campaign."
    assert campaign.contacts.count() == 2


def test_importing_the_same_file_twice_adds_nothing_the_second_time(campaign):
    text = "phone\n+393471234567\n+393471234568\n"
    assert _import(campaign, text).accepted == 2
    again = _import(campaign, text)
    assert (again.accepted, again.rejected) == (0, 2)
    assert {e.code for e in again.errors} == {"already_in_campaign"}


def test_excluded_numbers_and_do_not_call_rows_are_stored_excluded(campaign):
    ExclusionEntryFactory(phone_number="+393471234567")
    report = _import(
        campaign,
        "phone,do_not_call\n347 1234567,no\n+393471234568,yes\n+393471234569,\n",
    )
    assert (report.accepted, report.excluded, report.rejected) == (3, 2, 0)
    states = dict(Contact.objects.values_list("phone_number", "state"))
    assert states == {
        "+393471234567": "excluded",
        "+393471234568": "excluded",
        "+393471234569": "pending",
    }
    assert Contact.objects.get(phone_number="+393471234568").do_not_call is True


def test_a_number_excluded_while_the_import_runs_is_excluded_too(campaign, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 2)

    def exclude_an_imported_number(done, total):
        if not ExclusionEntry.objects.exists():
            # Another request adds it between two batches (exclusion_add cannot see the
            # uncommitted contacts, so it excludes none).
            ExclusionEntry.objects.create(phone_number="+393471234501")

    report = _import(
        campaign,
        "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(1, 7)),
        on_progress=exclude_an_imported_number,
    )
    assert report.excluded == 1
    assert Contact.objects.get(phone_number="+393471234501").state == "excluded"
    assert Contact.objects.filter(state="pending").count() == 5


@pytest.mark.parametrize("value", sorted(TRUE_VALUES))
def test_every_spelling_of_yes(campaign, value):
    _import(campaign, f"phone,consent,dnc\n+393471234567,{value.upper()},{value}\n")
    contact = Contact.objects.get()
    assert contact.has_prior_consent is True
    assert contact.do_not_call is True


@pytest.mark.parametrize("value", sorted(FALSE_VALUES))
def test_every_spelling_of_no(campaign, value):
    _import(campaign, f"phone,consent,dnc\n+393471234567,{value.capitalize()},{value}\n")
    contact = Contact.objects.get()
    assert contact.has_prior_consent is False
    assert contact.do_not_call is False


def test_any_other_yes_no_value_is_rejected_naming_the_column(campaign):
    report = _import(campaign, "phone,Consent,DNC\n+393471234567,maybe,no\n+393471234568,no,2\n")
    assert _errors(report) == [
        (2, "has_prior_consent", "invalid_boolean"),
        (3, "do_not_call", "invalid_boolean"),
    ]
    assert report.errors[0].reason.startswith("Consent: 'maybe' is not yes or no")
    assert report.errors[1].reason.startswith("DNC: '2' is not yes or no")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("en", "en"),
        ("EN", "en"),
        ("English", "en"),
        ("en-GB", "en"),
        ("it", "it"),
        ("it_IT", "it"),
        ("Italiano", "it"),
        ("auto", "auto"),
        ("", "auto"),
    ],
)
def test_languages(campaign, value, code):
    _import(campaign, f"phone,lang\n+393471234567,{value}\n")
    assert Contact.objects.get().preferred_language == code


def test_an_unknown_language_is_rejected(campaign):
    report = _import(campaign, "phone,preferred_language\n+393471234567,fr\n")
    assert _errors(report) == [(2, "preferred_language", "unknown_language")]
    assert (
        report.errors[0].reason == "Unknown language 'fr': use en, it or auto (or leave it empty)."
    )


@pytest.mark.parametrize("email", ["not-an-email", "a@b", "a b@example.org", "@example.org"])
def test_a_bad_email_is_rejected(campaign, email):
    report = _import(campaign, f"phone,e-mail\n+393471234567,{email}\n")
    assert _errors(report) == [(2, "email", "invalid_email")]
    assert not Contact.objects.exists()


def test_fields_longer_than_their_columns_are_rejected(campaign):
    report = _import(
        campaign,
        "phone,external_id,email\n"
        f"+393471234567,{'x' * 256},\n"
        f"+393471234568,ok,{'a' * 250}@example.org\n"
        f"+393471234569,{'x' * 255},{'a' * 240}@example.org\n",
    )
    assert _errors(report) == [
        (2, "external_contact_id", "too_long"),
        (3, "email", "too_long"),
    ]
    assert "at most 255 characters" in report.errors[0].reason
    assert Contact.objects.get().phone_number == "+393471234569"


def test_a_field_too_long_to_read_is_one_rejected_row(campaign):
    report = _import(
        campaign, f"phone,external_id\n+393471234567,{'x' * 200_000}\n+393471234568,ok\n"
    )
    assert _errors(report) == [(2, "", "too_long")]
    assert report.accepted == 1


def test_formula_looking_text_is_stored_as_it_is(campaign):
    _import(campaign, 'phone,external_id\n+393471234567,"=HYPERLINK(""http://x"",""y"")"\n')
    # Stored as text; the export neutralises it (exports/selectors.py).
    assert Contact.objects.get().external_contact_id == '=HYPERLINK("http://x","y")'


def test_quoted_fields_may_hold_delimiters_quotes_and_new_lines(campaign):
    report = _import(
        campaign,
        'phone,external_id\n"+39 347 123 4567","Rossi, ""Mario""\nsecond line"\n+393471234568,b\n',
    )
    assert report.accepted == 2
    assert report.rejected == 0
    assert Contact.objects.get(phone_number="+393471234567").external_contact_id == (
        'Rossi, "Mario"\nsecond line'
    )


def test_quoted_new_lines_may_hold_delimiters_on_every_line(campaign):
    """A continuation line with a comma is still text: it does not look like a record (its
    first cell is no phone number)."""
    report = _import(
        campaign,
        'phone,external_id\n+393471234567,"Via Roma, 3\nscala B, interno 4\n"\n+393471234568,b\n',
    )
    assert (report.accepted, report.rejected) == (2, 0)
    assert Contact.objects.get(phone_number="+393471234567").external_contact_id == (
        "Via Roma, 3\nscala B, interno 4"
    )


def test_an_unclosed_quote_at_the_end_is_reported_where_it_opens(campaign):
    report = _import(campaign, 'phone,external_id\n+393471234567,a\n"+393471234568,b\n+3934\n')
    # The line after it is read on its own, not swallowed.
    assert _errors(report) == [(3, "", "unclosed_quote"), (4, "phone_number", "invalid_phone")]
    assert 'quote (") opened on this line is never closed' in report.errors[0].reason
    assert report.rows == 3


def test_an_unclosed_quote_does_not_swallow_the_rows_after_it(campaign):
    report = _import(
        campaign,
        'phone,external_id\n+393471234567,a\n"+393471234568,b\n+393471234569,c\n+393471234570,d\n',
    )
    assert _errors(report) == [(3, "", "unclosed_quote")]
    assert (report.rows, report.accepted) == (4, 3)
    assert dict(Contact.objects.values_list("phone_number", "external_contact_id")) == {
        "+393471234567": "a",
        "+393471234569": "c",
        "+393471234570": "d",
    }


def test_an_unclosed_quote_is_not_closed_by_a_later_row_s_quote(campaign):
    """Without the check, the quote opened on line 2 would end at line 4's first quote and
    lines 2-4 would be one row."""
    report = _import(
        campaign,
        'phone;external_id\n+393471234567;"Rossi\n+393471234568;b\n+393471234569;"Verdi; Luigi"\n',
    )
    assert _errors(report) == [(2, "", "unclosed_quote")]
    assert dict(Contact.objects.values_list("phone_number", "external_contact_id")) == {
        "+393471234568": "b",
        "+393471234569": "Verdi; Luigi",
    }


def test_a_runaway_quote_over_the_field_limit_gives_its_lines_back(campaign):
    """No line after the quote looks like a record (one column where the header has two), so
    the quote runs until the csv module's 128 KB field limit; the lines it held are read again
    as rows of their own."""
    filler = "".join(f"note {n}\n" for n in range(20_000))  # ~200 KB
    report = _import(campaign, f'phone,external_id\n+393471234567,"open\n{filler}+393471234568,b\n')
    assert _errors(report)[0] == (2, "", "unclosed_quote")
    assert report.rejected_by_code == {"unclosed_quote": 1, "invalid_phone": 20_000}
    assert report.accepted == 1
    assert Contact.objects.get().phone_number == "+393471234568"


def test_blank_lines_are_skipped_and_line_numbers_are_the_file_s(campaign):
    report = _import(campaign, "\nphone,email\n\n+393471234567,\n,,\n\nbad,\n\n")
    assert report.rows == 2
    assert _errors(report) == [(7, "phone_number", "invalid_phone")]


def test_other_columns_are_kept_as_attributes_and_reported(campaign):
    # The rules of attributes: test_contact_attributes.py.
    report = _import(campaign, "Phone Number,Name,Notes\n+393471234567,Ada,vip\n")
    assert report.accepted == 1
    assert report.attribute_columns == ["name", "notes"]
    assert report.ignored_columns == []
    assert Contact.objects.get().attributes == {"name": "Ada", "notes": "vip"}


def test_header_aliases_are_case_and_space_insensitive(campaign):
    report = _import(
        campaign,
        " Mobile ,External ID,E-Mail,Preferred Language,Prior Consent,Do Not Call\n"
        "+393471234567,X-1,ada@example.org,it,si,vero\n",
    )
    assert report.accepted == 1
    assert report.ignored_columns == []
    contact = Contact.objects.get()
    assert (contact.external_contact_id, contact.email, contact.preferred_language) == (
        "X-1",
        "ada@example.org",
        "it",
    )
    assert contact.has_prior_consent
    assert contact.do_not_call


def test_the_field_s_own_name_wins_over_an_alias(campaign):
    report = _import(campaign, "phone,phone_number\n+393470000000,+393471234567\n")
    assert Contact.objects.get().phone_number == "+393471234567"
    assert report.ignored_columns == ["phone"]
    assert report.ignored_column_reasons == {
        "phone": "The phone number is read from the column 'phone_number'."
    }


def test_only_the_first_thousand_rejected_rows_are_listed_but_all_are_counted(campaign):
    report = _import(campaign, "phone\n" + "bad\n" * 1003 + "+393471234567\n")
    assert (report.rows, report.accepted, report.rejected) == (1004, 1, 1003)
    assert report.rejected_by_code == {"invalid_phone": 1003}
    assert len(report.errors) == 1000
    assert report.errors_not_listed == 3
    assert report.errors[0].line == 2
    assert report.errors[-1].line == 1001


def test_contacts_keep_the_file_s_order(campaign, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 3)
    numbers = [f"+3934712345{n:02d}" for n in (9, 3, 7, 1, 5, 2, 8)]
    _import(campaign, "phone\n" + "\n".join(numbers) + "\n")
    stored = Contact.objects.order_by("created_at", "id").values_list("phone_number", flat=True)
    assert list(stored) == numbers


def test_progress_is_reported_between_batches_and_at_the_end(campaign, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 2)
    calls = []
    _import(
        campaign,
        "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(5)),
        on_progress=lambda done, total: calls.append((done, total)),
    )
    assert calls == [(3, 6), (5, 6), (6, 6)]


@pytest.mark.parametrize("status", [CampaignStatus.COMPLETED, CampaignStatus.CANCELLED])
def test_a_completed_or_cancelled_campaign_takes_no_upload(status):
    campaign = CampaignFactory(status=status)
    with pytest.raises(CsvImportError) as excinfo:
        _import(campaign, "phone\n+393471234567\n")
    assert excinfo.value.code == "campaign_final"
    assert f"The campaign is {status}" in excinfo.value.message
    assert not Contact.objects.exists()


def test_a_campaign_cancelled_while_the_file_is_read_gets_nothing(campaign, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 2)

    def cancel(done, total):
        Campaign.objects.filter(pk=campaign.pk).update(status=CampaignStatus.CANCELLED)

    with pytest.raises(CsvImportError) as excinfo:
        _import(
            campaign,
            "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(5)),
            on_progress=cancel,
        )
    assert excinfo.value.code == "campaign_final"
    assert not Contact.objects.exists()


@pytest.mark.parametrize("status", [CampaignStatus.RUNNING, CampaignStatus.PAUSED])
def test_a_running_or_paused_campaign_takes_uploads(status):
    campaign = CampaignFactory(status=status)
    assert _import(campaign, "phone\n+393471234567\n").accepted == 1


def test_a_failure_part_way_leaves_nothing_imported(campaign, monkeypatch):
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 2)

    def crash(done, total):
        raise RuntimeError("worker killed")

    with pytest.raises(RuntimeError):
        _import(
            campaign,
            "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(5)),
            on_progress=crash,
        )
    assert not Contact.objects.exists()
    assert not AuditLog.objects.filter(action="contact.import").exists()


def test_a_database_error_part_way_leaves_nothing_imported(campaign, monkeypatch):
    """A row the database refuses (here a number someone else stored meanwhile, which the
    unique constraint catches) fails the whole file, batches already written included."""
    monkeypatch.setattr(services, "IMPORT_BATCH_ROWS", 2)

    def someone_adds_a_later_number(done, total):
        if not Contact.objects.filter(external_contact_id="sneaky").exists():
            ContactFactory(
                campaign=campaign, phone_number="+393471234504", external_contact_id="sneaky"
            )

    with pytest.raises(IntegrityError):
        _import(
            campaign,
            "phone\n" + "".join(f"+3934712345{n:02d}\n" for n in range(6)),
            on_progress=someone_adds_a_later_number,
        )
    assert not Contact.objects.exists()


def test_each_import_is_audit_logged_with_counts_and_no_phone_number(campaign, manager_user):
    ExclusionEntryFactory(phone_number="+393471234568")
    contact_import(
        campaign=campaign,
        file=csv_upload("phone\n+393471234567\n+393471234568\nbad\n", name="october.csv"),
        actor=manager_user,
    )
    log = AuditLog.objects.get(action="contact.import")
    assert log.actor == manager_user
    assert log.object_id == str(campaign.pk)
    assert log.details == {
        "file_name": "october.csv",
        "rows": 3,
        "accepted": 2,
        "rejected": 1,
        "excluded": 1,
        "encoding": "utf-8",
        "delimiter": "comma",
    }
    assert "347" not in json.dumps(log.details)


def test_no_phone_number_reaches_the_logs(campaign, caplog):
    with caplog.at_level(logging.DEBUG):
        _import(campaign, "phone\n+393471234567\n3471234568\n+39 347 bad\n")
    text = "\n".join(record.getMessage() for record in caplog.records)
    assert "contact import" in text
    assert "3471234567" not in text
    assert "3471234568" not in text
    assert "347 bad" not in text


def test_the_dashboards_count_the_new_contacts_at_once(
    campaign, django_capture_on_commit_callbacks
):
    def counted() -> tuple[int, bool]:
        stats = campaign_stats_cached(
            campaign=campaign, include_time_series=False, time_series_hours=24, time_series_days=30
        )
        return stats["contacts"]["total"], stats["cached"]

    assert counted() == (0, False)
    assert counted() == (0, True)
    with django_capture_on_commit_callbacks(execute=True):
        _import(campaign, "phone\n+393471234567\n+393471234568\n")
    assert counted() == (2, False)  # not the cached 0 of a minute ago

"""contact_import and the file as a whole: encodings, delimiters, and the files that cannot be
imported at all (one CsvImportError with a clear message, nothing written). Through the API
and the page: test_api_contacts_upload.py, test_view_contacts_upload.py."""

from __future__ import annotations

import io
import os
import random

import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.csv_import import CsvImportError
from contacts.models import Contact
from contacts.services.imports import contact_import
from contacts.tests.factories import csv_upload

pytestmark = pytest.mark.django_db


def _import(campaign, data: bytes | str):
    return contact_import(campaign=campaign, file=csv_upload(data), actor=None)


def _refused(data: bytes | str) -> CsvImportError:
    with pytest.raises(CsvImportError) as excinfo:
        _import(CampaignFactory(), data)
    assert not Contact.objects.exists()
    return excinfo.value


# --- encodings ----------------------------------------------------------------------------------


def test_utf8_with_a_bom(campaign_any):
    report = _import(
        campaign_any, "\ufeffphone_number,external_id\n+393471234567,Müller\n".encode()
    )
    assert report.encoding == "utf-8-sig"
    assert report.accepted == 1
    assert Contact.objects.get().external_contact_id == "Müller"


def test_utf8_without_a_bom(campaign_any):
    report = _import(campaign_any, "phone,external_id\n+393471234567,Niccolò ✓\n".encode())
    assert report.encoding == "utf-8"
    assert Contact.objects.get().external_contact_id == "Niccolò ✓"


def test_latin1(campaign_any):
    report = _import(
        campaign_any, "phone;external_id\n+393471234567;Nicolò Façade\n".encode("latin-1")
    )
    assert report.encoding in ("cp1252", "latin-1")
    assert Contact.objects.get().external_contact_id == "Nicolò Façade"


def test_windows_1252_from_excel(campaign_any):
    report = _import(
        campaign_any, "phone;external_id\n+393471234567;Prezzo 5 € – sì\n".encode("cp1252")
    )
    assert report.encoding == "cp1252"
    assert Contact.objects.get().external_contact_id == "Prezzo 5 € – sì"


def test_a_byte_windows_1252_leaves_undefined_means_latin1(campaign_any):
    report = _import(campaign_any, b"phone;external_id\n+393471234567;A\x81\xe8\n")
    assert report.encoding == "latin-1"
    assert Contact.objects.get().external_contact_id == "A\x81è"


def test_the_encoding_is_decided_for_the_whole_file_not_its_start(campaign_any):
    ascii_rows = "".join(f"+3934712{n:05d},plain\n" for n in range(10_000))  # > 64 KB
    data = ("phone,external_id\n" + ascii_rows).encode() + "+393479999999,Nicolò\n".encode(
        "latin-1"
    )
    report = _import(campaign_any, data)
    assert report.encoding == "cp1252"
    assert report.accepted == 10_001
    assert Contact.objects.get(phone_number="+393479999999").external_contact_id == "Nicolò"


def test_utf16_is_refused_with_what_to_do():
    error = _refused("phone\n+393471234567\n".encode("utf-16"))
    assert error.code == "encoding"
    assert "UTF-16" in error.message
    assert "CSV UTF-8" in error.message


# --- delimiters and line ends -------------------------------------------------------------------


@pytest.mark.parametrize(("delimiter", "name"), [(",", "comma"), (";", "semicolon"), ("\t", "tab")])
def test_the_delimiter_is_sniffed(campaign_any, delimiter, name):
    text = delimiter.join(["phone", "email", "language"]) + "\n"
    text += delimiter.join(["+39 347 123 4567", "ada@example.org", "it"]) + "\n"
    report = _import(campaign_any, text)
    assert report.delimiter == name
    assert report.accepted == 1
    contact = Contact.objects.get()
    assert (contact.email, contact.preferred_language) == ("ada@example.org", "it")


def test_a_comma_inside_a_semicolon_file_is_data(campaign_any):
    _import(campaign_any, "phone;external_id\n+393471234567;Rossi, Mario\n")
    assert Contact.objects.get().external_contact_id == "Rossi, Mario"


def test_a_single_column_file(campaign_any):
    report = _import(campaign_any, "phone_number\n+393471234567\n+393471234568\n")
    assert report.accepted == 2
    assert report.delimiter == "comma"


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\n"])
def test_any_line_ending(campaign_any, newline):
    report = _import(campaign_any, newline.join(["phone", "+393471234567", "bad", ""]))
    assert report.accepted == 1
    assert [e.line for e in report.errors] == [3]


# --- files that are refused ---------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"   \n\n", b"\xef\xbb\xbf", b"\xef\xbb\xbf\r\n"])
def test_an_empty_file(data):
    error = _refused(data)
    assert (error.code, error.message) == ("empty", "The file is empty.")


@pytest.mark.parametrize("data", ["phone_number,email\n", "phone_number,email\n\n,,\n , \n"])
def test_a_header_without_rows(data):
    error = _refused(data)
    assert error.code == "no_rows"
    assert (
        error.message == "The file has a header but no rows under it: there is nothing to import."
    )


def test_no_phone_column_names_the_columns_found_and_what_to_call_it():
    error = _refused("name,email\nAda,ada@example.org\n")
    assert error.code == "no_phone_column"
    assert "No phone number column" in error.message
    assert "phone_number, phone, telephone, mobile, number" in error.message
    assert "'name', 'email'" in error.message


def test_a_file_without_a_header():
    error = _refused("+393471234567,ada@example.org\n+393471234568,bob@example.org\n")
    assert error.code == "no_header"
    assert "looks like data, not a header" in error.message


def test_two_columns_that_could_both_be_the_number():
    error = _refused("phone,mobile\n+393471234567,+393471234568\n")
    assert error.code == "ambiguous_columns"
    assert "'phone' and 'mobile'" in error.message


def test_binary_junk():
    junk = random.Random(4).randbytes(4096)
    error = _refused(junk)
    assert error.code == "binary"
    assert "not a text file" in error.message


def test_control_characters_without_nul_are_junk_too():
    error = _refused(b"phone\n" + bytes(range(1, 9)) * 100)
    assert error.code == "binary"


def test_a_nul_byte_late_in_the_file_is_junk():
    error = _refused(b"phone\n" + b"+393471234567\n" * 10_000 + b"\x00\n")
    assert error.code == "binary"


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"PK\x03\x04" + b"\x00" * 100, "Excel workbook (.xlsx)"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "Excel 97-2003"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n", "PDF"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 20, "PNG image"),
    ],
)
def test_the_wrong_type_of_file_is_named(data, kind):
    error = _refused(data)
    assert error.code == "binary"
    assert kind in error.message
    assert "Save the sheet as CSV" in error.message


def test_a_file_over_the_size_limit(settings):
    settings.MAX_UPLOAD_MB = 1
    rows = "".join(f"+3934712{n:05d}\n" for n in range(80_000))  # ~1.1 MB
    error = _refused("phone\n" + rows)
    assert error.code == "too_large"
    assert error.message.startswith("The file is 1.1 MB; the limit is 1 MB.")


def test_an_open_file_from_disk(campaign_any, tmp_path):
    """The command's case: a plain binary file, which stays open for its owner."""
    path = tmp_path / "contacts.csv"
    path.write_bytes(b"phone\n+393471234567\n")
    with open(path, "rb") as file:
        report = contact_import(campaign=campaign_any, file=file, actor=None)
        assert not file.closed
    assert report.accepted == 1


def test_a_file_read_from_a_pipe_like_stream_is_fine(campaign_any):
    stream = io.BytesIO(b"phone\n+393471234567\n")
    stream.name = os.path.join("some", "dir", "list.csv")
    assert contact_import(campaign=campaign_any, file=stream, actor=None).accepted == 1


@pytest.fixture
def campaign_any():
    return CampaignFactory()


def test_blank_lines_before_the_header_however_many(campaign_any):
    report = _import(campaign_any, "\n" * 70_000 + "phone\n+393471234567\nbad\n")
    assert report.accepted == 1
    assert [e.line for e in report.errors] == [70_003]


def test_a_header_too_long_to_read():
    error = _refused("phone," + "x" * 200_000 + "\n+393471234567\n")
    assert error.code == "no_header"

"""`manage.py import_exclusions FILE`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def _run(*args, verbosity=1):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_exclusions", *map(str, args), stdout=out, stderr=err, verbosity=verbosity)
    return out.getvalue(), err.getvalue()


def test_imports_and_summarises(tmp_path):
    contact = ContactFactory(phone_number="+393471234567")
    path = tmp_path / "dnc.csv"
    path.write_text("number,reason\n347 123 4567,asked\n+393471234568,\nhello,\n")
    out, _ = _run(path)
    assert set(ExclusionEntry.objects.values_list("phone_number", flat=True)) == {
        "+393471234567",
        "+393471234568",
    }
    contact.refresh_from_db()
    assert contact.state == "excluded"
    assert (
        "Added 2 numbers to the exclusion list from 3 rows; 0 already listed, 1 rejected. "
        "1 contact will not be called." in out
    )
    assert "  line 4: phone_number: Not a phone number" in out


def test_progress_on_stderr(tmp_path):
    path = tmp_path / "dnc.csv"
    path.write_text("phone\n+393471234567\n")
    _, err = _run(path, verbosity=2)
    assert "lines" in err


def test_errors(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _run(tmp_path / "missing.csv")
    path = tmp_path / "empty.csv"
    path.write_bytes(b"")
    with pytest.raises(CommandError, match="Nothing was imported: The file is empty."):
        _run(path)

"""`manage.py import_contacts CAMPAIGN FILE`: the same import, a progress bar on stderr and a
summary with the first rejected rows."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact

pytestmark = pytest.mark.django_db


def _run(*args, verbosity=1):
    out, err = io.StringIO(), io.StringIO()
    call_command("import_contacts", *map(str, args), stdout=out, stderr=err, verbosity=verbosity)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def csv_file(tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text(
        "phone;email;dnc\n+39 347 123 4567;ada@example.org;no\n3471234568;;si\nbad;;\nx;;\n"
    )
    return path


def test_imports_by_id_and_summarises(csv_file):
    campaign = CampaignFactory(name="Autumn survey")
    out, _ = _run(campaign.pk, csv_file)
    assert campaign.contacts.count() == 2
    assert (
        "Imported 2 contacts into 'Autumn survey' (1 of them excluded: on the exclusion list or "
        "do-not-call) from 4 rows; 2 rejected. Read as utf-8, semicolon-separated." in out
    )
    assert "  line 4: phone_number: Not a phone number" in out
    assert "  line 5: phone_number: Not a phone number" in out


def test_finds_the_campaign_by_its_exact_name(csv_file):
    campaign = CampaignFactory(name="Autumn survey")
    _run("Autumn survey", csv_file)
    assert campaign.contacts.count() == 2


def test_lists_only_the_first_rejected_rows(csv_file):
    campaign = CampaignFactory()
    out, _ = _run(campaign.pk, csv_file, "--show-errors", 1)
    assert "line 4:" in out
    assert "line 5:" not in out
    assert "  … and 1 more rejected row." in out


def test_a_progress_bar_on_stderr(csv_file):
    _, err = _run(CampaignFactory().pk, csv_file, verbosity=2)
    assert "5/5" in err
    assert "lines" in err


def test_quiet_with_verbosity_0(csv_file):
    _, err = _run(CampaignFactory().pk, csv_file, verbosity=0)
    assert err == ""


def test_unknown_campaign(csv_file):
    with pytest.raises(CommandError, match="No campaign has the id or name 'nope'"):
        _run("nope", csv_file)


def test_missing_file(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        _run(CampaignFactory().pk, tmp_path / "missing.csv")


def test_a_file_that_cannot_be_imported(tmp_path):
    path = tmp_path / "sheet.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(CommandError, match="Nothing was imported: This is an Excel workbook"):
        _run(CampaignFactory().pk, path)
    assert not Contact.objects.exists()

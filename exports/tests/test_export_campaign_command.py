"""`manage.py export_campaign CAMPAIGN [--output FILE]`."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from campaigns.tests.factories import CampaignFactory
from exports.models import ExportJob, ExportStatus
from exports.tests.conftest import expected_rows, read_csv, stored_file
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def _run(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("export_campaign", *args, stdout=out, stderr=err, verbosity=1)
    return out.getvalue(), err.getvalue()


def test_output_file_by_id(every_state, tmp_path):
    target = tmp_path / "results.csv"

    out, _ = _run(str(every_state.campaign.pk), "--output", str(target))

    header, *rows = read_csv(target.read_bytes())
    assert {row[1]: row for row in rows} == expected_rows(every_state)
    assert out.strip() == f"Exported 5 contacts of 'Customer survey, Q4' to {target}."
    assert list(tmp_path.iterdir()) == [target]  # no partial file left behind
    assert not ExportJob.objects.exists()
    entry = AuditLog.objects.get(action="export.file")
    assert entry.object_id == str(every_state.campaign.pk)
    assert entry.details == {"total_records": 5, "file": "results.csv", "format": "csv"}


def test_by_unique_name_into_storage_as_a_job(every_state):
    out, _ = _run("Customer survey, Q4")

    job = ExportJob.objects.get()
    assert job.status == ExportStatus.COMPLETED
    assert job.total_records == 5
    assert len(read_csv(stored_file(job))) == 6
    assert f"as export {job.pk}: " in out
    assert out.strip().endswith(f"{job.pk}.csv")
    assert AuditLog.objects.filter(action="export.start", actor=None).count() == 1


def test_an_ambiguous_name_lists_the_ids():
    first, second = CampaignFactory(name="Twins"), CampaignFactory(name="Twins")
    with pytest.raises(CommandError, match="Several campaigns are named 'Twins'") as error:
        _run("Twins")
    assert str(first.pk) in str(error.value)
    assert str(second.pk) in str(error.value)


@pytest.mark.parametrize("value", ["No such campaign", "3f1b6d3e-0000-4000-8000-000000000000"])
def test_an_unknown_campaign_is_an_error(value):
    with pytest.raises(CommandError, match="No campaign has the id"):
        _run(value)


def test_a_missing_output_folder_is_an_error(every_state, tmp_path):
    with pytest.raises(CommandError, match="folder of --output does not exist"):
        _run(str(every_state.campaign.pk), "--output", str(tmp_path / "nope" / "x.csv"))


def test_an_output_that_cannot_be_written_leaves_nothing_behind(every_state, tmp_path):
    folder = tmp_path / "a-folder"
    folder.mkdir()
    with pytest.raises(CommandError, match="Could not write"):
        _run(str(every_state.campaign.pk), "--output", str(folder))
    assert sorted(path.name for path in tmp_path.iterdir()) == ["a-folder"]
    assert not AuditLog.objects.filter(action="export.file").exists()


def test_an_export_in_flight_is_not_duplicated(every_state):
    ExportJobFactory(campaign=every_state.campaign, status=ExportStatus.PROCESSING)
    with pytest.raises(CommandError, match="already processing"):
        _run(str(every_state.campaign.pk))
    assert ExportJob.objects.count() == 1


def test_a_failed_export_is_a_command_error(every_state, broken_storage):
    with pytest.raises(CommandError, match="failed: "):
        _run(str(every_state.campaign.pk))
    assert ExportJob.objects.get().status == ExportStatus.FAILED


@pytest.mark.parametrize(("verbosity", "shown"), [(1, False), (2, True)])
def test_the_progress_bar_counts_the_rows(every_state, tmp_path, verbosity, shown):
    out, err = io.StringIO(), io.StringIO()
    call_command(
        "export_campaign",
        str(every_state.campaign.pk),
        "--output",
        str(tmp_path / "x.csv"),
        stdout=out,
        stderr=err,
        verbosity=verbosity,
    )
    # -v1 shows the bar on a terminal only (this stderr is not one); -v2 always.
    assert ("5/5" in err.getvalue()) == shown
    assert "\n\n" not in err.getvalue()  # one bar redrawn in place, not a line per update

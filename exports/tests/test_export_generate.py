"""export_generate: the file's content rules, storage, the job's states and the failure path.
Runs on SQLite (csv module) and PostgreSQL (COPY): the same assertions hold for both."""

from __future__ import annotations

import pytest
from django.core.files.storage import default_storage

from calls.tests.factories import SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from exports.models import ExportJob, ExportStatus
from exports.selectors import EXPORT_COLUMNS
from exports.services import export_generate
from exports.tests.conftest import (
    bulk_contacts,
    contact_order,
    expected_rows,
    read_csv,
    stored_file,
)
from exports.tests.factories import ExportJobFactory
from exports.writer import CHUNK_BYTES
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_file_has_the_columns_in_order_and_one_row_per_terminal_contact(every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    assert job.status == ExportStatus.COMPLETED
    header, *rows = read_csv(stored_file(job))
    assert header == list(EXPORT_COLUMNS)
    assert header == [
        "campaign_id",
        "contact_id",
        "external_contact_id",
        "phone_number",
        "outcome",
        "attempt_count",
        "last_attempt_at",
        "completed_at",
        "q1_answer",
        "q2_answer",
        "q3_answer",
    ]
    expected = expected_rows(every_state)
    contact_ids = [row[1] for row in rows]
    assert len(contact_ids) == len(set(contact_ids)) == 5  # none twice
    # Every cell: answers placed right, UTC timestamps, neutralised formulas, phones as is.
    assert {row[1]: row for row in rows} == expected
    # Pending, in-progress and other campaigns' contacts are not in the file.
    for name in ("pending", "in_progress", "other_campaign"):
        assert str(every_state.contacts[name].pk) not in contact_ids
    assert contact_ids == contact_order(every_state.campaign)
    assert job.total_records == 5


def test_phone_numbers_are_not_treated_as_formulas(every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    phones = {row[3] for row in read_csv(stored_file(job))[1:]}
    assert "+393471000001" in phones
    assert "+447700900004" in phones
    assert not any(phone.startswith("'") for phone in phones)


def test_job_records_file_times_and_audit(every_state):
    job = ExportJobFactory(campaign=every_state.campaign)
    export_generate(job=job)

    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED
    assert job.file_key == f"exports/{every_state.campaign.pk}/{job.pk}.csv"
    assert job.file_name.startswith("customer-survey-q4-")
    assert job.file_name.endswith(".csv")
    assert job.started_at is not None
    assert job.completed_at >= job.started_at
    assert job.attempts == 1
    assert job.error_message == ""
    assert default_storage.exists(job.file_key)
    entry = AuditLog.objects.get(action="export.complete")
    assert entry.object_id == str(job.pk)
    assert entry.details == {"total_records": 5, "format": "csv"}


def test_every_job_gets_its_own_file(every_state):
    first = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    second = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    assert first.file_key != second.file_key
    assert stored_file(first) == stored_file(second)


def test_an_empty_campaign_gives_a_header_only_file():
    job = export_generate(job=ExportJobFactory())
    assert job.status == ExportStatus.COMPLETED
    assert job.total_records == 0
    assert stored_file(job) == (",".join(EXPORT_COLUMNS) + "\n").encode()


def test_a_job_that_is_not_pending_is_left_alone(every_state):
    """A task delivered twice must not generate twice."""
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    finished = job.completed_at

    again = export_generate(job=job)
    assert again.status == ExportStatus.COMPLETED
    assert again.completed_at == finished
    assert again.attempts == 1
    assert AuditLog.objects.filter(action="export.complete").count() == 1


def test_files_larger_than_one_chunk_are_complete_and_in_order():
    """Enough rows for several chunks: none lost or repeated at the chunk seams."""
    campaign = CampaignFactory()
    contacts = bulk_contacts(campaign, 9000, state=ContactState.NOT_REACHED, id_padding=200)
    progress = []
    job = export_generate(job=ExportJobFactory(campaign=campaign), progress=progress.append)

    data = stored_file(job)
    assert len(data) > 2 * CHUNK_BYTES
    rows = read_csv(data)[1:]
    assert job.total_records == len(rows) == 9000
    assert [row[1] for row in rows] == contact_order(campaign)
    assert {row[1] for row in rows} == {str(contact.pk) for contact in contacts}
    assert len(progress) >= 2
    assert sum(progress) == 9000


def test_a_storage_failure_fails_the_job_with_its_message(every_state, broken_storage):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "NotADirectoryError" in job.error_message or "FileExistsError" in job.error_message
    assert job.completed_at is not None
    assert job.total_records is None
    assert job.file_key == ""
    assert AuditLog.objects.filter(action="export.fail", object_id=str(job.pk)).exists()
    # The database is still usable after the failure (no poisoned transaction).
    assert ExportJob.objects.filter(status=ExportStatus.FAILED).count() == 1


def test_answers_of_a_response_land_in_their_own_columns():
    contact = SurveyResponseFactory(answer_values={"q1": "1", "q2": "22", "q3": "three"}).contact
    job = export_generate(job=ExportJobFactory(campaign=contact.campaign))
    (row,) = read_csv(stored_file(job))[1:]
    cells = dict(zip(EXPORT_COLUMNS, row, strict=True))
    assert (cells["q1_answer"], cells["q2_answer"], cells["q3_answer"]) == ("1", "22", "three")
    assert cells["outcome"] == "completed"

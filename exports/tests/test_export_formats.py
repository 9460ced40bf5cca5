"""Export formats: the long CSV (one row per answer), Excel workbooks of both shapes, Excel's
row limit, and choosing a format from the panel, the API and `export_campaign --format`.

The long CSV is compared byte for byte with a file written by hand, on SQLite (the Python
writer) and on PostgreSQL (COPY) alike."""

from __future__ import annotations

import datetime as dt
import io
import urllib.request
from dataclasses import dataclass

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from openpyxl import load_workbook
from openpyxl.utils.escape import unescape

from calls.models import Answer
from calls.tests.factories import CallAttemptFactory, SurveyResponseFactory
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState
from contacts.tests.factories import ContactFactory
from exports import xlsx
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.services import export_generate, export_start
from exports.storage import export_download_link
from exports.tests.conftest import expected_rows, read_csv, stored_file
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

UTC = dt.UTC
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HTMX = {"HTTP_HX_REQUEST": "true"}

QUESTIONS = [
    {
        "key": "recommend",
        "type": "scale",
        "min": 0,
        "max": 10,
        "text": {
            "en": "How likely are you to recommend us?",
            "it": "Quanto ci consiglierebbe?",
        },
    },
    {
        "key": "called_before",
        "type": "yes_no",
        "text": {"en": "Did you call us before?", "it": "Ci aveva già chiamato?"},
    },
    {
        "key": "improve",
        "type": "free_text",
        # A text that starts like a formula is neutralised like any other free text.
        "text": {"en": "@Team: what should we improve?", "it": "Che cosa dovremmo migliorare?"},
    },
]


@dataclass
class Surveys:
    campaign: object
    anna: Contact  # Italian, skipped question 2, confidence 1.0
    bob: Contact  # English, question 2 unanswered
    carla: Contact  # refused: no answers, but her attribute is a column


def _answer(response, position, *, status="answered", value, raw, mode, confidence):
    Answer.objects.create(
        response=response,
        position=position,
        key=QUESTIONS[position - 1]["key"],
        question_type=QUESTIONS[position - 1]["type"],
        status=status,
        value=value,
        raw=raw,
        mode=mode,
        confidence=confidence,
    )


@pytest.fixture
def surveys(db) -> Surveys:
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        name="Shop survey",
        languages=["en", "it"],
        questions=QUESTIONS,
    )
    anna = ContactFactory(
        campaign=campaign,
        state=ContactState.COMPLETED,
        external_contact_id="CRM-1",
        phone_number="+393471000001",
        attributes={"region": "north", "tier": "=gold"},
    )
    bob = ContactFactory(
        campaign=campaign,
        state=ContactState.COMPLETED,
        external_contact_id="@crm-2",
        phone_number="+447700900002",
        attributes={"region": "south"},
    )
    carla = ContactFactory(
        campaign=campaign,
        state=ContactState.REFUSED,
        phone_number="+393471000003",
        attributes={"age_band": "30-39"},
    )
    unfinished = ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS)
    # Upload order, fixed: creation in the same microsecond would leave it to the ids.
    for minute, contact in enumerate([anna, bob, carla, unfinished]):
        Contact.objects.filter(pk=contact.pk).update(
            created_at=dt.datetime(2026, 11, 1, 8, minute, tzinfo=UTC)
        )

    anna_response = SurveyResponseFactory(
        contact=anna,
        language="it",
        call_attempt=CallAttemptFactory(contact=anna, attempt_number=2),
        answer_values={},
        completed_at=dt.datetime(2026, 11, 20, 9, 34, 2, tzinfo=UTC),
    )
    _answer(anna_response, 1, value="9", raw="nove", mode="speech", confidence=0.92)
    # Question 2 was skipped: no row. Question 3: free text that starts like a formula.
    _answer(
        anna_response, 3, value='=HYPERLINK("x")', raw='=HYPERLINK("x")', mode="speech",
        confidence=1.0,
    )  # fmt: skip
    bob_response = SurveyResponseFactory(
        contact=bob,
        language="en",
        call_attempt=CallAttemptFactory(contact=bob, attempt_number=1),
        answer_values={},
        completed_at=dt.datetime(2026, 11, 21, 15, 0, 0, 500000, tzinfo=UTC),
    )
    _answer(bob_response, 1, value="7", raw="7", mode="dtmf", confidence=None)
    _answer(
        bob_response, 2, status="unanswered", value="", raw="mmh", mode="speech",
        confidence=0.31,
    )  # fmt: skip
    _answer(
        bob_response, 3, value='Faster, "friendlier"\nsupport', raw="faster friendlier support",
        mode="speech", confidence=0.7,
    )  # fmt: skip
    # Not exported: a survey not completed, and another campaign's answers.
    unfinished_response = SurveyResponseFactory(
        contact=unfinished, answer_values={}, completed_at=None
    )
    _answer(unfinished_response, 1, value="1", raw="1", mode="dtmf", confidence=None)
    SurveyResponseFactory(contact=ContactFactory(state=ContactState.COMPLETED))
    return Surveys(campaign=campaign, anna=anna, bob=bob, carla=carla)


def expected_long_csv(s: Surveys) -> bytes:
    c, a, b = s.campaign.pk, s.anna.pk, s.bob.pk
    return (
        "campaign_id,contact_id,external_contact_id,phone_number,attr_age_band,attr_region,"
        "attr_tier,language,attempt_number,question_position,question_key,question_text,"
        "status,value,raw,input_mode,confidence,answered_at\n"
        f"{c},{a},CRM-1,+393471000001,,north,'=gold,it,2,1,recommend,"
        "Quanto ci consiglierebbe?,answered,9,nove,speech,0.92,2026-11-20T09:34:02Z\n"
        f"{c},{a},CRM-1,+393471000001,,north,'=gold,it,2,3,improve,"
        'Che cosa dovremmo migliorare?,answered,"\'=HYPERLINK(""x"")",'
        '"\'=HYPERLINK(""x"")",speech,1,2026-11-20T09:34:02Z\n'
        f"{c},{b},'@crm-2,+447700900002,,south,,en,1,1,recommend,"
        "How likely are you to recommend us?,answered,7,7,dtmf,,2026-11-21T15:00:00Z\n"
        f"{c},{b},'@crm-2,+447700900002,,south,,en,1,2,called_before,"
        'Did you call us before?,unanswered,"",mmh,speech,0.31,2026-11-21T15:00:00Z\n'
        f"{c},{b},'@crm-2,+447700900002,,south,,en,1,3,improve,"
        '\'@Team: what should we improve?,answered,"Faster, ""friendlier""\nsupport",'
        "faster friendlier support,speech,0.7,2026-11-21T15:00:00Z\n"
    ).encode()


def _generate(campaign, export_format: ExportFormat) -> ExportJob:
    return export_generate(job=ExportJobFactory(campaign=campaign, format=export_format))


def _workbook_rows(data: bytes, *, header_bold: bool = True) -> list[list]:
    """The sheet's cells, read back with openpyxl in read-only mode: (value, data type). The
    file holds control characters as Excel does (`\r` as `_x000D_`), which openpyxl's
    read-only mode leaves to its caller to unescape."""
    book = load_workbook(io.BytesIO(data), read_only=True)
    (sheet,) = book.worksheets
    rows = list(sheet.iter_rows())
    if header_bold:
        assert all(cell.font.b for cell in rows[0])
    result = [
        [
            (unescape(cell.value) if isinstance(cell.value, str) else cell.value, cell.data_type)
            for cell in row
        ]
        for row in rows
    ]
    book.close()
    return result


# --- The long CSV ---------------------------------------------------------------------------------


def test_long_csv_has_one_row_per_answer_exactly(surveys):
    job = _generate(surveys.campaign, ExportFormat.LONG)

    assert job.status == ExportStatus.COMPLETED, job.error_message
    assert job.total_records == 5
    assert stored_file(job) == expected_long_csv(surveys)
    assert job.file_key.endswith(f"{job.pk}.csv")
    assert job.file_name.startswith("shop-survey-")
    assert job.file_name.endswith("-answers.csv")


def test_long_csv_neutralises_every_free_text_cell(surveys):
    header, *rows = read_csv(stored_file(_generate(surveys.campaign, ExportFormat.LONG)))
    cell = {name: [row[i] for row in rows] for i, name in enumerate(header)}
    assert cell["external_contact_id"][2] == "'@crm-2"
    assert cell["attr_tier"][0] == "'=gold"
    assert cell["question_text"][4] == "'@Team: what should we improve?"
    assert cell["value"][1] == cell["raw"][1] == '\'=HYPERLINK("x")'
    # Numbers and phone numbers are not free text: written as they are.
    assert cell["phone_number"][0] == "+393471000001"


def test_long_csv_without_attributes_or_answers_is_a_header(db):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign, state=ContactState.REFUSED)

    job = _generate(campaign, ExportFormat.LONG)

    assert job.total_records == 0
    assert read_csv(stored_file(job)) == [
        [
            "campaign_id",
            "contact_id",
            "external_contact_id",
            "phone_number",
            "language",
            "attempt_number",
            "question_position",
            "question_key",
            "question_text",
            "status",
            "value",
            "raw",
            "input_mode",
            "confidence",
            "answered_at",
        ]
    ]


def test_the_seed_csv_is_still_the_default_and_unchanged(every_state):
    job, _ = export_start(campaign=every_state.campaign, actor=None, enqueue=False)
    job = export_generate(job=job)

    assert job.format == ExportFormat.CSV
    header, *rows = read_csv(stored_file(job))
    assert header[:11] == [
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
    assert {row[1]: row for row in rows} == expected_rows(every_state)


# --- Excel ----------------------------------------------------------------------------------------


def test_long_xlsx_holds_the_same_rows_as_values(surveys):
    job = _generate(surveys.campaign, ExportFormat.LONG_XLSX)

    assert job.status == ExportStatus.COMPLETED, job.error_message
    assert job.total_records == 5
    assert job.file_key.endswith(f"{job.pk}.xlsx")
    assert job.file_name.endswith("-answers.xlsx")
    rows = _workbook_rows(stored_file(job))
    values = [[value for value, _ in row] for row in rows]
    assert values[0] == read_csv(expected_long_csv(surveys))[0]
    c, a, b = str(surveys.campaign.pk), str(surveys.anna.pk), str(surveys.bob.pk)
    assert values[1:] == [
        # Excel cells are typed: free text is as it is (no `'`), empty cells are empty.
        [c, a, "CRM-1", "+393471000001", None, "north", "=gold", "it", 2, 1, "recommend",
         "Quanto ci consiglierebbe?", "answered", "9", "nove", "speech", 0.92,
         "2026-11-20T09:34:02Z"],
        [c, a, "CRM-1", "+393471000001", None, "north", "=gold", "it", 2, 3, "improve",
         "Che cosa dovremmo migliorare?", "answered", '=HYPERLINK("x")', '=HYPERLINK("x")',
         "speech", 1, "2026-11-20T09:34:02Z"],
        [c, b, "@crm-2", "+447700900002", None, "south", None, "en", 1, 1, "recommend",
         "How likely are you to recommend us?", "answered", "7", "7", "dtmf", None,
         "2026-11-21T15:00:00Z"],
        [c, b, "@crm-2", "+447700900002", None, "south", None, "en", 1, 2, "called_before",
         "Did you call us before?", "unanswered", "", "mmh", "speech", 0.31,
         "2026-11-21T15:00:00Z"],
        [c, b, "@crm-2", "+447700900002", None, "south", None, "en", 1, 3, "improve",
         "@Team: what should we improve?", "answered", 'Faster, "friendlier"\nsupport',
         "faster friendlier support", "speech", 0.7, "2026-11-21T15:00:00Z"],
    ]  # fmt: skip
    types = {value: kind for row in rows[1:] for value, kind in row if value is not None}
    assert types['=HYPERLINK("x")'] == "s"  # a string, never a formula
    assert types["=gold"] == "s"
    assert types["+393471000001"] == "s"
    assert types["9"] == "s"  # an answer is text, even when it reads as a number
    assert types[0.92] == types[2] == "n"


def test_xlsx_has_the_seed_columns_and_never_runs_a_formula(every_state):
    contact = every_state.contacts["completed"]
    Contact.objects.filter(pk=contact.pk).update(external_contact_id="=1+1")

    job = _generate(every_state.campaign, ExportFormat.XLSX)

    assert job.status == ExportStatus.COMPLETED, job.error_message
    assert job.total_records == 5
    assert job.file_name.endswith(".xlsx")
    assert "-answers" not in job.file_name
    rows = _workbook_rows(stored_file(job))
    seed_csv = stored_file(_generate(every_state.campaign, ExportFormat.CSV))
    assert [value for value, _ in rows[0]] == read_csv(seed_csv)[0]
    by_contact = {row[1][0]: row for row in rows[1:]}
    assert by_contact[str(contact.pk)][2] == ("=1+1", "s")
    assert by_contact[str(contact.pk)][5] == (2, "n")  # attempt_count, a number
    formulas = every_state.contacts["formulas"]
    assert by_contact[str(formulas.pk)][8:11] == [
        ("+1", "s"),
        ("-2", "s"),
        ("\tcmd; \rthen =1+1", "s"),
    ]


def test_xlsx_download_is_served_as_a_workbook(client, manager_user, surveys):
    job = _generate(surveys.campaign, ExportFormat.LONG_XLSX)
    client.force_login(manager_user)

    response = client.get(export_download_link(job=job).url)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert job.file_name in response["Content-Disposition"]
    assert len(_workbook_rows(b"".join(response.streaming_content))) == 6


def test_xlsx_to_s3_is_stored_as_a_workbook(s3_bucket, surveys):
    client, bucket = s3_bucket

    job = _generate(surveys.campaign, ExportFormat.LONG_XLSX)

    assert job.status == ExportStatus.COMPLETED, job.error_message
    assert job.file_key == f"exports/{surveys.campaign.pk}/{job.pk}.xlsx"
    head = client.head_object(Bucket=bucket, Key=job.file_key)
    assert head["ContentType"] == XLSX_TYPE
    with urllib.request.urlopen(export_download_link(job=job).url, timeout=10) as response:
        data = response.read()  # our moto server
    assert len(_workbook_rows(data)) == 6


# --- Excel's row limit ----------------------------------------------------------------------------


@pytest.fixture
def small_excel(monkeypatch):
    """Excel holds 5 rows here: a header and 4 data rows."""
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 5)


REFUSED = "5 rows: more than Excel's 5 — export as CSV instead."


def test_too_many_rows_for_excel_is_refused_before_a_job_exists(small_excel, manager_api, surveys):
    response = manager_api.post(
        f"/api/campaigns/{surveys.campaign.pk}/exports", {"format": "long_xlsx"}, format="json"
    )

    assert response.status_code == 400
    assert response.json() == {"format": [REFUSED]}
    assert not ExportJob.objects.exists()
    # The same rows fit in a CSV, and the contacts' workbook (2 rows) in Excel.
    for export_format in ("long", "xlsx"):
        ExportJob.objects.all().delete()
        response = manager_api.post(
            f"/api/campaigns/{surveys.campaign.pk}/exports?format={export_format}"
        )
        assert response.status_code == 202, response.content


def test_a_campaign_grown_past_the_limit_fails_its_job_with_the_message(small_excel, surveys):
    job = _generate(surveys.campaign, ExportFormat.LONG_XLSX)

    assert job.status == ExportStatus.FAILED
    assert job.error_message == REFUSED
    assert job.file_key == ""
    entry = AuditLog.objects.get(action="export.fail")
    assert entry.details == {"format": "long_xlsx", "error": REFUSED}


def test_the_writer_stops_rather_than_drop_rows_it_did_not_count(monkeypatch, surveys):
    # As if answers arrived between the count and the write.
    monkeypatch.setattr("exports.services._excel_row_limit_check", lambda **kwargs: None)
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 3)

    job = _generate(surveys.campaign, ExportFormat.LONG_XLSX)

    assert job.status == ExportStatus.FAILED
    assert "more than Excel's 3 — export as CSV instead" in job.error_message


def test_the_limit_is_excels_own():
    assert xlsx.EXCEL_MAX_ROWS == 1_048_576
    assert xlsx.excel_row_limit_problem(1_048_575) is None
    assert xlsx.excel_row_limit_problem(1_048_576) == (
        "1,048,576 rows: more than Excel's 1,048,576 — export as CSV instead."
    )


# --- Choosing the format: API ---------------------------------------------------------------------

FORMATS = ["csv", "long", "xlsx", "long_xlsx"]


@pytest.mark.parametrize("export_format", FORMATS)
@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 202), ("manager", 202), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix_for_each_format(persona_api, surveys, export_format, expected):
    response = persona_api.post(
        f"/api/campaigns/{surveys.campaign.pk}/exports", {"format": export_format}, format="json"
    )
    assert response.status_code == expected, response.content
    assert list(ExportJob.objects.values_list("format", flat=True)) == (
        [export_format] if expected == 202 else []
    )


@pytest.mark.parametrize("export_format", FORMATS)
def test_api_starts_the_chosen_format_and_shows_it(
    manager_api, surveys, export_format, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = manager_api.get(
            f"/api/campaigns/{surveys.campaign.pk}/export?format={export_format}"
        )

    assert response.status_code == 202, response.content
    assert response["Content-Type"] == "application/json"
    assert response.json()["format"] == export_format
    job = ExportJob.objects.get()
    assert job.format == export_format
    assert job.status == ExportStatus.COMPLETED, job.error_message
    detail = manager_api.get(f"/api/exports/{job.pk}").json()
    assert detail["format"] == export_format
    assert detail["download_url"]
    listed = manager_api.get(f"/api/campaigns/{surveys.campaign.pk}/exports").json()
    assert [item["format"] for item in listed] == [export_format]
    entry = AuditLog.objects.get(action="export.start")
    assert entry.details["format"] == export_format
    assert AuditLog.objects.get(action="export.complete").details["format"] == export_format


def test_api_takes_the_format_from_a_form_body(manager_api, surveys):
    response = manager_api.post(f"/api/campaigns/{surveys.campaign.pk}/exports", {"format": "long"})
    assert response.status_code == 202
    assert ExportJob.objects.get().format == "long"


@pytest.mark.parametrize("bad", ["pdf", "", "CSV"])
def test_api_refuses_an_unknown_format_naming_it(manager_api, surveys, bad):
    response = manager_api.post(
        f"/api/campaigns/{surveys.campaign.pk}/exports", {"format": bad}, format="json"
    )
    assert response.status_code == 400
    assert "format" in response.json()
    response = manager_api.get(f"/api/campaigns/{surveys.campaign.pk}/export?format={bad}")
    assert response.status_code == 400
    assert "format" in response.json()
    assert not ExportJob.objects.exists()


def test_an_export_in_flight_is_returned_whatever_format_was_asked(manager_api, surveys):
    running = ExportJobFactory(campaign=surveys.campaign, status=ExportStatus.PROCESSING)

    response = manager_api.post(
        f"/api/campaigns/{surveys.campaign.pk}/exports", {"format": "long_xlsx"}, format="json"
    )

    assert response.status_code == 202
    body = response.json()
    assert body["job_id"] == str(running.pk)
    assert body["format"] == "csv"
    assert "already processing (CSV, one row per contact)" in body["message"]
    assert ExportJob.objects.count() == 1


# --- Choosing the format: the panel ---------------------------------------------------------------


def test_panel_offers_the_four_formats_without_script(client, manager_user, surveys):
    client.force_login(manager_user)
    html = client.get(reverse("exports:panel", args=[surveys.campaign.pk]), **HTMX).content
    html = html.decode()
    assert '<select name="format"' in html
    for value, label in ExportFormat.choices:
        assert f'<option value="{value}"' in html
        assert label in html
    assert "<script" not in html
    assert "onchange=" not in html
    assert "onclick=" not in html


@pytest.mark.parametrize("export_format", FORMATS)
def test_panel_starts_the_chosen_format(
    client, manager_user, surveys, export_format, django_capture_on_commit_callbacks
):
    client.force_login(manager_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("exports:start", args=[surveys.campaign.pk]), {"format": export_format}, **HTMX
        )

    assert response.status_code == 200
    job = ExportJob.objects.get()
    assert job.format == export_format
    html = client.get(reverse("exports:panel", args=[surveys.campaign.pk]), **HTMX).content
    html = html.decode()
    noun = "answers" if ExportFormat(export_format).per_answer else "contacts"
    assert f"Ready: {job.total_records} {noun}" in html
    assert f'<option value="{export_format}" selected>' in html  # the last choice kept


def test_panel_without_a_format_exports_the_seed_csv(client, manager_user, surveys):
    client.force_login(manager_user)
    client.post(reverse("exports:start", args=[surveys.campaign.pk]))
    assert ExportJob.objects.get().format == "csv"


def test_panel_refuses_an_unknown_format(client, manager_user, surveys):
    client.force_login(manager_user)
    response = client.post(reverse("exports:start", args=[surveys.campaign.pk]), {"format": "x"})
    assert response.status_code == 400
    assert not ExportJob.objects.exists()


def test_panel_says_why_excel_is_refused(small_excel, client, manager_user, surveys):
    client.force_login(manager_user)
    url = reverse("exports:start", args=[surveys.campaign.pk])

    response = client.post(url, {"format": "long_xlsx"}, **HTMX)
    assert response.status_code == 200
    assert "more than Excel&#x27;s 5 — export as CSV instead" in response.content.decode()

    response = client.post(url, {"format": "long_xlsx"}, follow=True)
    assert "more than Excel&#x27;s 5 — export as CSV instead" in response.content.decode()
    assert not ExportJob.objects.exists()


def test_viewer_cannot_start_any_format(client, viewer_user, surveys):
    client.force_login(viewer_user)
    for export_format in FORMATS:
        response = client.post(
            reverse("exports:start", args=[surveys.campaign.pk]), {"format": export_format}
        )
        assert response.status_code == 403
    assert not ExportJob.objects.exists()


# --- Choosing the format: export_campaign --format ------------------------------------------------


def _run(*args) -> str:
    out = io.StringIO()
    call_command("export_campaign", *args, stdout=out, stderr=io.StringIO(), verbosity=1)
    return out.getvalue()


def test_command_writes_the_long_csv_to_a_file(surveys, tmp_path):
    target = tmp_path / "answers.csv"

    out = _run(str(surveys.campaign.pk), "--format", "long", "--output", str(target))

    assert target.read_bytes() == expected_long_csv(surveys)
    assert out.strip() == f"Exported 5 answers of 'Shop survey' to {target}."
    entry = AuditLog.objects.get(action="export.file")
    assert entry.details == {"total_records": 5, "file": "answers.csv", "format": "long"}


def test_command_writes_a_workbook_to_a_file(surveys, tmp_path):
    target = tmp_path / "contacts.xlsx"

    _run("Shop survey", "--format", "xlsx", "--output", str(target))

    rows = _workbook_rows(target.read_bytes())
    assert len(rows) == 4  # header, Anna, Bob, Carla
    assert list(tmp_path.iterdir()) == [target]


def test_command_runs_a_job_in_the_chosen_format(surveys):
    out = _run("Shop survey", "--format", "long_xlsx")

    job = ExportJob.objects.get()
    assert job.format == "long_xlsx"
    assert job.status == ExportStatus.COMPLETED
    assert out.strip().endswith(f"{job.pk}.xlsx")
    assert "Exported 5 answers" in out


def test_command_refuses_too_many_rows_for_excel(small_excel, surveys, tmp_path):
    with pytest.raises(CommandError, match="more than Excel's 5 — export as CSV instead"):
        _run("Shop survey", "--format", "long_xlsx", "--output", str(tmp_path / "a.xlsx"))
    with pytest.raises(CommandError, match="more than Excel's 5 — export as CSV instead"):
        _run("Shop survey", "--format", "long_xlsx")
    assert not ExportJob.objects.exists()
    assert list(tmp_path.iterdir()) == []


def test_command_refuses_an_unknown_format(surveys):
    with pytest.raises(CommandError, match="invalid choice: 'pdf'"):
        _run("Shop survey", "--format", "pdf")

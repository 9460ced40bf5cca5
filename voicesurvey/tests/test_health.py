import json
import logging

import pytest

from voicesurvey.logging import JsonFormatter, RedactPhoneNumbersFilter, RequestIdFilter

pytestmark = pytest.mark.django_db


def test_healthz_reports_database_and_cache(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_request_id_is_echoed_or_made(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="abc-123")["X-Request-ID"] == "abc-123"
    made = client.get("/healthz", HTTP_X_REQUEST_ID="bad id with spaces")["X-Request-ID"]
    assert made != "bad id with spaces"
    assert len(made) == 32


def _format(message, *args):
    record = logging.LogRecord("voicesurvey.test", logging.INFO, __file__, 1, message, args, None)
    RequestIdFilter().filter(record)
    RedactPhoneNumbersFilter().filter(record)
    return json.loads(JsonFormatter().format(record))


def test_json_log_lines_carry_the_request_id():
    entry = _format("hello %s", "world")
    assert entry["message"] == "hello world"
    assert entry["level"] == "INFO"
    assert entry["request_id"] == "-"
    assert entry["time"].endswith("Z")


@pytest.mark.parametrize(
    "number", ["+393471234567", "+39 347 123 4567", "+1 (212) 555-0123", "3471234567"]
)
def test_phone_numbers_never_reach_the_logs(number):
    entry = _format("dialling %s now", number)
    assert entry["message"] == "dialling [phone] now"


@pytest.mark.parametrize(
    "text",
    [
        "2026-11-22 10:15:00",
        "took 1234 ms",
        "campaign 3f2a9c1e-4b1d-4c6e-9a7b-1c2d3e4f5a6b",
        "call 4d74c5cd-c615-4b52-9d9a-120384756201",  # a UUID whose last group is all digits
    ],
)
def test_redaction_leaves_dates_durations_and_ids(text):
    assert _format(text)["message"] == text


def test_api_paths_that_match_nothing_answer_json_404(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/api/campaigns/not-a-uuid/stats")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pages_that_match_nothing_answer_the_html_404(client, admin_user):
    client.force_login(admin_user)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert b"There is nothing at this address." in response.content

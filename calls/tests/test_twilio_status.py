"""Twilio's status callbacks at /webhooks/telephony/twilio/<call_id>/status: recorded-shape,
signed form posts mapped onto our call statuses; duplicates and reordering change nothing."""

import json

import pytest

from calls.models import CallAttempt, CallEvent
from calls.telephony.twilio import TwilioProvider
from calls.tests.factories import CallAttemptFactory
from calls.tests.twilio_support import CALL_SID, TwilioCloud, configure
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt(settings):
    configure(settings)
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(contact=contact, provider="twilio", provider_call_id="")


@pytest.fixture
def cloud(client, attempt):
    provider = TwilioProvider()
    return TwilioCloud(
        client,
        url=provider.dialogue_url(str(attempt.pk), turn=0),
        status_callback=provider.status_url(str(attempt.pk)),
        to=attempt.contact.phone_number,
    )


def reload(attempt):
    attempt.refresh_from_db()
    attempt.contact.refresh_from_db()
    return attempt


def test_a_call_that_is_answered_and_hung_up(cloud, attempt):
    for call_status, at in [
        ("initiated", "Mon, 23 Nov 2026 15:00:00 +0000"),
        ("ringing", "Mon, 23 Nov 2026 15:00:01 +0000"),
        ("in-progress", "Mon, 23 Nov 2026 15:00:09 +0000"),
    ]:
        response = cloud.status(call_status, timestamp=at)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/xml; charset=utf-8"
        assert response.content == b'<?xml version="1.0" encoding="UTF-8"?><Response />'
    attempt = reload(attempt)
    assert (attempt.provider_call_id, attempt.provider_raw_status) == (CALL_SID, "in-progress")
    assert attempt.answered_at.isoformat() == "2026-11-23T15:00:09+00:00"

    cloud.status("completed", timestamp="Mon, 23 Nov 2026 15:00:31 +0000", CallDuration="22")
    attempt = reload(attempt)
    # Answered, then over before the survey ended: the callee hung up.
    assert (attempt.outcome, attempt.error_code) == ("failed", "hung_up")
    assert attempt.ended_at.isoformat() == "2026-11-23T15:00:31+00:00"
    assert attempt.duration_seconds == 22
    assert attempt.contact.state == ContactState.PENDING
    assert list(CallEvent.objects.order_by("id").values_list("event_key", "status")) == [
        ("status:initiated:0", "initiated"),
        ("status:ringing:1", "ringing"),
        ("status:in-progress:2", "answered"),
        ("status:completed:3", "completed"),
    ]


def test_a_callback_costs_a_handful_of_queries(cloud, attempt, django_assert_num_queries):
    # 1 SAVEPOINT, 2 the attempt FOR UPDATE, 3 insert the event unless seen, 4 update the
    # attempt, 5 RELEASE SAVEPOINT: the same as any provider's, nothing for the signature.
    with django_assert_num_queries(5):
        assert cloud.status("ringing").status_code == 200


def test_queued_counts_as_initiated(cloud, attempt):
    cloud.status("queued")
    assert reload(attempt).provider_raw_status == "queued"
    assert CallEvent.objects.get().status == "initiated"


@pytest.mark.parametrize(
    ("call_status", "extra", "outcome", "error_code"),
    [
        ("busy", {"SipResponseCode": "486"}, "busy", ""),
        ("no-answer", {"SipResponseCode": "487"}, "no_answer", ""),
        ("failed", {"ErrorCode": "32009", "SipResponseCode": "503"}, "failed", "twilio:32009"),
        ("failed", {}, "failed", "provider_failed"),
        ("canceled", {}, "failed", "canceled"),
    ],
)
def test_a_call_that_ends_unanswered(cloud, attempt, call_status, extra, outcome, error_code):
    cloud.status("initiated")
    cloud.status("ringing")
    cloud.status(call_status, CallDuration="0", **extra)
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code, attempt.provider_raw_status) == (
        outcome,
        error_code,
        call_status,
    )
    assert attempt.contact.state == ContactState.PENDING
    assert attempt.contact.next_attempt_at is not None  # retried after the retry interval


def test_a_duplicate_callback_is_stored_once_and_changes_nothing(cloud, attempt):
    cloud.status("ringing", sequence=1)
    cloud.status("busy", sequence=2, timestamp="Mon, 23 Nov 2026 15:00:20 +0000")
    retry_at = reload(attempt).contact.next_attempt_at
    # Twilio retries a callback it thinks failed: same fields, same SequenceNumber.
    again = cloud.status("busy", sequence=2, timestamp="Mon, 23 Nov 2026 15:00:20 +0000")
    assert again.status_code == 200
    assert CallEvent.objects.filter(status="busy").count() == 1
    attempt = reload(attempt)
    assert attempt.outcome == "busy"
    assert attempt.contact.next_attempt_at == retry_at


def test_callbacks_out_of_order_never_move_the_call_backwards(cloud, attempt):
    cloud.status("in-progress", sequence=2, timestamp="Mon, 23 Nov 2026 15:00:09 +0000")
    cloud.status("ringing", sequence=1, timestamp="Mon, 23 Nov 2026 15:00:01 +0000")
    cloud.status("initiated", sequence=0)
    attempt = reload(attempt)
    assert attempt.provider_raw_status == "in-progress"
    assert attempt.answered_at.isoformat() == "2026-11-23T15:00:09+00:00"

    cloud.status("completed", sequence=4, CallDuration="40")
    cloud.status("ringing", sequence=1)  # a very late duplicate
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.provider_raw_status) == ("failed", "completed")
    assert CallEvent.objects.count() == 4  # every callback stored once, the duplicate not


def test_the_final_callback_first_then_the_rest(cloud, attempt):
    cloud.status("no-answer", sequence=3)
    cloud.status("ringing", sequence=1)
    cloud.status("initiated", sequence=0)
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.provider_raw_status) == ("no_answer", "no-answer")
    assert attempt.contact.state == ContactState.PENDING


@pytest.mark.parametrize(
    ("answered_by", "error_code"), [("machine_start", "answering_machine"), ("fax", "fax")]
)
def test_a_call_a_machine_took_ends_as_no_answer(cloud, attempt, answered_by, error_code):
    cloud.status("in-progress", AnsweredBy=answered_by)
    cloud.status("completed", CallDuration="12", AnsweredBy=answered_by)
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code) == ("no_answer", error_code)
    assert attempt.contact.state == ContactState.PENDING


def test_an_unreadable_timestamp_counts_at_arrival(cloud, attempt):
    response = cloud.status("in-progress", timestamp="yesterday-ish")
    assert response.status_code == 200
    assert reload(attempt).answered_at is not None


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"CallStatus": "exploded"}, "CallStatus: 'exploded' is not one of"),
        ({"SequenceNumber": "two"}, "SequenceNumber: a whole number from 0 to 10000"),
        ({"SequenceNumber": "-1"}, "SequenceNumber: a whole number"),
        ({"SequenceNumber": "²"}, "SequenceNumber: a whole number"),
    ],
)
def test_a_signed_but_unreadable_callback_is_400(cloud, attempt, fields, message):
    body = {**cloud.call_fields("ringing"), "SequenceNumber": "1", **fields}
    response = cloud.post(cloud.status_callback, body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not CallEvent.objects.exists()
    assert reload(attempt).provider_raw_status == ""


def test_the_stored_event_keeps_no_phone_number(cloud, attempt):
    cloud.status("completed", CallDuration="3")
    payload = CallEvent.objects.get().payload
    assert payload["CallSid"] == CALL_SID
    assert payload["CallDuration"] == "3"
    assert "To" not in payload
    assert "Called" not in payload
    assert attempt.contact.phone_number not in json.dumps(payload)


def test_a_callback_for_a_call_of_another_provider_is_404(cloud, attempt):
    CallAttempt.objects.filter(pk=attempt.pk).update(provider="simulator")
    assert cloud.status("ringing").status_code == 404
    assert not CallEvent.objects.exists()

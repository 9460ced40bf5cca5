"""POST /webhooks/telephony/<provider>/<call_id>/status|dialogue: signatures, unknown calls,
bad bodies, replays and reordering, and the dialogue over HTTP — with simulator-signed
requests through Django's test client."""

import json

import pytest
from django.test import Client

from calls.models import CallAttempt, CallEvent, CallStatsBucket, SurveyEvent, SurveyResponse
from calls.telephony.simulator import SIGNATURE_HEADER, sign
from calls.tests.conftest import simulator_url
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import INTROS, CampaignFactory, three_questions
from contacts.models import ContactState, ExclusionEntry
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def attempt():
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(contact=contact, provider_call_id="")


def status(post, attempt, raw, sequence, **extra):
    return post(attempt.pk, {"status": raw, "sequence": sequence, **extra})


def reload(attempt):
    attempt.refresh_from_db()
    attempt.contact.refresh_from_db()
    return attempt


# --- Who may post --------------------------------------------------------------------------------


def test_a_signed_event_is_stored_and_applied(post_simulator, attempt):
    response = status(post_simulator, attempt, "ringing", 2, provider_call_id="SIM-abc")
    assert response.status_code == 200
    assert response.json() == {"result": "applied"}
    event = CallEvent.objects.get()
    assert (event.attempt_id, event.event_key, event.status) == (
        attempt.pk,
        "status:ringing:2",
        "ringing",
    )
    assert event.payload["provider_call_id"] == "SIM-abc"
    attempt = reload(attempt)
    assert (attempt.provider_raw_status, attempt.provider_call_id) == ("ringing", "SIM-abc")


@pytest.mark.parametrize(
    "signature",
    ["", "sha256=" + "0" * 64, "not-a-signature", "sha256=" + sign(b"another body")[7:]],
)
def test_a_bad_or_missing_signature_is_refused_and_changes_nothing(
    post_simulator, attempt, signature
):
    body = json.dumps({"call_id": str(attempt.pk), "status": "busy", "sequence": 3}).encode()
    response = post_simulator(attempt.pk, {}, body=body, signature=signature)
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or missing webhook signature."}
    assert not CallEvent.objects.exists()
    assert reload(attempt).outcome is None


def test_a_signature_from_another_key_is_refused(post_simulator, attempt, settings):
    settings.SIMULATOR_WEBHOOK_SECRET = "the-sender-s-key"
    body = json.dumps({"call_id": str(attempt.pk), "status": "busy", "sequence": 3}).encode()
    forged = sign(body)
    settings.SIMULATOR_WEBHOOK_SECRET = "our-key"
    assert post_simulator(attempt.pk, {}, body=body, signature=forged).status_code == 403


def test_a_genuine_event_replayed_against_another_call_is_refused(post_simulator, attempt):
    other = CallAttemptFactory()
    body = json.dumps({"call_id": str(attempt.pk), "status": "busy", "sequence": 3}).encode()
    response = post_simulator(other.pk, {}, body=body, signature=sign(body))
    assert response.status_code == 403
    assert reload(other).outcome is None
    assert reload(attempt).outcome is None


def test_the_signature_is_checked_before_the_call_is_looked_up(post_simulator):
    missing = "0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a"
    assert status(post_simulator, CallAttempt(pk=missing), "ringing", 1).status_code == 404
    body = json.dumps({"call_id": missing, "status": "ringing", "sequence": 1}).encode()
    response = post_simulator(missing, {}, body=body, signature="sha256=00")
    assert response.status_code == 403  # an unsigned caller cannot probe for calls


def test_webhooks_need_no_session_and_no_csrf_token(attempt):
    body = json.dumps({"call_id": str(attempt.pk), "status": "ringing", "sequence": 2}).encode()
    response = Client(enforce_csrf_checks=True).post(
        simulator_url(attempt.pk),
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body)},
    )
    assert response.status_code == 200


@pytest.mark.parametrize(
    "path",
    [
        "/webhooks/telephony/carrier-pigeon/0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a/status",
        "/webhooks/telephony/twilio/0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a/status",
    ],
)
def test_an_unknown_provider_is_404(client, path):
    response = client.post(path, data=b"{}", content_type="application/json")
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown telephony provider."}


def test_a_malformed_call_id_is_404(post_simulator):
    response = post_simulator("not-a-uuid", {"status": "ringing", "sequence": 1})
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown call."}


def test_a_call_of_another_provider_is_404(post_simulator):
    twilio_call = CallAttemptFactory(provider="twilio")
    assert status(post_simulator, twilio_call, "ringing", 1).status_code == 404


def test_only_post(client, attempt):
    response = client.get(simulator_url(attempt.pk))
    assert response.status_code == 405
    assert response["Allow"] == "POST"


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"not json", "The body is not JSON."),
        (b"[1, 2]", "The body must be a JSON object."),
        # Past the JSON decoder's recursion limit, and merely deeper than any real event.
        (b"[" * 3000 + b"]" * 3000, "The body is nested too deeply."),
        (
            {"status": "ringing", "sequence": 1, "extra": json.loads("[" * 40 + "]" * 40)},
            "The body is nested too deeply.",
        ),
        (None, "status: 'exploded' is not one of"),
        ({"status": "ringing"}, "sequence: a whole number from 0 to 10000 is required."),
        ({"status": "ringing", "sequence": "2"}, "sequence: a whole number"),
        ({"status": "ringing", "sequence": True}, "sequence: a whole number"),
        ({"status": "ringing", "sequence": 1, "timestamp": "yesterday"}, "timestamp: an ISO 8601"),
        ({"status": "ringing", "sequence": 1, "timestamp": "2026-11-23T10:00:00"}, "timestamp"),
        ({"status": "failed", "sequence": 3, "error_code": "x" * 65}, "error_code: a string"),
        (
            {"status": "ringing", "sequence": 1, "provider_call_id": 12},
            "provider_call_id: a string",
        ),
    ],
)
def test_a_signed_but_unreadable_event_is_400_naming_the_problem(
    post_simulator, attempt, body, message
):
    if body is None:
        body = {"status": "exploded", "sequence": 1}
    if isinstance(body, dict):
        body = json.dumps({"call_id": str(attempt.pk), **body}).encode()
    response = post_simulator(attempt.pk, {}, body=body)
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)
    assert not CallEvent.objects.exists()


# --- Replays and reordering ----------------------------------------------------------------------


def test_a_replayed_event_changes_nothing(post_simulator, attempt):
    assert status(post_simulator, attempt, "busy", 3).json() == {"result": "closed"}
    contact_after_first = reload(attempt).contact.next_attempt_at
    response = status(post_simulator, attempt, "busy", 3)
    assert response.status_code == 200
    assert response.json() == {"result": "duplicate"}
    assert CallEvent.objects.count() == 1
    attempt = reload(attempt)
    assert attempt.outcome == "busy"
    assert attempt.contact.next_attempt_at == contact_after_first


def test_a_late_ringing_never_reopens_a_finished_attempt(post_simulator, attempt):
    status(post_simulator, attempt, "no-answer", 3)
    response = status(post_simulator, attempt, "ringing", 2)
    assert response.json() == {"result": "ignored"}
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.provider_raw_status) == ("no_answer", "no-answer")
    assert attempt.contact.state == ContactState.PENDING
    assert CallEvent.objects.filter(status="ringing").exists()  # stored all the same


def test_a_late_live_status_does_not_move_the_call_backwards(post_simulator, attempt):
    status(post_simulator, attempt, "answered", 3, timestamp="2026-11-23T10:00:05+00:00")
    assert status(post_simulator, attempt, "ringing", 2).json() == {"result": "late"}
    attempt = reload(attempt)
    assert attempt.provider_raw_status == "answered"
    assert attempt.answered_at.isoformat() == "2026-11-23T10:00:05+00:00"


def test_a_dialogue_turn_costs_a_handful_of_queries(
    post_simulator, attempt, django_assert_num_queries
):
    say(post_simulator, attempt, 0)
    # 1 SAVEPOINT, 2 the attempt FOR UPDATE with its campaign and contact, 3 insert the event
    # unless seen, 4 update the attempt (dialogue state, transcript), 5 RELEASE SAVEPOINT.
    with django_assert_num_queries(5):
        say(post_simulator, attempt, 1, digits="1")


def test_a_hang_up_after_answering_fails_the_attempt(post_simulator, attempt):
    status(post_simulator, attempt, "answered", 3)
    status(post_simulator, attempt, "completed", 4, timestamp="2026-11-23T10:01:00+00:00")
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code) == ("failed", "hung_up")
    assert attempt.ended_at.isoformat() == "2026-11-23T10:01:00+00:00"
    assert attempt.contact.state == ContactState.PENDING


def test_a_hang_up_reported_before_the_answer_is_still_an_answered_call(post_simulator, attempt):
    status(post_simulator, attempt, "completed", 4, timestamp="2026-11-23T10:01:00+00:00")
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code, attempt.answered_at) == ("failed", "hung_up", None)

    late = status(post_simulator, attempt, "answered", 3, timestamp="2026-11-23T10:00:05+00:00")
    assert late.json() == {"result": "applied"}
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code) == ("failed", "hung_up")
    assert attempt.answered_at.isoformat() == "2026-11-23T10:00:05+00:00"
    talk = CallStatsBucket.objects.get(campaign=attempt.campaign)
    assert (talk.talk_count, talk.talk_total_us) == (1, 55_000_000)


def test_a_late_answer_never_comes_after_the_end_nor_overrules_no_answer(post_simulator):
    ended = CallAttemptFactory(contact=ContactFactory(state=ContactState.IN_PROGRESS))
    status(post_simulator, ended, "completed", 4, timestamp="2026-11-23T10:01:00+00:00")
    status(post_simulator, ended, "answered", 3, timestamp="2026-11-23T10:02:00+00:00")
    assert reload(ended).answered_at.isoformat() == "2026-11-23T10:01:00+00:00"

    unanswered = CallAttemptFactory(contact=ContactFactory(state=ContactState.IN_PROGRESS))
    status(post_simulator, unanswered, "no-answer", 4)
    assert status(post_simulator, unanswered, "answered", 3).json() == {"result": "ignored"}
    assert reload(unanswered).answered_at is None


def test_a_status_event_costs_a_handful_of_queries(
    post_simulator, attempt, django_assert_num_queries
):
    # 1 SAVEPOINT (the service's transaction, inside the test's), 2 the attempt FOR UPDATE,
    # 3 insert the event unless seen, 4 update the attempt, 5 RELEASE SAVEPOINT.
    with django_assert_num_queries(5):
        status(post_simulator, attempt, "ringing", 2)


# --- The dialogue over HTTP ----------------------------------------------------------------------


def say(post, attempt, turn, **reply):
    response = post(attempt.pk, {"turn": turn, **reply}, kind="dialogue")
    assert response.status_code == 200, response.content
    return response.json()


def test_a_whole_survey_over_the_dialogue_webhook(post_simulator, attempt):
    status(post_simulator, attempt, "answered", 3)
    intro = say(post_simulator, attempt, 0)
    assert intro == {
        "turn": 1,
        "say": f"{INTROS['en']} Press 1 or say yes to take part; press 2 or say no.",
        "language": "en",
        "expect": "consent",
        "hangup": False,
        "question": None,
        "hints": [],
    }
    q1 = say(post_simulator, attempt, 1, speech="yes sure", confidence=0.93)
    assert (q1["turn"], q1["expect"]) == (2, "scale")
    assert (q1["question"]["key"], q1["question"]["min_value"], q1["question"]["max_value"]) == (
        "q1",
        1,
        10,
    )
    q2 = say(post_simulator, attempt, 2, digits="9")
    q3 = say(post_simulator, attempt, 3, speech="three times", confidence=0.8)
    assert (q2["expect"], q3["expect"]) == ("number", "free_text")
    goodbye = say(post_simulator, attempt, 4, speech="faster support", confidence=0.7)
    assert goodbye["hangup"]
    assert goodbye["expect"] == ""

    attempt = reload(attempt)
    assert (attempt.outcome, attempt.dialogue_step) == ("completed", "ended")
    assert attempt.contact.state == ContactState.COMPLETED
    response = SurveyResponse.objects.get(contact=attempt.contact)
    assert response.answer_values == {"q1": "9", "q2": "3", "q3": "faster support"}
    assert list(response.answers.values_list("key", "value", "confidence")) == [
        ("q1", "9", 1.0),
        ("q2", "3", 0.8),
        ("q3", "faster support", 0.7),
    ]
    assert response.consent_at is not None
    assert SurveyEvent.objects.get().type == "survey.completed"
    assert "callee: said “yes sure” (0.93) → yes" in attempt.transcript
    # The network then reports the end of the call: stored, changes nothing.
    assert status(post_simulator, attempt, "completed", 4).json() == {"result": "ignored"}
    assert reload(attempt).outcome == "completed"


def test_a_repeated_dialogue_request_gets_the_same_prompt_and_advances_once(
    post_simulator, attempt
):
    say(post_simulator, attempt, 0)
    first = say(post_simulator, attempt, 1, digits="1")
    again = say(post_simulator, attempt, 1, digits="1")
    assert first == again
    assert first["turn"] == 2
    stale = say(post_simulator, attempt, 1, digits="2")  # an answer to a prompt long gone
    assert stale == first
    assert reload(attempt).metadata["dialogue"]["step"] == "q1"
    assert say(post_simulator, attempt, 0)["turn"] == 2  # the first fetch, replayed


def test_a_refusal_by_keys_ends_the_call(post_simulator, attempt):
    say(post_simulator, attempt, 0)
    goodbye = say(post_simulator, attempt, 1, digits="2")
    assert goodbye["hangup"]
    attempt = reload(attempt)
    assert attempt.outcome == "refused"
    assert attempt.contact.state == ContactState.REFUSED
    assert SurveyEvent.objects.get().type == "survey.refused"


def test_do_not_call_me_excludes_the_number_everywhere(post_simulator, attempt):
    elsewhere = ContactFactory(phone_number=attempt.contact.phone_number)  # another campaign
    say(post_simulator, attempt, 0)
    say(post_simulator, attempt, 1, speech="please don't call me again", confidence=0.9)
    attempt = reload(attempt)
    assert attempt.outcome == "refused"
    entry = ExclusionEntry.objects.get()
    assert entry.phone_number == attempt.contact.phone_number
    assert "survey call" in entry.reason
    # Provenance: the callee, in this campaign's call, and no person.
    assert (entry.source, entry.campaign_id, entry.call_attempt_id, entry.added_by_id) == (
        "callee",
        attempt.campaign_id,
        attempt.pk,
        None,
    )
    elsewhere.refresh_from_db()
    assert elsewhere.state == ContactState.EXCLUDED


def test_two_silences_fail_the_call_for_a_retry(post_simulator, attempt):
    say(post_simulator, attempt, 0)
    again = say(post_simulator, attempt, 1)
    assert again["expect"] == "consent"
    assert not again["hangup"]
    assert say(post_simulator, attempt, 2)["hangup"]
    attempt = reload(attempt)
    assert (attempt.outcome, attempt.error_code) == ("failed", "no_input")
    assert attempt.contact.state == ContactState.PENDING


def test_the_dialogue_of_a_call_already_over_just_hangs_up(post_simulator, attempt):
    say(post_simulator, attempt, 0)
    status(post_simulator, attempt, "completed", 4)  # hung up during the intro
    turn = say(post_simulator, attempt, 1, digits="1")
    assert turn["hangup"]
    assert turn["say"] == ""
    assert reload(attempt).outcome == "failed"


def test_an_italian_contact_gets_the_dialogue_in_italian(post_simulator):
    campaign = CampaignFactory(
        languages=["en", "it"],
        texts={language: {"intro": INTROS[language]} for language in ("en", "it")},
        questions=three_questions(("en", "it")),
    )
    contact = ContactFactory(
        campaign=campaign, state=ContactState.IN_PROGRESS, preferred_language="it"
    )
    attempt = CallAttemptFactory(contact=contact)
    say(post_simulator, attempt, 0)
    q1 = say(post_simulator, attempt, 1, speech="sì, certo", confidence=0.9)
    assert q1["language"] == "it"
    assert q1["say"].endswith("Dica o digiti un numero da 1 a 10, per favore.")


@pytest.mark.parametrize(
    ("reply", "message"),
    [
        ({"turn": -1}, "turn: a whole number"),
        ({"turn": 1, "confidence": 2}, "confidence: a number from 0 to 1"),
        ({"turn": 1, "confidence": "high"}, "confidence: a number from 0 to 1"),
        ({"turn": 1, "speech": ["yes"]}, "speech: a string"),
        ({"turn": 1, "digits": "1" * 33}, "digits: a string of at most 32"),
    ],
)
def test_an_unreadable_dialogue_request_is_400(post_simulator, attempt, reply, message):
    response = post_simulator(attempt.pk, reply, kind="dialogue")
    assert response.status_code == 400
    assert response.json()["detail"].startswith(message)

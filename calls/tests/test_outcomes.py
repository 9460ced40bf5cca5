"""The outcome rules of docs/architecture.md §5 (calls/outcomes.py): the pure table, and closing an
attempt."""

import datetime as dt

import pytest
from django.utils import timezone

from calls import outcomes
from calls.dialogue import Answer
from calls.models import CallAttempt, CallOutcome, SurveyEvent, SurveyResponse
from calls.tests.factories import CallAttemptFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory

S = ContactState


@pytest.mark.parametrize(
    ("outcome", "attempts", "excluded", "state", "event", "retry"),
    [
        ("completed", 1, False, S.COMPLETED, "survey.completed", False),
        ("completed", 3, True, S.COMPLETED, "survey.completed", False),  # answered: it counts
        ("refused", 2, False, S.REFUSED, "survey.refused", False),
        ("refused", 1, True, S.REFUSED, "survey.refused", False),
        ("no_answer", 1, False, S.PENDING, None, True),
        ("busy", 2, False, S.PENDING, None, True),
        ("failed", 1, False, S.PENDING, None, True),
        ("no_answer", 3, False, S.NOT_REACHED, "survey.not_reached", False),
        ("busy", 3, False, S.NOT_REACHED, "survey.not_reached", False),
        ("failed", 4, False, S.NOT_REACHED, "survey.not_reached", False),
        ("no_answer", 1, True, S.EXCLUDED, None, False),
        ("failed", 3, True, S.EXCLUDED, None, False),
    ],
)
def test_contact_move(outcome, attempts, excluded, state, event, retry):
    move = outcomes.contact_move(
        outcome, attempts_count=attempts, max_attempts=3, excluded=excluded
    )
    assert move == outcomes.ContactMove(state, event, retry)


def test_contact_move_rejects_an_unknown_outcome():
    with pytest.raises(ValueError, match="Unknown outcome"):
        outcomes.contact_move("lost", attempts_count=1, max_attempts=3, excluded=False)


@pytest.mark.parametrize(
    ("status", "error_code", "expected"),
    [
        ("busy", "", ("busy", "")),
        ("no_answer", "", ("no_answer", "")),
        # Completed means answered, whether the "answered" event came first or not yet.
        ("completed", "", ("failed", "hung_up")),
        ("failed", "", ("failed", "provider_failed")),
        ("failed", "carrier_error", ("failed", "carrier_error")),
        ("canceled", "", ("failed", "canceled")),
    ],
)
def test_call_end_outcome(status, error_code, expected):
    assert outcomes.call_end_outcome(status, error_code=error_code) == expected


def test_call_end_outcome_rejects_a_live_status():
    with pytest.raises(ValueError, match="not a final"):
        outcomes.call_end_outcome("ringing")


# --- call_attempt_close --------------------------------------------------------------------------


def _answer(position, kind, value, raw, mode, confidence):
    return Answer(
        key=f"q{position}",
        position=position,
        status="answered",
        value=value,
        raw=raw,
        mode=mode,
        confidence=confidence,
        asked=1,
        question_type=kind,
    )


def in_flight(attempts_count=1, **contact):
    contact = ContactFactory(state=S.IN_PROGRESS, attempts_count=attempts_count, **contact)
    return CallAttemptFactory(contact=contact, attempt_number=attempts_count)


def contact_of(attempt):
    attempt.contact.refresh_from_db()
    return attempt.contact


@pytest.mark.django_db
def test_completed_call_writes_answers_and_event():
    attempt = in_flight()
    ended = timezone.now()
    consent = ended - dt.timedelta(minutes=2)
    answers = [
        _answer(1, "scale", "8", "8", "dtmf", 1.0),
        _answer(2, "number", "2", "two", "speech", 0.9),
        _answer(3, "free_text", "faster support", "faster support", "speech", 0.71),
    ]
    assert outcomes.call_attempt_close(
        attempt=attempt,
        outcome="completed",
        ended_at=ended,
        answers=answers,
        language="it",
        consent_at=consent,
    )
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.ended_at) == ("completed", ended)
    contact = contact_of(attempt)
    assert (contact.state, contact.last_outcome, contact.next_attempt_at) == (
        S.COMPLETED,
        "completed",
        None,
    )
    response = SurveyResponse.objects.get(contact=contact)
    assert response.answer_values == {"q1": "8", "q2": "2", "q3": "faster support"}
    assert (response.language, response.consent_at, response.completed_at) == (
        "it",
        consent,
        ended,
    )
    assert list(
        response.answers.values_list(
            "position", "key", "question_type", "status", "value", "raw", "mode", "confidence"
        )
    ) == [
        (1, "q1", "scale", "answered", "8", "8", "dtmf", 1.0),
        (2, "q2", "number", "answered", "2", "two", "speech", 0.9),
        (3, "q3", "free_text", "answered", "faster support", "faster support", "speech", 0.71),
    ]
    assert response.call_attempt == attempt
    event = SurveyEvent.objects.get(contact=contact)
    assert event.type == "survey.completed"
    assert event.call_attempt == attempt
    assert event.payload == {
        "call_id": str(attempt.pk),
        "outcome": "completed",
        "attempts": 1,
        "answers": {"q1": "8", "q2": "2", "q3": "faster support"},
    }


@pytest.mark.django_db
def test_unanswered_call_with_attempts_left_retries_after_the_interval():
    attempt = in_flight(attempts_count=1)
    ended = timezone.now()
    assert outcomes.call_attempt_close(attempt=attempt, outcome="busy", ended_at=ended)
    contact = contact_of(attempt)
    interval = dt.timedelta(minutes=attempt.campaign.retry_interval_minutes)
    assert (contact.state, contact.last_outcome) == (S.PENDING, "busy")
    assert contact.next_attempt_at == ended + interval
    assert not SurveyEvent.objects.exists()
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_last_attempt_unanswered_is_not_reached_with_an_event():
    attempt = in_flight(attempts_count=3)  # the factory campaign allows 3
    assert outcomes.call_attempt_close(attempt=attempt, outcome="no_answer")
    contact = contact_of(attempt)
    assert (contact.state, contact.next_attempt_at) == (S.NOT_REACHED, None)
    event = SurveyEvent.objects.get()
    assert event.type == "survey.not_reached"
    assert event.payload["attempts"] == 3


@pytest.mark.django_db
def test_not_reached_is_reported_once_even_when_reached_out_to_again():
    first = in_flight(attempts_count=3)
    outcomes.call_attempt_close(attempt=first, outcome="no_answer")
    campaign = first.campaign
    campaign.max_attempts = 4  # raised: the contact is dialable again, and again not reached
    campaign.save()
    contact = contact_of(first)
    contact.state, contact.attempts_count = S.IN_PROGRESS, 4
    contact.save()
    second = CallAttemptFactory(contact=contact, attempt_number=4)
    assert outcomes.call_attempt_close(attempt=second, outcome="busy")
    assert contact_of(second).state == S.NOT_REACHED
    assert SurveyEvent.objects.filter(type="survey.not_reached").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize("outcome", ["no_answer", "busy", "failed"])
def test_number_excluded_while_in_flight_is_never_put_back(outcome):
    attempt = in_flight()
    ExclusionEntryFactory(phone_number=attempt.contact.phone_number)
    outcomes.call_attempt_close(attempt=attempt, outcome=outcome)
    contact = contact_of(attempt)
    assert (contact.state, contact.next_attempt_at) == (S.EXCLUDED, None)
    assert not SurveyEvent.objects.exists()


@pytest.mark.django_db
def test_do_not_call_flag_set_while_in_flight_excludes_too():
    attempt = in_flight(do_not_call=True)
    outcomes.call_attempt_close(attempt=attempt, outcome="failed")
    assert contact_of(attempt).state == S.EXCLUDED


@pytest.mark.django_db
def test_closing_twice_changes_nothing():
    attempt = in_flight()
    ended = timezone.now()
    assert outcomes.call_attempt_close(attempt=attempt, outcome="refused", ended_at=ended)
    later = CallAttempt.objects.get(pk=attempt.pk)
    assert not outcomes.call_attempt_close(
        attempt=later, outcome="completed", ended_at=ended + dt.timedelta(minutes=1)
    )
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.ended_at) == ("refused", ended)
    assert contact_of(attempt).state == S.REFUSED
    assert SurveyEvent.objects.get().type == "survey.refused"
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db
def test_an_outage_gives_the_attempt_back():
    attempt = in_flight(attempts_count=2)
    outcomes.call_attempt_close(
        attempt=attempt,
        outcome="failed",
        error_code=outcomes.PROVIDER_UNAVAILABLE,
        counts_as_attempt=False,
    )
    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.error_code) == ("failed", "provider_unavailable")
    contact = contact_of(attempt)
    assert (contact.state, contact.attempts_count, contact.last_outcome) == (S.PENDING, 1, "")
    assert not SurveyEvent.objects.exists()


@pytest.mark.django_db
def test_a_contact_moved_meanwhile_is_left_alone():
    attempt = in_flight()
    contact = attempt.contact
    contact.state = S.EXCLUDED
    contact.save()
    assert outcomes.call_attempt_close(attempt=attempt, outcome=CallOutcome.NO_ANSWER)
    assert contact_of(attempt).state == S.EXCLUDED

"""Reconciliation (calls.services.call_attempts_reconcile): calls left without a final event
past their provider's timeout close as failed, so no contact stays in progress forever."""

import datetime as dt

import pytest
from django.utils import timezone

from calls.services import call_attempts_reconcile
from calls.tests.factories import CallAttemptFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def in_flight(provider, age, now):
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(
        contact=contact, provider=provider, started_at=now - dt.timedelta(minutes=age)
    )


def test_stale_calls_close_as_failed_by_timeout_and_their_contacts_retry(settings):
    settings.CALL_ATTEMPT_TIMEOUT_MINUTES = 15
    now = timezone.now()
    # The simulator's calls are over within 3 minutes; other providers get the setting.
    stale_sim = in_flight("simulator", 4, now)
    live_sim = in_flight("simulator", 2, now)
    live_twilio = in_flight("twilio", 14, now)
    stale_twilio = in_flight("twilio", 16, now)
    finished = CallAttemptFactory(outcome="completed", started_at=now - dt.timedelta(hours=1))

    assert call_attempts_reconcile(now=now) == 2
    for attempt in (stale_sim, stale_twilio):
        attempt.refresh_from_db()
        attempt.contact.refresh_from_db()
        assert (attempt.outcome, attempt.error_code, attempt.ended_at) == ("failed", "timeout", now)
        assert attempt.contact.state == ContactState.PENDING
        assert attempt.contact.next_attempt_at == now + dt.timedelta(minutes=60)
    for attempt in (live_sim, live_twilio):
        attempt.refresh_from_db()
        assert attempt.outcome is None
    finished.refresh_from_db()
    assert finished.error_code == ""
    assert call_attempts_reconcile(now=now) == 0  # nothing twice

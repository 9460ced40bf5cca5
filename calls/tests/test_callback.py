""" "Call me later": the call ends politely, the contact waits for the time asked for when it
lies in their calling hours (else the first opening after the retry interval), the call is no
refusal and, the first FREE_CALLBACKS times, no attempt used; the call detail, the contacts
table and the campaign figures show it."""

import datetime as dt
import zoneinfo

import pytest

from calls import dialogue
from calls.models import CallAttempt
from calls.outcomes import CALLBACK_REQUESTED, FREE_CALLBACKS
from calls.services import call_dialogue_reply, callback_time
from calls.telephony.base import DialogueReply
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard.selectors import campaign_stats

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")
# A Tuesday, 11:00 in Rome.
NOW = dt.datetime(2026, 12, 8, 11, 0, tzinfo=ROME)


@pytest.fixture
def campaign():
    return CampaignFactory(
        status="running",
        language="it",
        max_attempts=1,
        retry_interval_minutes=60,
        call_window_start=dt.time(9),
        call_window_end=dt.time(20),
        call_days=[1, 2, 3, 4, 5],
    )


def _reply(attempt, turn, **reply):
    return call_dialogue_reply(
        call_id=attempt.pk,
        provider="simulator",
        reply=DialogueReply(
            event_key=f"dialogue:{turn}",
            turn=turn,
            reply=dialogue.Reply(**reply),
            occurred_at=NOW,
        ),
    )


def _call(campaign, **contact):
    person = ContactFactory(
        campaign=campaign,
        state=ContactState.IN_PROGRESS,
        attempts_count=1,
        timezone="Europe/Rome",
        preferred_language="it",
        **contact,
    )
    return CallAttemptFactory(contact=person, campaign=campaign, provider="simulator")


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        ("sono occupato, richiamami domani", dt.datetime(2026, 12, 9, 10, 0, tzinfo=ROME)),
        ("richiamami dopo le sei", dt.datetime(2026, 12, 8, 18, 0, tzinfo=ROME)),
        ("non ora, mi richiami tra un'ora", dt.datetime(2026, 12, 8, 12, 0, tzinfo=ROME)),
        # 22:00 is after the window: the first opening after the retry interval instead.
        ("richiamami alle dieci di sera", dt.datetime(2026, 12, 8, 12, 0, tzinfo=ROME)),
    ],
)
def test_the_contact_waits_for_the_time_asked_for_inside_their_hours(campaign, words, expected):
    attempt = _call(campaign)
    _reply(attempt, 0)
    turn = _reply(attempt, 1, speech=words, confidence=0.9)
    assert turn.hangup
    assert turn.language == "it"
    assert "richiameremo" in turn.say  # the polite goodbye, in the call's language

    attempt.refresh_from_db()
    assert (attempt.outcome, attempt.error_code) == ("busy", CALLBACK_REQUESTED)
    contact = attempt.contact
    contact.refresh_from_db()
    assert contact.state == ContactState.PENDING  # not refused, not out of attempts
    assert contact.attempts_count == 0  # max_attempts is 1: this one was not used
    assert contact.next_attempt_at == contact.callback_at == expected


def test_a_time_outside_the_days_goes_to_the_next_opening(campaign):
    contact = ContactFactory(campaign=campaign, timezone="Europe/Rome")
    friday_evening = dt.datetime(2026, 12, 11, 19, 30, tzinfo=ROME)
    heard = {"delay_minutes": None, "day_offset": 1, "hour": 10, "minute": 0}  # Saturday
    when = callback_time(contact=contact, campaign=campaign, heard=heard, now=friday_evening)
    assert when == dt.datetime(2026, 12, 14, 9, 0, tzinfo=ROME)  # Monday's opening


def test_after_the_free_callbacks_a_request_uses_an_attempt(campaign):
    campaign.max_attempts = 3
    campaign.save()
    person = ContactFactory(campaign=campaign, timezone="Europe/Rome", preferred_language="it")
    for number in range(1, FREE_CALLBACKS + 2):
        person.refresh_from_db()
        person.state, person.attempts_count = ContactState.IN_PROGRESS, person.attempts_count + 1
        person.save()
        attempt = CallAttemptFactory(
            contact=person, campaign=campaign, provider="simulator", attempt_number=number
        )
        _reply(attempt, 0)
        _reply(attempt, 1, speech="richiamami domani", confidence=0.9)
        person.refresh_from_db()
        assert person.state == ContactState.PENDING
        assert person.attempts_count == max(0, number - FREE_CALLBACKS)


def test_the_call_detail_the_contacts_table_and_the_figures_show_it(
    campaign, client, manager_user, admin_api
):
    client.force_login(manager_user)
    attempt = _call(campaign)
    _reply(attempt, 0)
    _reply(attempt, 1, speech="richiamami domani", confidence=0.9)

    detail = client.get(f"/calls/{attempt.pk}")
    assert detail.status_code == 200
    assert CALLBACK_REQUESTED in detail.content.decode()
    table = client.get(f"/campaigns/{campaign.pk}/contacts-table")
    assert "call back" in table.content.decode()
    stats = campaign_stats(campaign=campaign, include_time_series=False)
    assert stats["callbacks_waiting"] == 1
    assert stats["contacts"]["refused"] == 0
    api = admin_api.get(f"/api/campaigns/{campaign.pk}/stats").json()
    assert api["callbacks_waiting"] == 1
    contacts = admin_api.get(f"/api/campaigns/{campaign.pk}/contacts").json()["results"]
    assert contacts[0]["callback_at"] is not None
    assert CallAttempt.objects.get(pk=attempt.pk).outcome == "busy"

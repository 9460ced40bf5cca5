"""A whole campaign of 200 contacts driven to its end by the simulator (`campaign_simulate`):
every count agrees — contacts by state, attempts by the outcome rules, responses, outcome
events and emails."""

import collections
import datetime as dt

import pytest
from django.core import mail
from django.db.models import Count

from calls.models import CallAttempt, EmailNotification, SurveyEvent, SurveyResponse
from calls.outcomes import CALLBACK_REQUESTED, FREE_CALLBACKS
from calls.simulation import campaign_simulate
from campaigns.hours import zone_is_open
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory, EmailTemplateFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ZONES = ("Europe/Rome", "America/New_York", "Europe/London", "")


@pytest.fixture
def campaign(provider_config):
    provider_config.max_concurrent_calls = 40
    provider_config.save()
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        max_attempts=3,
        retry_interval_minutes=60,
        call_window_start=dt.time(9),
        call_window_end=dt.time(20),
        call_days=[1, 2, 3, 4, 5],
        completed_email_template=EmailTemplateFactory(type="completed"),
        refused_email_template=EmailTemplateFactory(type="refused", subject="Sorry"),
        not_reached_email_template=EmailTemplateFactory(type="not_reached", subject="Missed you"),
    )
    for i in range(200):
        ContactFactory(
            campaign=campaign,
            timezone=ZONES[i % len(ZONES)],
            preferred_language=("auto", "en", "it")[i % 3],
            email=f"person{i}@example.org" if i % 4 else "",
            state=ContactState.EXCLUDED if i % 50 == 0 else ContactState.PENDING,
        )
    # One more on the exclusion list whose contact was not updated yet: caught at dial time.
    listed = campaign.contacts.filter(state=ContactState.PENDING).first()
    ExclusionEntryFactory(phone_number=listed.phone_number)
    return campaign


def test_a_campaign_runs_to_completion_with_every_count_consistent(campaign):
    summary = campaign_simulate(campaign=campaign)
    assert summary.stopped == ""
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED

    contacts = list(campaign.contacts.all())
    states = collections.Counter(c.state for c in contacts)
    assert sum(states.values()) == 200
    assert set(states) <= {"completed", "refused", "not_reached", "excluded"}
    assert states["completed"] > 50
    assert states["refused"] > 5
    assert states["not_reached"] > 0

    # Attempts agree with the outcome rules, contact by contact.
    attempts = collections.defaultdict(list)
    for attempt in CallAttempt.objects.filter(campaign=campaign).order_by("attempt_number"):
        attempts[attempt.contact_id].append(attempt)
    assert not CallAttempt.objects.filter(campaign=campaign, outcome__isnull=True).exists()
    for contact in contacts:
        mine = attempts[contact.pk]
        # "Call me later" is no attempt used, for the first FREE_CALLBACKS times.
        callbacks = [a for a in mine if a.error_code == CALLBACK_REQUESTED]
        assert all(a.outcome == "busy" for a in callbacks)
        assert contact.attempts_count == len(mine) - min(len(callbacks), FREE_CALLBACKS)
        assert contact.callback_at is None  # every contact's calls are over
        assert [a.attempt_number for a in mine] == list(range(1, len(mine) + 1))
        if contact.state == "excluded":
            assert mine == []  # never dialled, including the one listed at dial time
            continue
        last = mine[-1]
        assert contact.last_outcome == last.outcome
        assert all(a.outcome in ("no_answer", "busy", "failed") for a in mine[:-1])
        if contact.state in ("completed", "refused"):
            assert last.outcome == contact.state
        else:
            assert contact.state == "not_reached"
            assert contact.attempts_count == 3
            assert last.outcome in ("no_answer", "busy", "failed")
        for earlier, later in zip(mine, mine[1:], strict=False):
            # A call back is due when the callee asked, else after the retry interval.
            wait = dt.timedelta(minutes=0 if earlier.error_code == CALLBACK_REQUESTED else 60)
            assert later.started_at >= earlier.ended_at + wait

    # Responses: one per completed contact, from its completing call, with an answer row for
    # each of the three questions (no skip rules); one asked twice without a usable reply is
    # left unanswered and has no value.
    responses = (
        SurveyResponse.objects.filter(campaign=campaign)
        .select_related("call_attempt")
        .prefetch_related("answers")
    )
    assert responses.count() == states["completed"]
    for response in responses:
        assert response.call_attempt.outcome == "completed"
        rows = list(response.answers.all())
        assert [a.key for a in rows] == ["q1", "q2", "q3"]
        values = response.answer_values
        assert values == {a.key: a.value for a in rows if a.status == "answered"}
        assert all(values.values())
        assert 1 <= int(values.get("q1", 1)) <= 10
        assert int(values.get("q2", 0)) >= 0
    answered = sum(len(r.answer_values) for r in responses)
    assert answered > 0.8 * 3 * states["completed"]  # unanswered is the exception

    # Outcome events: one per final contact that was called, all processed.
    events = dict(
        SurveyEvent.objects.filter(campaign=campaign)
        .values_list("type")
        .annotate(n=Count("id"))
        .values_list("type", "n")
    )
    assert events == {
        f"survey.{state}": states[state]
        for state in ("completed", "refused", "not_reached")
        if states[state]
    }
    assert not SurveyEvent.objects.filter(processed_at__isnull=True).exists()

    # Emails: one per event whose contact has an address, all sent, none twice.
    with_email = SurveyEvent.objects.filter(campaign=campaign).exclude(contact__email="").count()
    sent = EmailNotification.objects.filter(contact__campaign=campaign, status="sent")
    assert sent.count() == with_email == len(mail.outbox)
    assert EmailNotification.objects.exclude(status="sent").count() == 0
    assert sorted(m.to[0] for m in mail.outbox) == sorted(sent.values_list("to_email", flat=True))

    # Every attempt stayed inside its contact's calling hours.
    for attempt in CallAttempt.objects.filter(campaign=campaign).select_related("contact"):
        zone = attempt.contact.timezone or campaign.timezone
        assert zone_is_open(
            zone,
            at=attempt.started_at,
            window_start=campaign.call_window_start,
            window_end=campaign.call_window_end,
            call_days=campaign.call_days,
        )

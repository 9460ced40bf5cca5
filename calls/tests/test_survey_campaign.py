"""A whole campaign with a seven-question branching questionnaire in English and Italian, run to
its end by the simulator (`campaign_simulate`): every count agrees — contacts by state,
attempts by the outcome rules (a "call me later" uses no attempt the first two times), answers
per question as the skip rule allows, the language of each survey, callbacks, events, emails,
and the stats API."""

import collections
import datetime as dt
import uuid

import pytest
from django.core import mail
from django.db.models import Count

from calls.models import Answer, CallAttempt, EmailNotification, SurveyEvent, SurveyResponse
from calls.outcomes import CALLBACK_REQUESTED, FREE_CALLBACKS
from calls.simulation import campaign_simulate
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory, EmailTemplateFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard.selectors import campaign_stats

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

CONTACTS = 240
# The contact's preferred language, and the language its survey must be in (the campaign's
# default, English, for "auto").
LANGUAGES = (("auto", "en"), ("en", "en"), ("it", "it"))


@pytest.fixture
def campaign(provider_config):
    provider_config.max_concurrent_calls = 40
    provider_config.save()
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        language="en",
        languages=["en", "it"],
        texts=TEXTS,
        questions=seven_questions(),
        max_attempts=3,
        retry_interval_minutes=60,
        call_window_start=dt.time(9),
        call_window_end=dt.time(20),
        call_days=[1, 2, 3, 4, 5],
        completed_email_template=EmailTemplateFactory(
            type="completed", body_text="{{ answers.q1 }}/{{ answers.q4 }}/{{ answers.q7 }}"
        ),
        refused_email_template=EmailTemplateFactory(type="refused", subject="Sorry"),
        not_reached_email_template=EmailTemplateFactory(type="not_reached", subject="Missed you"),
    )
    # Contact ids of their own, not random: the simulated callees are drawn from them, and a
    # random draw of 240 now and then has no reply left unanswered, or no callback, to count.
    for i in range(CONTACTS):
        ContactFactory(
            id=uuid.UUID(int=i + 1),
            campaign=campaign,
            timezone=("Europe/Rome", "Europe/London", "")[i % 3],
            preferred_language=LANGUAGES[i % 3][0],
            email=f"person{i}@example.org" if i % 4 else "",
        )
    return campaign


def _valid(answer: Answer) -> bool:
    value = answer.value
    return {
        "q1": value in ("yes", "no"),
        "q2": value.isdigit() and 0 <= int(value) <= 10,
        "q3": value.isdigit() and 0 <= int(value) <= 50,
        "q4": value in ("phone", "email", "letter"),
        "q5": value in ("yes", "no"),
        "q6": 0 < len(value) <= 200,
        "q7": value.isdigit() and 1 <= int(value) <= 5,
    }[answer.key]


def test_a_branching_bilingual_survey_runs_to_the_end_with_every_count_consistent(campaign):
    summary = campaign_simulate(campaign=campaign)
    assert summary.stopped == ""
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.COMPLETED

    contacts = {c.pk: c for c in campaign.contacts.all()}
    states = collections.Counter(c.state for c in contacts.values())
    assert sum(states.values()) == CONTACTS
    assert set(states) <= {"completed", "refused", "not_reached"}
    assert states["completed"] > 80
    assert states["refused"] > 5

    # Attempts: a callback request is a busy call that is no attempt of the contact's for the
    # first FREE_CALLBACKS; every other attempt counts.
    attempts = collections.defaultdict(list)
    for attempt in CallAttempt.objects.filter(campaign=campaign).order_by("attempt_number"):
        attempts[attempt.contact_id].append(attempt)
    assert not CallAttempt.objects.filter(campaign=campaign, outcome__isnull=True).exists()
    callbacks = 0
    for pk, contact in contacts.items():
        mine = attempts[pk]
        asked_later = [a for a in mine if a.error_code == CALLBACK_REQUESTED]
        callbacks += len(asked_later)
        assert all(a.outcome == "busy" for a in asked_later)
        assert contact.attempts_count == len(mine) - min(len(asked_later), FREE_CALLBACKS)
        assert contact.last_outcome == mine[-1].outcome
        if contact.state in ("completed", "refused"):
            assert mine[-1].outcome == contact.state
        assert contact.callback_at is None or contact.state != "pending"
    assert callbacks > 0, "the simulator's callers never asked to be called later"

    # One response per completed contact, in the contact's language, its answers as the
    # skip rule allows: "no" to q1 jumps to q5.
    responses = list(
        SurveyResponse.objects.filter(campaign=campaign).select_related("contact", "call_attempt")
    )
    assert len(responses) == states["completed"]
    answers = collections.defaultdict(list)
    for answer in Answer.objects.filter(response__campaign=campaign).order_by("position"):
        answers[answer.response_id].append(answer)
    asked = collections.Counter()
    skipped = 0
    for response in responses:
        assert response.call_attempt.outcome == "completed"
        expected = dict(LANGUAGES)[response.contact.preferred_language]
        assert response.language == expected
        mine = answers[response.pk]
        keys = [a.key for a in mine]
        asked.update(keys)
        q1 = mine[0]
        assert q1.key == "q1"
        if q1.status == "answered" and q1.value == "no":
            assert keys == ["q1", "q5", "q6", "q7"]
            skipped += 1
        else:
            assert keys == [f"q{n}" for n in range(1, 8)]
        assert response.answer_values == {
            f"q{a.position}": a.value for a in mine if a.status == "answered"
        }
        for answer in mine:
            assert answer.asked in (1, 2)
            if answer.status == "answered":
                assert _valid(answer), (answer.key, answer.value)
                assert answer.mode in ("speech", "dtmf")
                assert answer.raw
            else:
                assert answer.value == ""
                assert answer.asked == 2
    assert skipped > 0, "no survey took the skip"
    assert asked["q1"] == asked["q5"] == asked["q6"] == asked["q7"] == len(responses)
    assert asked["q2"] == asked["q3"] == asked["q4"] == len(responses) - skipped
    assert Answer.objects.filter(response__campaign=campaign, status="unanswered").exists()

    # Outcome events and emails: one per final contact, the answers in the completed ones.
    events = dict(
        SurveyEvent.objects.filter(campaign=campaign)
        .values_list("type")
        .annotate(n=Count("id"))
        .values_list("type", "n")
    )
    assert events == {f"survey.{s}": states[s] for s in states if states[s]}
    with_email = SurveyEvent.objects.filter(campaign=campaign).exclude(contact__email="").count()
    sent = EmailNotification.objects.filter(contact__campaign=campaign, status="sent")
    assert sent.count() == with_email == len(mail.outbox)
    by_address = {m.to[0]: m for m in mail.outbox}
    for response in responses:
        if response.contact.email:
            values = response.answer_values
            body = by_address[response.contact.email].body
            assert body == f"{values.get('q1', '')}/{values.get('q4', '')}/{values.get('q7', '')}"

    # The stats API agrees, and no contact is left waiting for a callback.
    stats = campaign_stats(campaign=campaign, include_time_series=False)
    assert {k: v for k, v in stats["contacts"].items() if k != "total" and v} == dict(states)
    assert stats["callbacks_waiting"] == 0
    assert stats["call_outcomes"]["busy"] >= callbacks
    assert not campaign.contacts.filter(state=ContactState.PENDING).exists()

"""campaign_update: what each status lets change (docs/architecture.md §5), the checks, the audit
log."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from calls.models import SurveyEvent
from calls.tests.factories import SurveyEventFactory
from campaigns.selectors import campaign_questionnaire_data
from campaigns.services import campaign_complete_if_finished, campaign_update
from campaigns.tests.factories import CampaignFactory, three_questions
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

LIVE_CHANGES = {
    "name": "Renamed",
    "description": "New words.",
    "call_window_start": dt.time(10),
    "call_window_end": dt.time(18),
    "call_days": [1, 2],
    "max_attempts": 5,
    "retry_interval_minutes": 30,
}
SCRIPT_CHANGES = {
    "texts": {"it": {"intro": "Un'altra introduzione."}},
    "languages": ["it"],
    "language": "it",
    "timezone": "America/New_York",
}
# Another questionnaire: one number question, in Italian.
OTHER_QUESTIONS = [{"key": "q1", "type": "number", "text": {"it": "Un'altra domanda?"}}]


def _questions(campaign):
    return [(q["key"], q["type"], q["text"]) for q in campaign_questionnaire_data(campaign)]


@pytest.mark.parametrize("status", ["draft", "scheduled"])
def test_a_campaign_that_has_not_dialled_changes_in_everything(manager_user, status):
    campaign = CampaignFactory(status=status)
    campaign_update(
        campaign=campaign,
        actor=manager_user,
        fields={**LIVE_CHANGES, **SCRIPT_CHANGES},
        questions=OTHER_QUESTIONS,
    )
    campaign.refresh_from_db()
    for name, value in {**LIVE_CHANGES, **SCRIPT_CHANGES}.items():
        assert getattr(campaign, name) == value
    assert _questions(campaign) == [("q1", "number", {"it": "Un'altra domanda?"})]


@pytest.mark.parametrize("status", ["running", "paused"])
def test_a_live_campaign_changes_its_name_window_and_retries_only(manager_user, status):
    campaign = CampaignFactory(status=status)
    campaign_update(campaign=campaign, actor=manager_user, fields=LIVE_CHANGES)
    campaign.refresh_from_db()
    assert (campaign.name, campaign.max_attempts, campaign.call_days) == ("Renamed", 5, [1, 2])
    questions = _questions(campaign)
    with pytest.raises(ValidationError) as excinfo:
        campaign_update(
            campaign=campaign,
            actor=manager_user,
            fields=SCRIPT_CHANGES,
            questions=OTHER_QUESTIONS,
        )
    assert set(excinfo.value.message_dict) == {*SCRIPT_CHANGES, "questions"}
    for name in ("language", "questions"):
        assert excinfo.value.message_dict[name] == [
            f"Cannot be changed while the campaign is {status}."
        ]
    campaign.refresh_from_db()
    assert campaign.texts != SCRIPT_CHANGES["texts"]
    assert _questions(campaign) == questions


@pytest.mark.parametrize("status", ["completed", "cancelled"])
def test_a_final_campaign_changes_in_nothing(manager_user, status):
    campaign = CampaignFactory(status=status)
    with pytest.raises(ValidationError) as excinfo:
        campaign_update(campaign=campaign, actor=manager_user, fields={"name": "New"})
    assert excinfo.value.message_dict == {"name": [f"A {status} campaign cannot change."]}


def test_unchanged_values_of_frozen_fields_are_no_change(manager_user):
    # An API client sends back what it read (PUT): only what differs counts.
    campaign = CampaignFactory(status="running")
    campaign_update(
        campaign=campaign,
        actor=manager_user,
        fields={"name": "Renamed", "texts": campaign.texts, "language": "en"},
        questions=campaign_questionnaire_data(campaign),
    )
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    log = AuditLog.objects.get(action="campaign.update")
    assert log.details == {"changed": {"name": "Renamed"}}


def test_no_change_writes_nothing(manager_user):
    campaign = CampaignFactory()
    campaign_update(campaign=campaign, actor=manager_user, fields={"name": campaign.name})
    assert not AuditLog.objects.filter(action="campaign.update").exists()


def test_the_same_checks_as_creation(manager_user):
    campaign = CampaignFactory(status="running")
    with pytest.raises(ValidationError) as excinfo:
        campaign_update(
            campaign=campaign,
            actor=manager_user,
            fields={"call_window_start": dt.time(20), "call_window_end": dt.time(9)},
        )
    assert list(excinfo.value.message_dict) == ["call_window_end"]
    campaign.refresh_from_db()
    assert campaign.call_window_start == dt.time(9)


def test_the_audit_log_names_each_change(manager_user):
    campaign = CampaignFactory()
    campaign_update(
        campaign=campaign,
        actor=manager_user,
        fields={"call_window_end": dt.time(19, 30), "starts_at": None, "max_attempts": 2},
    )
    log = AuditLog.objects.get(action="campaign.update")
    assert log.actor == manager_user
    assert log.details == {"changed": {"call_window_end": "19:30:00", "max_attempts": 2}}


def _second_question_blank():
    questions = three_questions()
    questions[1]["text"] = {"en": ""}
    return questions


@pytest.mark.parametrize(
    ("status", "fields", "questions", "field"),
    [
        ("scheduled", {"texts": {"en": {"intro": "  "}}}, None, "texts.en.intro"),
        ("scheduled", {}, _second_question_blank(), "questions.2.text.en"),
        ("scheduled", {"call_days": []}, None, "call_days"),
        ("running", {"call_days": []}, None, "call_days"),
        ("paused", {"call_days": []}, None, "call_days"),
    ],
)
def test_an_activated_campaign_stays_as_activation_found_it(
    manager_user, status, fields, questions, field
):
    campaign = CampaignFactory(status=status)
    before = _questions(campaign)
    with pytest.raises(ValidationError) as excinfo:
        campaign_update(campaign=campaign, actor=manager_user, fields=fields, questions=questions)
    assert field in excinfo.value.message_dict
    campaign.refresh_from_db()
    assert campaign.call_days
    assert campaign.text("en", "intro").strip()
    assert _questions(campaign) == before


def test_a_draft_may_be_left_unfinished(manager_user):
    campaign = CampaignFactory(status="draft")
    campaign_update(
        campaign=campaign,
        actor=manager_user,
        fields={"texts": {"en": {"intro": ""}}},
        questions=_second_question_blank(),
    )
    campaign.refresh_from_db()
    assert campaign.text("en", "intro") == ""
    assert campaign_questionnaire_data(campaign)[1]["text"] == {"en": ""}


@pytest.mark.parametrize("status", ["running", "paused"])
def test_fewer_attempts_end_the_contacts_that_have_used_them(manager_user, status):
    campaign = CampaignFactory(status=status, max_attempts=3)
    spent = ContactFactory(campaign=campaign, attempts_count=2, last_outcome="busy")
    reported = ContactFactory(campaign=campaign, attempts_count=2, last_outcome="no_answer")
    SurveyEventFactory(campaign=campaign, contact=reported, type="survey.not_reached")
    left = ContactFactory(campaign=campaign, attempts_count=1)
    calling = ContactFactory(campaign=campaign, attempts_count=2, state="in_progress")

    campaign_update(campaign=campaign, actor=manager_user, fields={"max_attempts": 2})

    states = dict(Contact.objects.values_list("pk", "state"))
    assert states == {
        spent.pk: "not_reached",
        reported.pk: "not_reached",
        left.pk: "pending",
        calling.pk: "in_progress",  # meets the new limit when its call ends
    }
    events = SurveyEvent.objects.filter(type="survey.not_reached")
    assert sorted(e.contact_id for e in events) == sorted([spent.pk, reported.pk])  # once each
    assert events.get(contact=spent).payload == {"outcome": "busy", "attempts": 2}
    if status == "running":
        # Once the others are done, the spent contacts hold nothing up: the campaign completes.
        Contact.objects.filter(pk__in=[left.pk, calling.pk]).update(state="completed")
        assert campaign_complete_if_finished(campaign=campaign)


def test_more_attempts_end_no_one(manager_user):
    campaign = CampaignFactory(status="running", max_attempts=2)
    ContactFactory(campaign=campaign, attempts_count=2, state="not_reached")
    campaign_update(campaign=campaign, actor=manager_user, fields={"max_attempts": 3})
    assert not SurveyEvent.objects.exists()

"""contact_forget (GDPR): everything held about a number, in every campaign, goes; the
statistics follow; the exclusion list and the audit log keep what they must, and no number."""

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.urls import reverse

from calls.erasure import contact_forget
from calls.models import CallAttempt, CallEvent, EmailNotification, SurveyEvent, SurveyResponse
from calls.tests.factories import (
    CallAttemptFactory,
    CallEventFactory,
    EmailNotificationFactory,
    SurveyEventFactory,
    SurveyResponseFactory,
)
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ExclusionEntry
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from dashboard.cache import campaign_stats_cached
from dashboard.selectors import campaign_stats
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

NUMBER = "+393471234567"


@pytest.fixture
def held():
    """The number in two campaigns, with calls, answers, an outcome event and an email; a
    neighbour in the first campaign who must stay."""
    first, second = CampaignFactory(), CampaignFactory()
    contacts = [
        ContactFactory(campaign=first, phone_number=NUMBER, state="completed", attempts_count=2),
        ContactFactory(campaign=second, phone_number=NUMBER, state="refused", attempts_count=1),
    ]
    busy = CallAttemptFactory(contact=contacts[0], outcome="busy")
    done = CallAttemptFactory(contact=contacts[0], attempt_number=2, outcome="completed")
    CallEventFactory(attempt=done)
    SurveyResponseFactory(contact=contacts[0], call_attempt=done)
    event = SurveyEventFactory(contact=contacts[0], call_attempt=done)
    EmailNotificationFactory(event=event)
    CallAttemptFactory(contact=contacts[1], outcome="refused")
    neighbour = ContactFactory(campaign=first, phone_number="+393471234568")
    CallAttemptFactory(contact=neighbour, outcome="no_answer")
    ExclusionEntryFactory(phone_number=NUMBER)
    return {"campaigns": (first, second), "neighbour": neighbour, "busy": busy}


def test_deletes_the_number_everywhere_and_keeps_the_rest(admin_user, held):
    first, second = held["campaigns"]
    assert campaign_stats(campaign=first)["call_outcomes"]["total_attempts"] == 3

    report = contact_forget(phone_number="+39 347 123 4567", actor=admin_user)

    assert (report.contacts, report.campaigns, report.attempts) == (2, 2, 3)
    assert not Contact.objects.filter(phone_number=NUMBER).exists()
    assert not SurveyResponse.objects.exists()
    assert not SurveyEvent.objects.exists()
    assert not EmailNotification.objects.exists()
    assert not CallEvent.objects.exists()
    assert list(CallAttempt.objects.values_list("contact_id", flat=True)) == [held["neighbour"].pk]
    # The statistics no longer count the forgotten calls.
    stats = campaign_stats(campaign=first)
    assert stats["call_outcomes"]["total_attempts"] == 1
    assert stats["call_outcomes"]["no_answer"] == 1
    assert stats["call_outcomes"]["busy"] == 0
    assert stats["contacts"]["total"] == 1
    assert campaign_stats(campaign=second)["call_outcomes"]["total_attempts"] == 0
    # "Do not call me" outlives the person's data.
    assert ExclusionEntry.objects.filter(phone_number=NUMBER).exists()


def test_the_dashboards_forget_the_number_at_once(
    admin_user, held, django_capture_on_commit_callbacks
):
    first, second = held["campaigns"]

    def totals(campaign) -> tuple[int, int]:
        stats = campaign_stats_cached(
            campaign=campaign, include_time_series=False, time_series_hours=24, time_series_days=30
        )
        return stats["contacts"]["total"], stats["call_outcomes"]["total_attempts"]

    assert (totals(first), totals(second)) == ((2, 3), (1, 1))  # now in the cache
    with django_capture_on_commit_callbacks(execute=True):
        contact_forget(phone_number=NUMBER, actor=admin_user)
    assert (totals(first), totals(second)) == ((1, 1), (0, 0))


def test_the_audit_log_has_counts_and_no_number(admin_user, held):
    contact_forget(phone_number=NUMBER, actor=admin_user)
    log = AuditLog.objects.get(action="contact.forget")
    assert log.actor == admin_user
    assert log.details["contacts"] == 2
    assert log.details["call_attempts"] == 3
    assert sorted(log.details["campaign_ids"]) == sorted(str(c.pk) for c in held["campaigns"])
    assert "4567" not in str(log.details)
    assert "4567" not in log.object_id


def test_an_unknown_number_deletes_nothing(admin_user, held):
    report = contact_forget(phone_number="+393479999999", actor=admin_user)
    assert (report.contacts, report.attempts) == (0, 0)
    assert Contact.objects.count() == 3


def test_a_number_that_does_not_parse(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        contact_forget(phone_number="call me maybe", actor=admin_user)
    assert list(excinfo.value.message_dict) == ["phone_number"]


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_api_role_matrix(persona_api, persona, status, held):
    response = persona_api.post("/api/contacts/forget", {"phone_number": NUMBER}, format="json")
    assert response.status_code == status
    assert Contact.objects.filter(phone_number=NUMBER).exists() == (status != 200)
    if status == 200:
        assert response.json() == {"contacts": 2, "campaigns": 2, "attempts": 3}


@pytest.mark.parametrize(
    "payload", [{}, {"phone_number": ""}, {"phone_number": "x" * 41}, {"phone_number": "abc"}]
)
def test_api_bad_input_is_a_400(admin_api, payload):
    response = admin_api.post("/api/contacts/forget", payload, format="json")
    assert response.status_code == 400
    assert "phone_number" in response.json()


def test_command(capsys, held):
    call_command("forget_contact", "0039 347 123 4567", "--yes")
    assert "Deleted 2 contacts in 2 campaigns, with 3 call attempts." in capsys.readouterr().out
    assert not Contact.objects.filter(phone_number=NUMBER).exists()
    with pytest.raises(CommandError, match="Not a phone number"):
        call_command("forget_contact", "nobody", "--yes")


def test_command_asks_first(monkeypatch, held):
    monkeypatch.setattr("builtins.input", lambda prompt: "no")
    with pytest.raises(CommandError, match="Nothing was deleted."):
        call_command("forget_contact", NUMBER)
    assert Contact.objects.filter(phone_number=NUMBER).count() == 2


def test_admin_action_and_no_stock_delete(client, admin_user, held):
    client.force_login(admin_user)
    changelist = reverse("admin:contacts_contact_changelist")
    one = Contact.objects.filter(phone_number=NUMBER).first()
    response = client.post(
        changelist,
        {"action": "forget_numbers", ACTION_CHECKBOX_NAME: [one.pk]},
        follow=True,
    )
    assert "Forgot 1 number(s): 2 contact(s) deleted" in response.content.decode()
    assert not Contact.objects.filter(phone_number=NUMBER).exists()
    page = client.get(reverse("admin:contacts_contact_change", args=[held["neighbour"].pk]))
    assert b"deletelink" not in page.content

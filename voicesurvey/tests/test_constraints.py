"""The data model's rules hold in the database itself, not only in forms."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from calls.models import Answer, CallEvent, EmailNotification, ProviderConfig, SurveyResponse
from calls.selectors import provider_config_get
from calls.tests.factories import (
    CallAttemptFactory,
    CallEventFactory,
    EmailNotificationFactory,
    SurveyResponseFactory,
)
from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ExclusionEntry
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from exports.models import ExportJob
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import Role, User

pytestmark = pytest.mark.django_db


def assert_rejected(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_phone_number_unique_per_campaign_but_not_across_campaigns():
    contact = ContactFactory(phone_number="+393471234567")
    assert_rejected(lambda: ContactFactory(campaign=contact.campaign, phone_number="+393471234567"))
    ContactFactory(phone_number="+393471234567")  # another campaign
    assert Contact.objects.filter(phone_number="+393471234567").count() == 2


def test_contact_phone_must_be_e164():
    assert_rejected(lambda: ContactFactory(phone_number="3471234567"))


@pytest.mark.parametrize("attempts", [0, 6])
def test_max_attempts_between_1_and_5(attempts):
    assert_rejected(lambda: CampaignFactory(max_attempts=attempts))


@pytest.mark.parametrize("attempts", [1, 5])
def test_max_attempts_bounds_are_allowed(attempts):
    assert CampaignFactory(max_attempts=attempts).max_attempts == attempts


@pytest.mark.parametrize(
    ("start", "end"),
    [(datetime.time(20, 0), datetime.time(9, 0)), (datetime.time(9), datetime.time(9))],
)
def test_call_window_must_start_before_it_ends(start, end):
    assert_rejected(lambda: CampaignFactory(call_window_start=start, call_window_end=end))


def test_retry_interval_at_least_one_minute():
    assert_rejected(lambda: CampaignFactory(retry_interval_minutes=0))


def test_constraint_messages_reach_full_clean():
    campaign = CampaignFactory.build(max_attempts=9)
    with pytest.raises(ValidationError) as excinfo:
        campaign.full_clean()
    assert "Max attempts must be between 1 and 5." in str(excinfo.value)


def test_exclusion_phone_unique():
    ExclusionEntryFactory(phone_number="+393480000001")
    assert_rejected(lambda: ExclusionEntryFactory(phone_number="+393480000001"))
    assert ExclusionEntry.objects.count() == 1


def test_attempt_number_unique_per_contact_and_positive():
    attempt = CallAttemptFactory()
    assert_rejected(lambda: CallAttemptFactory(contact=attempt.contact, attempt_number=1))
    assert_rejected(lambda: CallAttemptFactory(attempt_number=0))
    assert CallAttemptFactory(contact=attempt.contact, attempt_number=2).attempt_number == 2


def test_call_event_key_unique_per_attempt():
    event = CallEventFactory(event_key="ringing-1")
    assert_rejected(lambda: CallEventFactory(attempt=event.attempt, event_key="ringing-1"))
    CallEventFactory(event_key="ringing-1")  # same key, another attempt
    assert CallEvent.objects.filter(event_key="ringing-1").count() == 2


def test_one_survey_response_per_contact():
    response = SurveyResponseFactory()
    assert_rejected(lambda: SurveyResponseFactory(contact=response.contact))
    assert SurveyResponse.objects.count() == 1


def test_survey_confidence_between_0_and_1():
    response = SurveyResponseFactory(answer_values={"q1": "8"})
    assert_rejected(
        lambda: Answer.objects.create(
            response=response,
            position=2,
            key="q2",
            question_type="number",
            status="answered",
            value="2",
            confidence=1.5,
        )
    )


def test_email_sent_once_per_event_and_template():
    email = EmailNotificationFactory()
    assert_rejected(lambda: EmailNotificationFactory(event=email.event, template=email.template))
    assert EmailNotification.objects.count() == 1


def test_only_one_export_in_flight_per_campaign():
    job = ExportJobFactory(status="pending")
    assert_rejected(lambda: ExportJobFactory(campaign=job.campaign, status="processing"))
    ExportJobFactory(campaign=job.campaign, status="completed")
    ExportJobFactory(campaign=job.campaign, status="failed")
    assert ExportJob.objects.filter(campaign=job.campaign).count() == 3


def test_provider_config_is_a_single_row():
    config = provider_config_get()
    assert config.pk == 1
    assert provider_config_get().pk == 1
    assert_rejected(lambda: ProviderConfig.objects.create(id=2))
    assert ProviderConfig.objects.count() == 1


def test_simulator_rates_between_0_and_1():
    config = provider_config_get()
    config.sim_answer_rate = 1.2
    with pytest.raises(IntegrityError), transaction.atomic():
        config.save()


def test_staff_flags_mirror_the_admin_role():
    assert_rejected(lambda: User.objects.create(username="a", role=Role.ADMIN, is_staff=False))
    assert_rejected(lambda: User.objects.create(username="b", role=Role.VIEWER, is_staff=True))
    user = User.objects.create(username="c")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.VIEWER, False, False)


def test_createsuperuser_makes_an_admin():
    user = User.objects.create_superuser("root", "root@example.com", "pw")
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


def test_deleting_a_campaign_takes_its_contacts_and_calls():
    attempt = CallAttemptFactory()
    CallEventFactory(attempt=attempt)
    Campaign.objects.filter(pk=attempt.campaign_id).delete()
    assert not Contact.objects.exists()
    assert not CallEvent.objects.exists()

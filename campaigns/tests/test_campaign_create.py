"""campaign_create: a new draft, checked by field, audit-logged."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from campaigns.models import Campaign
from campaigns.services import campaign_create
from campaigns.tests.factories import EmailTemplateFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_creates_a_draft_with_defaults(manager_user):
    campaign = campaign_create(actor=manager_user, fields={"name": "Spring survey"})
    campaign.refresh_from_db()
    assert (campaign.status, campaign.created_by, campaign.max_attempts) == (
        "draft",
        manager_user,
        3,
    )
    assert (campaign.call_window_start, campaign.call_window_end) == (dt.time(9), dt.time(20))
    assert campaign.call_days == [1, 2, 3, 4, 5, 6]
    log = AuditLog.objects.get(action="campaign.create")
    assert (log.actor, log.object_id, log.details) == (
        manager_user,
        str(campaign.pk),
        {"name": "Spring survey", "questions": 0},
    )


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"name": ""}, "name", "This field cannot be blank."),
        ({"name": "x" * 201}, "name", "at most 200 characters"),
        ({"name": "X", "max_attempts": 0}, "max_attempts", "between 1 and 5"),
        ({"name": "X", "max_attempts": 6}, "max_attempts", "between 1 and 5"),
        (
            {"name": "X", "retry_interval_minutes": 0},
            "retry_interval_minutes",
            "at least one minute",
        ),
        ({"name": "X", "timezone": "Europe/Atlantis"}, "timezone", "Unknown time zone"),
        ({"name": "X", "call_days": [0, 8]}, "call_days", "ISO weekdays"),
        ({"name": "X", "call_days": [1, 1]}, "call_days", "listed twice"),
        ({"name": "X", "language": "fr"}, "language", "not a valid choice"),
        (
            {"name": "X", "call_window_start": dt.time(18), "call_window_end": dt.time(8)},
            "call_window_end",
            "must end after it starts",
        ),
    ],
)
def test_bad_values_are_reported_by_field(manager_user, fields, field, message):
    with pytest.raises(ValidationError) as excinfo:
        campaign_create(actor=manager_user, fields=fields)
    assert list(excinfo.value.message_dict) == [field]
    assert message in excinfo.value.message_dict[field][0]
    assert not Campaign.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="campaign.").exists()


def test_a_bad_question_type_is_reported_by_its_field(manager_user):
    questions = [{"key": "q1", "type": "essay", "text": {"en": "Tell us."}}]
    with pytest.raises(ValidationError) as excinfo:
        campaign_create(actor=manager_user, fields={"name": "X"}, questions=questions)
    assert list(excinfo.value.message_dict) == ["questions.1.type"]
    assert "Unknown type 'essay'" in excinfo.value.message_dict["questions.1.type"][0]
    assert not Campaign.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="campaign.").exists()


def test_every_bad_field_at_once(manager_user):
    with pytest.raises(ValidationError) as excinfo:
        campaign_create(
            actor=manager_user,
            fields={"name": "", "max_attempts": 9, "call_window_start": dt.time(21)},
        )
    assert set(excinfo.value.message_dict) == {"name", "max_attempts", "call_window_end"}


def test_an_email_template_of_the_wrong_type_is_refused(manager_user):
    refusal = EmailTemplateFactory(type="refused")
    with pytest.raises(ValidationError) as excinfo:
        campaign_create(
            actor=manager_user, fields={"name": "X", "completed_email_template": refusal}
        )
    assert list(excinfo.value.message_dict) == ["completed_email_template"]


def test_status_and_history_cannot_be_set(manager_user):
    with pytest.raises(ValidationError) as excinfo:
        campaign_create(actor=manager_user, fields={"name": "X", "status": "running"})
    assert excinfo.value.message_dict == {"status": ["This field cannot be set."]}

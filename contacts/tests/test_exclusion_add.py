import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState, ExclusionEntry
from contacts.services.exclusions import exclusion_add
from contacts.tests.factories import ContactFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

NUMBER = "+393471112233"


def test_excludes_dialable_contacts_in_every_campaign_and_nothing_else(manager_user):
    pending = ContactFactory(phone_number=NUMBER)
    retry_left = ContactFactory(
        phone_number=NUMBER,
        state=ContactState.NOT_REACHED,
        attempts_count=1,
        campaign=CampaignFactory(max_attempts=3),
    )
    exhausted = ContactFactory(
        phone_number=NUMBER,
        state=ContactState.NOT_REACHED,
        attempts_count=3,
        campaign=CampaignFactory(max_attempts=3),
    )
    completed = ContactFactory(phone_number=NUMBER, state=ContactState.COMPLETED)
    in_flight = ContactFactory(phone_number=NUMBER, state=ContactState.IN_PROGRESS)
    other_number = ContactFactory(phone_number="+393479999999")

    entry, created, excluded = exclusion_add(
        phone_number="347 111 2233", reason="asked", actor=manager_user
    )
    assert created
    assert entry.phone_number == NUMBER
    assert excluded == 2
    contacts = [pending, retry_left, exhausted, completed, in_flight, other_number]
    for contact in contacts:
        contact.refresh_from_db()
    assert [c.state for c in contacts] == [
        "excluded",
        "excluded",
        "not_reached",
        "completed",
        "in_progress",
        "pending",
    ]
    log = AuditLog.objects.get(action="exclusion.add")
    assert log.actor == manager_user
    assert log.details["contacts_excluded"] == 2


def test_contacts_are_excluded_in_a_single_update():
    for _ in range(5):
        ContactFactory(phone_number=NUMBER)
    with CaptureQueriesContext(connection) as queries:
        exclusion_add(phone_number=NUMBER)
    updates = [q["sql"] for q in queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assert "contacts_contact" in updates[0]


def test_adding_twice_is_harmless():
    exclusion_add(phone_number=NUMBER, reason="first")
    entry, created, _ = exclusion_add(phone_number=NUMBER, reason="second")
    assert not created
    assert entry.reason == "first"
    assert ExclusionEntry.objects.count() == 1
    assert AuditLog.objects.filter(action="exclusion.add").count() == 1


def test_a_number_that_does_not_parse_is_a_field_error():
    with pytest.raises(ValidationError) as excinfo:
        exclusion_add(phone_number="not a number")
    assert "phone_number" in excinfo.value.message_dict
    assert not ExclusionEntry.objects.exists()

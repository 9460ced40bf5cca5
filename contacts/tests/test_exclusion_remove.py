import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState, ExclusionEntry
from contacts.services.exclusions import exclusion_remove
from contacts.services.imports import contact_import
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory, csv_upload
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def test_removes_the_entry_and_audit_logs_it_without_the_number(admin_user):
    entry = ExclusionEntryFactory(phone_number="+393471234567", reason="asked")
    entry_id = str(entry.pk)
    exclusion_remove(entry=entry, actor=admin_user)
    assert not ExclusionEntry.objects.exists()
    log = AuditLog.objects.get(action="exclusion.remove")
    assert log.actor == admin_user
    assert log.object_id == entry_id
    assert log.details == {
        "phone_number": "+39 *** *** 4567",
        "source": "manual",
        "reason": "asked",
    }


def test_contacts_it_excluded_stay_excluded_and_new_uploads_include_the_number(admin_user):
    entry = ExclusionEntryFactory(phone_number="+393471234567")
    excluded = ContactFactory(phone_number="+393471234567", state=ContactState.EXCLUDED)
    exclusion_remove(entry=entry, actor=admin_user)
    excluded.refresh_from_db()
    assert excluded.state == "excluded"

    other = CampaignFactory()
    contact_import(campaign=other, file=csv_upload("phone\n+393471234567\n"), actor=admin_user)
    assert other.contacts.get().state == "pending"

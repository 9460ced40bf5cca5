"""The admin: contacts filtered by state and campaign; exclusion entries added and deleted
through the services (contacts excluded, changes audit-logged), never edited."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState, ExclusionEntry
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_(client, admin_user):
    client.force_login(admin_user)
    return client


def test_contacts_filter_by_state_and_campaign(admin_client_):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign, external_contact_id="IN", state=ContactState.REFUSED)
    ContactFactory(campaign=campaign, external_contact_id="OUT-STATE")
    ContactFactory(external_contact_id="OUT-CAMPAIGN", state=ContactState.REFUSED)
    response = admin_client_.get(
        "/admin/contacts/contact/", {"state": "refused", "campaign__id__exact": campaign.pk}
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "IN" in html
    assert "OUT-STATE" not in html
    assert "OUT-CAMPAIGN" not in html


def test_contacts_search_is_exact(admin_client_):
    ContactFactory(phone_number="+393471234567", external_contact_id="FOUND")
    ContactFactory(phone_number="+393471234568", external_contact_id="OTHER")
    html = admin_client_.get("/admin/contacts/contact/", {"q": "+393471234567"}).content.decode()
    assert "FOUND" in html
    assert "OTHER" not in html


def test_adding_an_exclusion_goes_through_exclusion_add(admin_client_, admin_user):
    contact = ContactFactory(phone_number="+393471234567")
    response = admin_client_.post(
        "/admin/contacts/exclusionentry/add/",
        {"phone_number": "347 123 4567", "reason": "asked"},
        follow=True,
    )
    assert response.status_code == 200
    assert "1 contact(s) that could still be called are now excluded." in response.content.decode()
    entry = ExclusionEntry.objects.get()
    assert (entry.phone_number, entry.source) == ("+393471234567", "manual")
    contact.refresh_from_db()
    assert contact.state == "excluded"
    assert AuditLog.objects.get(action="exclusion.add").actor == admin_user


def test_an_invalid_number_is_a_form_error(admin_client_):
    response = admin_client_.post(
        "/admin/contacts/exclusionentry/add/", {"phone_number": "hello", "reason": ""}
    )
    assert response.status_code == 200
    assert "Not a phone number" in response.content.decode()
    assert not ExclusionEntry.objects.exists()


def test_entries_are_read_only(admin_client_):
    entry = ExclusionEntryFactory(reason="before")
    response = admin_client_.post(
        f"/admin/contacts/exclusionentry/{entry.pk}/change/", {"reason": "after"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.reason == "before"


def test_deleting_goes_through_exclusion_remove(admin_client_, admin_user):
    one, two = ExclusionEntryFactory(), ExclusionEntryFactory()
    admin_client_.post(f"/admin/contacts/exclusionentry/{one.pk}/delete/", {"post": "yes"})
    admin_client_.post(
        "/admin/contacts/exclusionentry/",
        {"action": "delete_selected", "_selected_action": [two.pk], "post": "yes"},
    )
    assert not ExclusionEntry.objects.exists()
    assert AuditLog.objects.filter(action="exclusion.remove", actor=admin_user).count() == 2

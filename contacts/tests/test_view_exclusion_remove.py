"""`POST /exclusions/{id}/remove`: admins only."""

from __future__ import annotations

import uuid

import pytest

from contacts.models import ExclusionEntry
from contacts.tests.factories import ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 302), ("manager", 403), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona, persona_client, expected):
    entry = ExclusionEntryFactory()
    response = persona_client.post(f"/exclusions/{entry.pk}/remove")
    assert response.status_code == expected
    removed = persona is not None and expected == 302
    assert ExclusionEntry.objects.exists() is not removed


def test_removes_audit_logs_and_says_what_it_means(client, admin_user):
    entry = ExclusionEntryFactory(phone_number="+393471234567")
    client.force_login(admin_user)
    response = client.post(f"/exclusions/{entry.pk}/remove", follow=True)
    assert response.redirect_chain == [("/exclusions", 302)]
    assert "+393471234567 is off the exclusion list." in response.content.decode()
    assert AuditLog.objects.filter(action="exclusion.remove", actor=admin_user).exists()


def test_unknown_entry_is_404(client, admin_user):
    client.force_login(admin_user)
    assert client.post(f"/exclusions/{uuid.uuid4()}/remove").status_code == 404


def test_get_is_not_allowed(client, admin_user):
    entry = ExclusionEntryFactory()
    client.force_login(admin_user)
    assert client.get(f"/exclusions/{entry.pk}/remove").status_code == 405
    assert ExclusionEntry.objects.exists()

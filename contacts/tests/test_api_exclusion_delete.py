"""`DELETE /api/exclusions/{id}`: admins only, 204."""

from __future__ import annotations

import uuid

import pytest

from contacts.models import ExclusionEntry
from contacts.tests.factories import ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 204), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, expected):
    entry = ExclusionEntryFactory()
    response = persona_api.delete(f"/api/exclusions/{entry.pk}")
    assert response.status_code == expected
    assert ExclusionEntry.objects.exists() == (expected != 204)
    if expected == 403:
        assert AuditLog.objects.filter(action="access.denied").exists()


def test_removal_is_audit_logged(admin_api, admin_user):
    entry = ExclusionEntryFactory()
    admin_api.delete(f"/api/exclusions/{entry.pk}")
    log = AuditLog.objects.get(action="exclusion.remove")
    assert log.actor == admin_user
    assert log.object_id == str(entry.pk)


def test_unknown_or_malformed_id_is_404(admin_api):
    assert admin_api.delete(f"/api/exclusions/{uuid.uuid4()}").status_code == 404
    response = admin_api.delete("/api/exclusions/not-a-uuid")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_get_is_not_allowed(admin_api):
    entry = ExclusionEntryFactory()
    assert admin_api.get(f"/api/exclusions/{entry.pk}").status_code == 405

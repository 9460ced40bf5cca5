"""Refused requests (security review): a fuzzer's thousands of 403s wrote thousands of audit
rows. Denials are now one audit row per user, path and minute, with a count, and past
DENIALS_PER_MINUTE they are answered 429."""

from __future__ import annotations

import pytest
from django.urls import reverse

from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

ADMIN_ONLY = "/api/config/provider"


def test_repeated_denials_are_one_audit_row_with_a_count(manager_api):
    for _ in range(5):
        assert manager_api.get(ADMIN_ONLY).status_code == 403
    denial = AuditLog.objects.get(action="access.denied")
    assert denial.details["count"] == 5
    assert denial.details["path"] == ADMIN_ONLY
    assert denial.actor_username == "max"


def test_another_path_is_another_row(manager_api):
    manager_api.get(ADMIN_ONLY)
    manager_api.post("/api/contacts/forget", {"phone_number": "+393471234567"})
    assert AuditLog.objects.filter(action="access.denied").count() == 2


def test_past_the_limit_denials_are_429(manager_api, settings):
    settings.DENIALS_PER_MINUTE = 3
    statuses = [manager_api.get(ADMIN_ONLY).status_code for _ in range(5)]
    assert statuses == [403, 403, 403, 429, 429]


def test_pages_too(client, viewer_user, settings):
    settings.DENIALS_PER_MINUTE = 1
    client.force_login(viewer_user)
    url = reverse("campaign_new")
    assert client.get(url).status_code == 403
    response = client.get(url)
    assert response.status_code == 429
    assert response["Retry-After"] == "60"

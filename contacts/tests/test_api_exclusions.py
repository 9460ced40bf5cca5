"""`GET /api/exclusions` and `POST /api/exclusions` {phone_number, reason}: admins and
campaign managers (docs/architecture.md §7, "manage exclusion list"); viewers 403, anonymous 401."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_list_role_matrix(persona_api, expected):
    ExclusionEntryFactory()
    assert persona_api.get("/api/exclusions").status_code == expected


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 201), ("manager", 201), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_add_role_matrix(persona_api, expected):
    response = persona_api.post("/api/exclusions", {"phone_number": "+393471234567"}, format="json")
    assert response.status_code == expected
    assert ExclusionEntry.objects.exists() == (expected == 201)


def test_list_newest_first_with_search(manager_api):
    old = ExclusionEntryFactory(phone_number="+393471234567", reason="old")
    ExclusionEntry.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(days=1)
    )
    ExclusionEntryFactory(phone_number="+447911123456", reason="new")

    body = manager_api.get("/api/exclusions").json()
    assert body["count"] == 2
    assert [e["reason"] for e in body["results"]] == ["new", "old"]
    assert set(body["results"][0]) == {
        "id",
        "phone_number",
        "reason",
        "source",
        "added_by",
        "added_by_user_id",
        "campaign_id",
        "call_id",
        "source_detail",
        "created_at",
    }
    assert body["results"][1]["phone_number"] == "+393471234567"

    found = manager_api.get("/api/exclusions", {"search": "347 123 4567"}).json()
    assert [e["reason"] for e in found["results"]] == ["old"]
    assert manager_api.get("/api/exclusions", {"search": "hello"}).json()["count"] == 0


def test_list_query_count(manager_api, django_assert_num_queries):
    for n in range(20):
        ExclusionEntryFactory(phone_number=f"+3934712{n:05d}")
    with django_assert_num_queries(2):  # 1: the count, 2: the page
        response = manager_api.get("/api/exclusions")
    assert response.json()["count"] == 20


def test_add_excludes_dialable_contacts_and_says_so(manager_api, manager_user):
    ContactFactory(phone_number="+393471234567")
    response = manager_api.post(
        "/api/exclusions", {"phone_number": "347 123 4567", "reason": "asked"}, format="json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["phone_number"] == "+393471234567"
    assert body["reason"] == "asked"
    assert body["source"] == "api"
    assert body["created"] is True
    assert body["contacts_excluded"] == 1
    assert AuditLog.objects.get(action="exclusion.add").actor == manager_user


def test_adding_a_listed_number_is_200(manager_api):
    ExclusionEntryFactory(phone_number="+393471234567")
    response = manager_api.post("/api/exclusions", {"phone_number": "+393471234567"}, format="json")
    assert response.status_code == 200
    assert response.json()["created"] is False


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"phone_number": "not a number"}, "phone_number"),
        ({"phone_number": ""}, "phone_number"),
        ({}, "phone_number"),
        ({"phone_number": "+393471234567", "reason": "x" * 256}, "reason"),
        ({"phone_number": "9" * 41}, "phone_number"),
    ],
)
def test_bad_input_is_400_by_field(manager_api, body, field):
    response = manager_api.post("/api/exclusions", body, format="json")
    assert response.status_code == 400
    assert field in response.json()
    assert not ExclusionEntry.objects.exists()


def test_a_junk_body_is_400(manager_api):
    response = manager_api.post(
        "/api/exclusions", data=b"\xff{not json", content_type="application/json"
    )
    assert response.status_code == 400

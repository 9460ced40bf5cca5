"""Every model is in the admin; history is read-only; role changes keep staff flags in step."""

import pytest
from django.contrib import admin
from django.urls import reverse

from calls.tests.factories import (
    CallAttemptFactory,
    CallEventFactory,
    EmailNotificationFactory,
    SchedulerRunFactory,
    SurveyResponseFactory,
)
from contacts.tests.factories import ExclusionEntryFactory
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog, Role, User

pytestmark = pytest.mark.django_db

OUR_APPS = {"voicesurvey", "campaigns", "contacts", "calls", "exports"}
READ_ONLY = {
    "auditlog",
    "callattempt",
    "callevent",
    "surveyresponse",
    "surveyevent",
    "emailnotification",
    "schedulerrun",
    "exportjob",
}


def our_models():
    from django.apps import apps

    return [m for m in apps.get_models() if m._meta.app_label in OUR_APPS]


def test_every_model_is_registered():
    missing = [m._meta.label for m in our_models() if m not in admin.site._registry]
    assert missing == []


@pytest.fixture
def some_of_everything():
    CallEventFactory(attempt=CallAttemptFactory())
    SurveyResponseFactory()
    EmailNotificationFactory()
    SchedulerRunFactory()
    ExclusionEntryFactory()
    ExportJobFactory()


def test_every_changelist_and_change_page_loads(client, admin_user, some_of_everything):
    client.force_login(admin_user)
    for model in our_models():
        opts = model._meta
        changelist = reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        obj = model.objects.first()
        if obj is not None:
            change = reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
            assert client.get(change).status_code == 200, change


def test_history_is_read_only(client, admin_user):
    client.force_login(admin_user)
    for model in our_models():
        model_admin = admin.site._registry[model]
        request = type("R", (), {"user": admin_user})()
        if model._meta.model_name in READ_ONLY:
            assert not model_admin.has_add_permission(request)
            assert not model_admin.has_change_permission(request)
            assert not model_admin.has_delete_permission(request)


@pytest.mark.parametrize("persona", ["manager", "viewer"], indirect=True)
def test_only_admins_enter_the_admin(persona_client):
    response = persona_client.get("/admin/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_changing_a_role_in_the_admin_mirrors_staff_and_is_audited(client, admin_user, viewer_user):
    client.force_login(admin_user)
    url = reverse("admin:voicesurvey_user_change", args=[viewer_user.pk])
    form = client.get(url).context["adminform"].form
    data = {k: v for k, v in form.initial.items() if v is not None and k != "password"}
    data.update(
        role=Role.ADMIN, is_active="on", date_joined_0="2026-01-01", date_joined_1="00:00:00"
    )
    data.pop("date_joined", None)
    data.pop("last_login", None)
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    viewer_user.refresh_from_db()
    assert (viewer_user.role, viewer_user.is_staff, viewer_user.is_superuser) == (
        "admin",
        True,
        True,
    )
    log = AuditLog.objects.get(action="user.role_change", object_id=str(viewer_user.pk))
    assert log.details["to"] == "admin"
    assert log.actor == admin_user


def test_provider_config_is_edited_not_added_twice(client, admin_user):
    client.force_login(admin_user)
    from calls.selectors import provider_config_get

    provider_config_get()
    assert client.get(reverse("admin:calls_providerconfig_add")).status_code == 403
    assert User.objects.filter(role=Role.ADMIN).count() == 1

"""Every model is in the admin and every admin page loads; history is read-only; role changes
keep staff flags in step."""

import uuid

import pytest
from axes.models import AccessFailureLog
from django.contrib import admin
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_q.models import OrmQ, Task
from django_q.signing import SignedPackage

from calls.selectors import provider_config_get
from calls.tests.factories import (
    CallAttemptFactory,
    CallEventFactory,
    EmailNotificationFactory,
    SchedulerRunFactory,
    SurveyResponseFactory,
)
from contacts.models import RejectedRows
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from exports.tests.factories import ExportJobFactory
from integrations.models import WebhookDelivery, WebhookSubscription
from voicesurvey.models import AuditLog, Role, User
from voicesurvey.services import api_token_create

pytestmark = pytest.mark.django_db

OUR_APPS = {"voicesurvey", "campaigns", "contacts", "calls", "exports"}
READ_ONLY = {
    "auditlog",
    "callattempt",
    "callevent",
    "surveyresponse",
    "answer",
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
    # A closed attempt, counted in a stats bucket.
    CallAttemptFactory(outcome="no_answer", ended_at=timezone.now())
    # A survey, counted in the results rollup (an attribute's too).
    SurveyResponseFactory(contact=ContactFactory(state="completed", attributes={"region": "north"}))
    EmailNotificationFactory()
    SchedulerRunFactory()
    # An outbound webhook subscription, with a delivery of an outcome event.
    subscription = WebhookSubscription.objects.create(
        url="https://crm.example.org/hooks", event_types=["survey.completed"], secret="whsec_eA=="
    )
    WebhookDelivery.objects.create(
        subscription=subscription,
        event_type="survey.completed",
        event_key="survey:1",
        occurred_at=timezone.now(),
        payload={"type": "survey.completed"},
    )
    ExclusionEntryFactory()
    RejectedRows.objects.create(header=["phone"], rows=[[2, ["bad"], "Not a phone number."]])
    ExportJobFactory()
    provider_config_get()


@pytest.fixture
def some_of_everyone_elses(admin_user):
    """A row for each third-party page: task cluster, API tokens, login throttling, groups."""
    call_command("setup_schedules", verbosity=0)
    now = timezone.now()
    for success in (True, False):
        Task.objects.create(
            id=uuid.uuid4().hex,
            name=f"task-{success}",
            func="calls.tasks.scheduler_tick_task",
            started=now,
            stopped=now,
            success=success,
            result=None if success else "boom",
        )
    OrmQ.objects.create(
        key="voicesurvey",
        payload=SignedPackage.dumps({"id": uuid.uuid4().hex, "name": "queued", "func": "x.y"}),
    )
    api_token_create(user=admin_user, actor=admin_user)
    Group.objects.create(name="Someone's group")
    # Through the login page, as django-axes records them: a login, and a failed attempt on
    # another account (a login clears the account's failed attempts).
    Client().post(reverse("login"), {"username": admin_user.username, "password": "pw-ada"})
    Client().post(reverse("login"), {"username": "mallory", "password": "guess"})
    # Its failure log is off (AXES_ENABLE_ACCESS_FAILURE_LOG), its page is not.
    AccessFailureLog.objects.create(
        username="mallory", ip_address="127.0.0.1", user_agent="curl", path_info="/admin/login/"
    )


def test_every_admin_page_loads(client, admin_user, some_of_everything, some_of_everyone_elses):
    """Every registered page, ours and the libraries' (django-q2, knox, axes, auth): its list,
    its add page where adding is allowed, and the change (or view) page of a row."""
    client.force_login(admin_user)
    request = RequestFactory().get("/admin/")
    request.user = admin_user
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        changelist = reverse(f"{name}_changelist")
        assert client.get(changelist).status_code == 200, changelist
        if model_admin.has_add_permission(request):
            add = reverse(f"{name}_add")
            assert client.get(add).status_code == 200, add
        obj = model_admin.get_queryset(request).first()
        assert obj is not None, f"give {opts.label} a row in some_of_everything"
        change = reverse(f"{name}_change", args=[obj.pk])
        assert client.get(change).status_code == 200, change


def test_adding_a_user_in_the_admin(client, admin_user):
    client.force_login(admin_user)
    url = reverse("admin:voicesurvey_user_add")
    assert client.get(url).status_code == 200
    response = client.post(
        url,
        {
            "username": "newcomer",
            "name": "New Comer",
            "email": "new@example.com",
            "role": Role.VIEWER,
            "usable_password": "true",
            "password1": "a-long-passphrase-1",
            "password2": "a-long-passphrase-1",
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    user = User.objects.get(username="newcomer")
    assert (user.role, user.check_password("a-long-passphrase-1")) == (Role.VIEWER, True)
    assert AuditLog.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_adding_a_user_without_a_password_in_the_admin(client, admin_user):
    """For an account that signs in through single sign-on only."""
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:voicesurvey_user_add"),
        {"username": "sso-only", "role": Role.VIEWER, "usable_password": "false"},
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    assert not User.objects.get(username="sso-only").has_usable_password()


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

"""Login throttling (security review: 50 wrong passwords in a row, then the right one, logged
in). django-axes locks a username, and separately a client address, after LOGIN_FAILURE_LIMIT
failures, on the login page, the admin login and the API token endpoint; failures and lockouts
are audit-logged, and an admin unlocks with `manage.py axes_reset_username`."""

from __future__ import annotations

import base64

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.test import APIClient

from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

LIMIT = 5  # LOGIN_FAILURE_LIMIT's default


def login(client, password, username="max", address="10.0.0.1"):
    return client.post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=address
    )


def admin_login(client, password, username="root", address="10.0.0.1"):
    return client.post(
        reverse("admin:login"),
        {"username": username, "password": password, "next": "/admin/"},
        REMOTE_ADDR=address,
    )


def token_request(password, username="max", address="10.0.0.1"):
    credentials = base64.b64encode(f"{username}:{password}".encode()).decode()
    return APIClient().post(
        "/api/auth/token", HTTP_AUTHORIZATION=f"Basic {credentials}", REMOTE_ADDR=address
    )


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_fifty_wrong_passwords_then_the_right_one_stays_out(client, manager_user):
    for _ in range(50):
        login(client, "wrong")
    response = login(client, "pw-max")
    assert response.status_code == 429
    assert "Sign-in locked" in response.content.decode()
    assert not signed_in(client)


def test_below_the_limit_the_right_password_works(client, manager_user):
    for _ in range(LIMIT - 1):
        assert login(client, "wrong").status_code == 200
    assert login(client, "pw-max").status_code == 302
    assert signed_in(client)


def test_a_username_is_locked_from_every_address(client, manager_user):
    for n in range(LIMIT):
        login(client, "wrong", address=f"10.0.1.{n}")
    assert login(client, "pw-max", address="10.9.9.9").status_code == 429


def test_an_address_is_locked_for_every_username(client, manager_user, viewer_user):
    for n in range(LIMIT):
        login(client, "wrong", username=f"guess{n}", address="10.0.0.7")
    assert login(client, "pw-max", address="10.0.0.7").status_code == 429
    assert login(client, "pw-max", address="10.0.0.8").status_code == 302


def test_the_admin_login_is_throttled_too(client, admin_user):
    for _ in range(LIMIT):
        admin_login(client, "wrong", username=admin_user.username)
    response = admin_login(client, "pw-ada", username=admin_user.username)
    assert response.status_code == 429
    assert not signed_in(client)


def test_the_token_endpoint_is_throttled_too(manager_user):
    assert token_request("pw-max").status_code == 201
    statuses = [token_request("wrong").status_code for _ in range(LIMIT)]
    assert statuses == [401] * (LIMIT - 1) + [429]  # the last failure locks
    locked = token_request("pw-max")
    assert locked.status_code == 429
    assert "locked" in locked.json()["detail"]


def test_failures_and_lockouts_are_audit_logged_without_the_password(client, manager_user):
    for _ in range(LIMIT):
        login(client, "s3cret-guess")
    failed = AuditLog.objects.filter(action="auth.login_failed")
    assert failed.count() == LIMIT
    assert failed.first().details["username"] == "max"
    assert failed.first().details["ip"] == "10.0.0.1"
    locked = AuditLog.objects.get(action="auth.locked_out")
    assert locked.details["username"] == "max"
    assert not any("s3cret-guess" in str(row.details) for row in AuditLog.objects.all())


def test_an_admin_unlocks_with_a_command(client, manager_user):
    for _ in range(LIMIT):
        login(client, "wrong")
    assert login(client, "pw-max").status_code == 429
    call_command("axes_reset_username", "max", verbosity=0)
    call_command("axes_reset_ip", "10.0.0.1", verbosity=0)
    assert login(client, "pw-max").status_code == 302


# --- API tokens: hashed, expiring, audited --------------------------------------------------------


def test_a_token_from_the_endpoint_works_expires_and_is_revoked(manager_user):
    from knox.models import AuthToken

    response = token_request("pw-max")
    text = response.json()["token"]
    assert response.json()["expires_at"] is not None
    stored = AuthToken.objects.get(user=manager_user)
    assert text not in (stored.digest, stored.token_key)  # only a hash and a prefix are kept
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    assert client.get("/api/me").status_code == 200
    assert client.delete("/api/auth/token").status_code == 204
    assert client.get("/api/me").status_code == 401
    actions = list(
        AuditLog.objects.filter(action__startswith="api_token").values_list("action", flat=True)
    )
    assert sorted(actions) == ["api_token.create", "api_token.delete"]


def test_an_expired_token_is_refused(manager_user):
    import datetime as dt

    from django.utils import timezone
    from knox.models import AuthToken

    token, text = AuthToken.objects.create(user=manager_user)
    AuthToken.objects.filter(pk=token.pk).update(expiry=timezone.now() - dt.timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {text}")
    assert client.get("/api/me").status_code == 401


def test_the_endpoint_wants_basic_credentials(manager_api):
    assert manager_api.post("/api/auth/token").status_code == 400  # a session, not a password
    assert APIClient().post("/api/auth/token").status_code == 401

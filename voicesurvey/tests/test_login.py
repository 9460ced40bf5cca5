import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def test_login_page_renders(client):
    response = client.get(reverse("login"))
    assert response.status_code == 200
    assert b'name="username"' in response.content
    assert b"single sign-on" not in response.content  # OIDC not configured


def test_local_login_and_logout(client, manager_user):
    response = client.post(reverse("login"), {"username": "max", "password": "pw-max"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    page = client.get("/")
    assert page.status_code == 200
    assert b"Max Manager" in page.content
    client.post(reverse("logout"))
    assert client.get("/").status_code == 302


def test_wrong_password_is_refused_with_a_message(client, manager_user):
    response = client.post(reverse("login"), {"username": "max", "password": "nope"})
    assert response.status_code == 200
    assert "Your username and password didn't match" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_login_is_csrf_protected(manager_user):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    response = client.post(reverse("login"), {"username": "max", "password": "pw-max"})
    assert response.status_code == 403

"""OIDC login against an identity provider faked at the HTTP boundary (`responses`).

The fake IdP signs real RS256 ID tokens and publishes its key as a JWKS, so the whole
authorization-code flow of mozilla-django-oidc runs as it would against a real provider.
"""

import time
from urllib.parse import parse_qs, urlparse

import jwt
import pytest
import responses
from cryptography.hazmat.primitives.asymmetric import rsa
from django.urls import reverse
from rest_framework.test import APIClient

from voicesurvey.models import AuditLog, Role, User
from voicesurvey.oidc import role_from_claims
from voicesurvey.services import user_create

IDP = "https://idp.example.com"
CLIENT_ID = "voicesurvey"
ROLE_MAP = {"vs-admins": "admin", "vs-managers": "campaign_manager", "vs-viewers": "viewer"}


@pytest.fixture(scope="module")
def signing_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


@pytest.fixture
def oidc_settings(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = "client-secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{IDP}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{IDP}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{IDP}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{IDP}/jwks"
    settings.OIDC_OP_ISSUER = IDP
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_RP_SCOPES = "openid email profile"
    settings.OIDC_ROLE_CLAIM = "groups"
    settings.OIDC_ROLE_MAP = ROLE_MAP
    settings.OIDC_USERINFO_CACHE_SECONDS = 60
    settings.AUTHENTICATION_BACKENDS = [
        "django.contrib.auth.backends.ModelBackend",
        "voicesurvey.oidc.RoleMappingOIDCBackend",
    ]
    settings.ROOT_URLCONF = "voicesurvey.tests.oidc_urls"
    return settings


class FakeIdP:
    def __init__(self, mock: responses.RequestsMock, key):
        self.mock, self.key = mock, key
        public = jwt.PyJWK.from_json(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key())).key
        jwk = jwt.algorithms.RSAAlgorithm.to_jwk(public, as_dict=True)
        mock.get(f"{IDP}/jwks", json={"keys": [{**jwk, "kid": "key-1", "alg": "RS256"}]})

    def id_token(self, sub, nonce, **overrides):
        now = int(time.time())
        claims = {
            "iss": IDP,
            "sub": sub,
            "aud": CLIENT_ID,
            "nonce": nonce,
            "iat": now,
            "exp": now + 300,
            **overrides,
        }
        return jwt.encode(claims, self.key, algorithm="RS256", headers={"kid": "key-1"})

    def will_issue(self, *, sub, userinfo, **token_overrides):
        def token_endpoint(request):
            return (
                200,
                {},
                _json(
                    {
                        "access_token": "access-" + sub,
                        "token_type": "Bearer",
                        "id_token": self.id_token(sub, self.nonce, **token_overrides),
                    }
                ),
            )

        self.mock.add_callback(responses.POST, f"{IDP}/token", callback=token_endpoint)
        self.mock.get(f"{IDP}/userinfo", json={"sub": sub, **userinfo})


def _json(data):
    import json

    return json.dumps(data)


@pytest.fixture
def idp(signing_key):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield FakeIdP(mock, signing_key)


def sign_in(client, idp, *, sub, userinfo, **token_overrides):
    """Walk the authorization-code flow; returns the callback response."""
    start = client.get("/oidc/authenticate/")
    assert start.status_code == 302
    location = urlparse(start["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == f"{IDP}/authorize"
    query = parse_qs(location.query)
    assert query["client_id"] == [CLIENT_ID]
    assert query["response_type"] == ["code"]
    idp.nonce = query["nonce"][0]
    idp.will_issue(sub=sub, userinfo=userinfo, **token_overrides)
    return client.get("/oidc/callback/", {"code": "auth-code", "state": query["state"][0]})


def logged_in_user(client):
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("claims", "role"),
    [
        ({}, Role.VIEWER),
        ({"groups": []}, Role.VIEWER),
        ({"groups": ["unrelated"]}, Role.VIEWER),
        ({"groups": ["vs-managers"]}, Role.CAMPAIGN_MANAGER),
        ({"groups": ["vs-viewers", "vs-admins"]}, Role.ADMIN),
        ({"groups": "vs-managers vs-viewers"}, Role.CAMPAIGN_MANAGER),
        ({"groups": "vs-admins,other"}, Role.ADMIN),
    ],
)
def test_role_from_claims(claims, role):
    assert role_from_claims(claims, claim="groups", role_map=ROLE_MAP) == role


def test_login_page_offers_single_sign_on(client, oidc_settings):
    response = client.get(reverse("login"))
    assert b"Sign in with single sign-on" in response.content


def test_new_user_without_a_mapped_role_is_a_viewer(client, oidc_settings, idp):
    response = sign_in(
        client,
        idp,
        sub="sub-new",
        userinfo={"email": "new@example.com", "preferred_username": "newbie", "name": "New Person"},
    )
    assert response.status_code == 302
    assert response["Location"] == "/"
    user = logged_in_user(client)
    assert (user.username, user.email, user.oidc_sub, user.role) == (
        "newbie",
        "new@example.com",
        "sub-new",
        Role.VIEWER,
    )
    assert not user.is_staff
    assert AuditLog.objects.filter(action="user.create", object_id=str(user.pk)).exists()


def test_role_claim_maps_to_a_role(client, oidc_settings, idp):
    sign_in(
        client, idp, sub="sub-boss", userinfo={"email": "boss@example.com", "groups": ["vs-admins"]}
    )
    user = logged_in_user(client)
    assert (user.role, user.is_staff, user.is_superuser) == (Role.ADMIN, True, True)


def test_matched_by_subject_first_and_role_re_applied(client, oidc_settings, idp):
    existing = user_create(
        username="linked", email="old@example.com", oidc_sub="sub-7", role=Role.ADMIN
    )
    user_create(username="same-email", email="moved@example.com")
    sign_in(
        client, idp, sub="sub-7", userinfo={"email": "moved@example.com", "groups": ["vs-managers"]}
    )
    user = logged_in_user(client)
    assert user.pk == existing.pk
    assert (user.role, user.is_staff, user.email) == (
        Role.CAMPAIGN_MANAGER,
        False,
        "moved@example.com",
    )


def test_matched_by_email_links_the_account(client, oidc_settings, idp):
    local = user_create(username="local-max", email="Max@Example.com", role=Role.CAMPAIGN_MANAGER)
    sign_in(
        client,
        idp,
        sub="sub-max",
        userinfo={"email": "max@example.com", "email_verified": True, "groups": ["vs-managers"]},
    )
    user = logged_in_user(client)
    assert user.pk == local.pk
    assert user.oidc_sub == "sub-max"


def test_email_match_never_takes_over_an_account_linked_to_another_subject(
    client, oidc_settings, idp
):
    linked = user_create(username="owner", email="shared@example.com", oidc_sub="sub-owner")
    sign_in(client, idp, sub="sub-intruder", userinfo={"email": "shared@example.com"})
    user = logged_in_user(client)
    assert user is not None
    assert user.pk != linked.pk
    assert user.oidc_sub == "sub-intruder"


@pytest.mark.parametrize("verified", [{"email_verified": False}, {"email_verified": "false"}, {}])
def test_an_email_not_verified_by_the_idp_is_not_used_for_matching(
    client, oidc_settings, idp, verified
):
    local = user_create(username="careful", email="c@example.com")
    sign_in(client, idp, sub="sub-c", userinfo={"email": "c@example.com", **verified})
    user = logged_in_user(client)
    assert user.pk != local.pk  # a new account, the local one untouched
    local.refresh_from_db()
    assert local.oidc_sub is None


def test_an_email_verified_as_the_string_true_links_the_account(client, oidc_settings, idp):
    local = user_create(username="cognito", email="s@example.com")
    sign_in(client, idp, sub="sub-s", userinfo={"email": "s@example.com", "email_verified": "true"})
    assert logged_in_user(client).pk == local.pk


def test_without_a_configured_issuer_no_token_is_accepted(client, oidc_settings, idp):
    oidc_settings.OIDC_OP_ISSUER = ""  # start-up refuses this (voicesurvey.E011); and if not
    response = sign_in(client, idp, sub="sub-i", userinfo={"email": "i@example.com"})
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert logged_in_user(client) is None


@pytest.mark.parametrize(
    "overrides",
    [
        {"aud": "another-app"},
        {"iss": "https://evil.example.com"},
        {"exp": int(time.time()) - 10},
    ],
)
def test_tokens_for_another_client_issuer_or_expired_are_refused(
    client, oidc_settings, idp, overrides
):
    response = sign_in(client, idp, sub="sub-x", userinfo={"email": "x@example.com"}, **overrides)
    assert logged_in_user(client) is None
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert not User.objects.filter(oidc_sub="sub-x").exists()
    assert "Single sign-on did not complete" in client.get(response["Location"]).content.decode()


def test_token_signed_by_another_key_is_refused(client, oidc_settings, idp):
    idp.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    sign_in(client, idp, sub="sub-forged", userinfo={"email": "f@example.com"})
    assert logged_in_user(client) is None


def test_idp_token_endpoint_down_is_a_failed_login_not_a_500(client, oidc_settings, idp):
    start = client.get("/oidc/authenticate/")
    state = parse_qs(urlparse(start["Location"]).query)["state"][0]
    idp.mock.post(f"{IDP}/token", status=503)
    response = client.get("/oidc/callback/", {"code": "auth-code", "state": state})
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?sso=failed"


def test_api_bearer_token_authenticates_through_userinfo(oidc_settings, idp):
    idp.mock.get(
        f"{IDP}/userinfo",
        json={"sub": "sub-api", "email": "api@example.com", "groups": ["vs-managers"]},
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer opaque-access-token")
    first = api.get("/bearer/me")
    assert first.status_code == 200
    assert first.json()["role"] == "campaign_manager"
    second = api.get("/bearer/me")
    assert second.status_code == 200
    userinfo_calls = [c for c in idp.mock.calls if c.request.url == f"{IDP}/userinfo"]
    assert len(userinfo_calls) == 1  # cached per token for OIDC_USERINFO_CACHE_SECONDS


def test_api_bearer_token_rejected_by_the_idp_is_401(oidc_settings, idp):
    idp.mock.get(
        f"{IDP}/userinfo",
        status=401,
        headers={"WWW-Authenticate": 'Bearer error="invalid_token", error_description="expired"'},
    )
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer stale-token")
    assert api.get("/bearer/me").status_code == 401


@pytest.mark.parametrize("failure", [{"status": 502}, {"body": ConnectionError("down")}])
def test_api_bearer_token_with_the_idp_down_is_503_not_500(oidc_settings, idp, failure):
    import requests

    if "body" in failure:
        failure = {"body": requests.ConnectionError("IdP unreachable")}
    idp.mock.get(f"{IDP}/userinfo", **failure)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION="Bearer some-token")
    response = api.get("/bearer/me")
    assert response.status_code == 503
    assert "identity provider" in response.json()["detail"]

"""OIDC login (mozilla-django-oidc) with roles taken from a configurable claim.

Users are matched by `oidc_sub`, then by email (only an address the IdP says it verified,
and only an account not yet linked to another subject); new users start as viewers unless
the role claim maps them higher. The identity provider is the source of truth for roles: each
login re-applies the mapping. ID tokens must come from OIDC_OP_ISSUER, which OIDC requires.
"""

from __future__ import annotations

import hashlib
import logging

import jwt
import requests
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import SuspiciousOperation
from django.db import transaction
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.contrib.drf import OIDCAuthentication
from rest_framework import exceptions, status

from voicesurvey.models import Role, User
from voicesurvey.services import user_create, user_set_role

logger = logging.getLogger(__name__)

# When several claim values map to roles, the most capable one wins.
_ROLE_RANK: dict[str, int] = {Role.VIEWER: 0, Role.CAMPAIGN_MANAGER: 1, Role.ADMIN: 2}


def role_from_claims(
    claims: dict, *, claim: str | None = None, role_map: dict[str, str] | None = None
) -> str:
    """The role the claims grant through the value map; viewer when nothing maps."""
    claim = claim if claim is not None else settings.OIDC_ROLE_CLAIM
    role_map = role_map if role_map is not None else settings.OIDC_ROLE_MAP
    values = claims.get(claim)
    if values is None:
        return Role.VIEWER
    if isinstance(values, str):
        # Some IdPs send one value, some a space- or comma-separated string.
        values = values.replace(",", " ").split()
    granted = [role_map[v] for v in values if isinstance(v, str) and role_map.get(v) in _ROLE_RANK]
    if not granted:
        return Role.VIEWER
    return max(granted, key=_ROLE_RANK.__getitem__)


class RoleMappingOIDCBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        # A refused token (wrong audience or issuer, expired, bad signature) or an unreachable
        # IdP is a failed login, sent back to the login page, not a 400 or 500.
        try:
            return super().authenticate(request, **kwargs)
        except (SuspiciousOperation, jwt.InvalidTokenError) as exc:
            logger.warning("OIDC login refused: %s", exc)
        except requests.RequestException as exc:
            logger.warning("OIDC login failed, identity provider error: %s", type(exc).__name__)
        return None

    def verify_token(self, token, **kwargs):
        payload = super().verify_token(token, **kwargs)
        # mozilla-django-oidc checks the signature, expiry and nonce but not the audience: a
        # token the same IdP minted for another application must not log anyone in here.
        audience = payload.get("aud")
        audiences = [audience] if isinstance(audience, str) else list(audience or [])
        if self.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token was issued for another client.")
        # OIDC_OP_ISSUER is required with OIDC (system check voicesurvey.E011); were it empty
        # all the same, no token would match it.
        issuer = getattr(settings, "OIDC_OP_ISSUER", "")
        if not issuer or payload.get("iss") != issuer:
            raise SuspiciousOperation("The ID token comes from an unexpected issuer.")
        return payload

    def verify_claims(self, claims: dict) -> bool:
        # `sub` identifies the user; email is optional (service identities often lack one).
        return bool(claims.get("sub"))

    def filter_users_by_claims(self, claims: dict):
        users = User.objects.filter(oidc_sub=claims["sub"])
        if users.exists():
            return users
        email = claims.get("email")
        # Linking by email hands the local account to whoever holds that address at the IdP:
        # only when the IdP says it verified the address. Absent means unverified (some IdPs
        # let users type any address); a few send the flag as the string "true".
        if not email or str(claims.get("email_verified")).lower() != "true":
            return User.objects.none()
        # Only an account that no other subject has claimed: otherwise a second IdP account
        # with the same address could take over the first one's user.
        return User.objects.filter(email__iexact=email, oidc_sub__isnull=True)

    def describe_user_by_claims(self, claims: dict) -> str:
        return "OIDC subject"  # never log the email address or subject

    @transaction.atomic
    def create_user(self, claims: dict) -> User:
        username = self._free_username(claims.get("preferred_username") or claims["sub"])
        return user_create(
            username=username,
            email=claims.get("email", ""),
            name=claims.get("name", ""),
            oidc_sub=claims["sub"],
            role=role_from_claims(claims),
        )

    @transaction.atomic
    def update_user(self, user: User, claims: dict) -> User:
        changed = []
        if user.oidc_sub != claims["sub"]:
            user.oidc_sub = claims["sub"]
            changed.append("oidc_sub")
        for field in ("email", "name"):
            if claims.get(field) and getattr(user, field) != claims[field]:
                setattr(user, field, claims[field])
                changed.append(field)
        if changed:
            user.save(update_fields=changed)
        role = role_from_claims(claims)
        if role != user.role:
            user_set_role(user=user, role=role)
        return user

    def get_userinfo(self, access_token, id_token, payload):
        if id_token is not None or settings.OIDC_USERINFO_CACHE_SECONDS <= 0:
            return super().get_userinfo(access_token, id_token, payload)
        # API calls with a bearer token: ask the IdP once per token per TTL, not per request.
        key = "oidc-userinfo:" + hashlib.sha256(access_token.encode()).hexdigest()
        claims = cache.get(key)
        if claims is None:
            claims = super().get_userinfo(access_token, id_token, payload)
            cache.set(key, claims, settings.OIDC_USERINFO_CACHE_SECONDS)
        return claims

    @staticmethod
    def _free_username(wanted: str) -> str:
        base = wanted[:140]
        username, n = base, 1
        while User.objects.filter(username=username).exists():
            n += 1
            username = f"{base}-{n}"
        return username


class IdentityProviderUnavailable(exceptions.APIException):
    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = "The identity provider could not be reached to check the bearer token."
    default_code = "identity_provider_unavailable"


class BearerTokenAuthentication(OIDCAuthentication):
    """mozilla-django-oidc's DRF class, with IdP failures answered as 401/503 instead of 500."""

    def authenticate(self, request):
        try:
            return super().authenticate(request)
        except requests.HTTPError as exc:
            if exc.response is not None and exc.response.status_code in (400, 401, 403):
                raise exceptions.AuthenticationFailed("The bearer token was not accepted.") from exc
            logger.warning("identity provider error while checking a bearer token: %s", exc)
            raise IdentityProviderUnavailable from exc
        except requests.RequestException as exc:
            logger.warning("identity provider unreachable: %s", type(exc).__name__)
            raise IdentityProviderUnavailable from exc

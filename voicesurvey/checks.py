"""Configuration sanity as system checks: a half-configured switch fails at start-up. The
telephony provider's own checks are the engine's (calls/checks.py)."""

from __future__ import annotations

import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.checks import Error, Tags, register

from voicesurvey.models import Role


@register(Tags.security)
def check_oidc(app_configs, **kwargs):
    if not settings.OIDC_ENABLED:
        return []
    errors = []
    for name in (
        "OIDC_RP_CLIENT_SECRET",
        "OIDC_OP_AUTHORIZATION_ENDPOINT",
        "OIDC_OP_TOKEN_ENDPOINT",
        "OIDC_OP_USER_ENDPOINT",
    ):
        if not getattr(settings, name, ""):
            errors.append(
                Error(f"OIDC_RP_CLIENT_ID is set but {name} is not.", id="voicesurvey.E001")
            )
    if settings.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not settings.OIDC_OP_JWKS_ENDPOINT:
        errors.append(
            Error(
                f"OIDC_RP_SIGN_ALGO={settings.OIDC_RP_SIGN_ALGO} needs OIDC_OP_JWKS_ENDPOINT.",
                id="voicesurvey.E002",
            )
        )
    return errors


@register()
def check_role_map(app_configs, **kwargs):
    unknown = sorted({v for v in settings.OIDC_ROLE_MAP.values() if v not in Role.values})
    if unknown:
        return [
            Error(
                f"OIDC_ROLE_MAP maps to unknown roles {unknown}.",
                hint=f"Roles are {', '.join(Role.values)}.",
                id="voicesurvey.E003",
            )
        ]
    return []


@register()
def check_regional_defaults(app_configs, **kwargs):
    errors = []
    if settings.DEFAULT_PHONE_REGION not in phonenumbers.SUPPORTED_REGIONS:
        errors.append(
            Error(
                f"DEFAULT_PHONE_REGION={settings.DEFAULT_PHONE_REGION!r} is not a region code.",
                hint="Use an ISO 3166 alpha-2 code such as IT, GB or US.",
                id="voicesurvey.E004",
            )
        )
    if settings.DEFAULT_CAMPAIGN_TIMEZONE not in zoneinfo.available_timezones():
        errors.append(
            Error(
                f"DEFAULT_CAMPAIGN_TIMEZONE={settings.DEFAULT_CAMPAIGN_TIMEZONE!r} is not an IANA "
                "time zone.",
                hint="For example Europe/Rome or America/New_York.",
                id="voicesurvey.E005",
            )
        )
    return errors


@register(Tags.security)
def check_s3(app_configs, **kwargs):
    if not settings.AWS_STORAGE_BUCKET_NAME:
        return []
    options = settings.STORAGES["default"]["OPTIONS"]
    if bool(options["access_key"]) != bool(options["secret_key"]):
        return [
            Error(
                "Only one of AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY is set.",
                hint="Set both, or neither to use the instance's own credentials.",
                id="voicesurvey.E007",
            )
        ]
    return []

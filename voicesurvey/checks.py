"""Configuration sanity as system checks: a half-configured switch fails at start-up."""

from __future__ import annotations

import re
import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

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


@register()
def check_twilio(app_configs, **kwargs):
    names = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "PUBLIC_BASE_URL")
    given = [n for n in names if getattr(settings, n)]
    if not any(getattr(settings, n) for n in names[:3]):
        return []
    missing = [n for n in names if n not in given]
    if missing:
        return [
            Error(
                f"Twilio is partly configured: {', '.join(missing)} missing.",
                hint="Set all of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER and "
                "PUBLIC_BASE_URL, or none of them.",
                id="voicesurvey.E006",
            )
        ]
    if not settings.DEBUG and not settings.PUBLIC_BASE_URL.startswith("https://"):
        return [
            Warning(
                "PUBLIC_BASE_URL is not https: Twilio webhooks would travel unencrypted.",
                id="voicesurvey.W001",
            )
        ]
    return []


def _twilio_module():
    # Imported when a check runs, not at start-up (AppConfig.ready imports this module): the
    # twilio package is loaded only by what needs it.
    from calls.telephony import twilio

    return twilio


@register()
def check_twilio_options(app_configs, **kwargs):
    """The Twilio tuning settings, checked whether or not Twilio is in use: a typo is caught
    the day it is made, not the day Twilio is switched on."""
    twilio = _twilio_module()
    errors = []

    def invalid(name: str, expected: str) -> None:
        errors.append(
            Error(
                f"{name}={getattr(settings, name)!r} is not valid.",
                hint=f"Use {expected}.",
                id="voicesurvey.E009",
            )
        )

    if settings.TWILIO_MACHINE_DETECTION not in twilio.MACHINE_DETECTION_CHOICES:
        invalid("TWILIO_MACHINE_DETECTION", " or ".join(twilio.MACHINE_DETECTION_CHOICES))
    if settings.TWILIO_MACHINE_OUTCOME not in twilio.MACHINE_OUTCOME_CHOICES:
        invalid("TWILIO_MACHINE_OUTCOME", " or ".join(twilio.MACHINE_OUTCOME_CHOICES))
    if not 5 <= settings.TWILIO_CALL_TIMEOUT_SECONDS <= 600:
        invalid("TWILIO_CALL_TIMEOUT_SECONDS", "a number of seconds from 5 to 600 (Twilio's range)")
    if not 1 <= settings.TWILIO_GATHER_TIMEOUT_SECONDS <= 60:
        invalid("TWILIO_GATHER_TIMEOUT_SECONDS", "a number of seconds from 1 to 60")
    speech = settings.TWILIO_SPEECH_TIMEOUT
    if speech != "auto" and not (re.fullmatch(r"[0-9]{1,2}", speech) and 1 <= int(speech) <= 60):
        invalid("TWILIO_SPEECH_TIMEOUT", "auto, or a number of seconds from 1 to 60")
    if not 0 < settings.TWILIO_HTTP_TIMEOUT_SECONDS <= 120:
        invalid("TWILIO_HTTP_TIMEOUT_SECONDS", "a number of seconds above 0, at most 120")
    if (
        settings.TWILIO_MACHINE_OUTCOME == "left_message"
        and settings.TWILIO_MACHINE_DETECTION != "DetectMessageEnd"
    ):
        errors.append(
            Warning(
                "TWILIO_MACHINE_OUTCOME=left_message needs TWILIO_MACHINE_DETECTION="
                "DetectMessageEnd: without it no message is ever left (machines are hung up on).",
                id="voicesurvey.W002",
            )
        )
    return errors


def _selected_provider(alias: str) -> str | None:
    """ProviderConfig.provider as stored, or None when there is no row or no table yet. Never
    writes (a check must not), and never fails: on an empty database `migrate` runs the
    database checks before it has created any table."""
    from calls.models import ProviderConfig

    connection = connections[alias]
    try:
        if ProviderConfig._meta.db_table not in connection.introspection.table_names():
            return None
        return (
            ProviderConfig.objects.using(alias)
            .filter(pk=ProviderConfig.SINGLETON_ID)
            .values_list("provider", flat=True)
            .first()
        )
    except DatabaseError:  # unreachable, or half migrated: migrate itself will say so
        return None


@register(Tags.database)
def check_twilio_selected(app_configs, databases=None, **kwargs):
    """Twilio chosen in the admin without its settings: dialling would stop with an error on
    every scheduler tick. A database check (Django runs those in `migrate`, which `make run`
    starts with, and in `check --database default`), as it reads the provider configuration."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    if _selected_provider(DEFAULT_DB_ALIAS) != "twilio":
        return []
    missing = _twilio_module().missing_settings()
    if not missing:
        return []
    return [
        Error(
            f"The telephony provider is Twilio but {', '.join(missing)} "
            f"{'is' if len(missing) == 1 else 'are'} not set.",
            hint="Set TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER and "
            "PUBLIC_BASE_URL (README: Connecting Twilio), or choose the simulator again: "
            'admin → Provider configuration, or python manage.py shell -c "from calls.models '
            "import ProviderConfig; ProviderConfig.objects.update(provider='simulator')\".",
            id="voicesurvey.E008",
        )
    ]


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

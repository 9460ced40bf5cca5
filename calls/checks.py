"""The telephony provider's configuration as system checks (registered by CallsConfig.ready):
Twilio half configured, its tuning settings, and Twilio selected without its settings. The
ids keep the `voicesurvey.` prefix they were published with."""

from __future__ import annotations

import re

from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

from calls.models import ProviderConfig
from calls.telephony import twilio


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


@register()
def check_twilio_options(app_configs, **kwargs):
    """The Twilio tuning settings, checked whether or not Twilio is in use: a typo is caught
    the day it is made, not the day Twilio is switched on."""
    errors: list[CheckMessage] = []

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
    missing = twilio.missing_settings()
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

"""Configuration sanity as system checks: a half-configured switch fails at start-up. The
telephony provider's own checks are the engine's (calls/checks.py)."""

from __future__ import annotations

import os
import zoneinfo

import phonenumbers
from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django_q.models import Schedule

from voicesurvey.models import Role
from voicesurvey.task_policy import task_allowed


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
    # Without an issuer, any ID token signed with a key the JWKS endpoint serves would be
    # taken, whoever minted it (voicesurvey/oidc.py checks `iss` against this).
    if not getattr(settings, "OIDC_OP_ISSUER", ""):
        errors.append(
            Error(
                "OIDC_RP_CLIENT_ID is set but OIDC_OP_ISSUER is not.",
                hint="Set it to the provider's issuer, exactly as its ID tokens carry it in "
                "`iss` (the `issuer` of its /.well-known/openid-configuration).",
                id="voicesurvey.E011",
            )
        )
    if settings.OIDC_RP_SIGN_ALGO.startswith(("RS", "ES")) and not settings.OIDC_OP_JWKS_ENDPOINT:
        errors.append(
            Error(
                f"OIDC_RP_SIGN_ALGO={settings.OIDC_RP_SIGN_ALGO} needs OIDC_OP_JWKS_ENDPOINT.",
                id="voicesurvey.E002",
            )
        )
    return errors


# Backends that never deliver a message: right for development and tests, a silent loss with
# DEBUG off (the follow-up emails are marked sent).
_UNDELIVERED_EMAIL_BACKENDS = {
    "django.core.mail.backends.console.EmailBackend",
    "django.core.mail.backends.dummy.EmailBackend",
    "django.core.mail.backends.locmem.EmailBackend",
}


@register(Tags.security, deploy=True)
def check_email_backend(app_configs, **kwargs):
    """A deploy check (`manage.py check --deploy`): EMAIL_URL's default, consolemail://,
    prints follow-up emails to the web server's output instead of sending them."""
    if settings.DEBUG or settings.EMAIL_BACKEND not in _UNDELIVERED_EMAIL_BACKENDS:
        return []
    return [
        Warning(
            f"DEBUG is off but the email backend is {settings.EMAIL_BACKEND}: follow-up emails "
            "are not sent to anyone, yet they are recorded as sent.",
            hint="Set EMAIL_URL, e.g. smtp+tls://user:password@smtp.example.com:587.",
            id="voicesurvey.W003",
        )
    ]


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


@register(Tags.database, Tags.security)
def check_foreign_schedules(app_configs, databases=None, **kwargs):
    """Schedules that name a function outside the product's tasks (voicesurvey/task_policy.py):
    the cluster would refuse to run them, and someone put them there. A database check: it
    reads the schedules, and never fails on a database without the table yet."""
    if not databases or DEFAULT_DB_ALIAS not in databases:
        return []
    connection = connections[DEFAULT_DB_ALIAS]
    try:
        if Schedule._meta.db_table not in connection.introspection.table_names():
            return []
        foreign = [
            (name, func)
            for name, func in Schedule.objects.values_list("name", "func")
            if not task_allowed(func)
        ]
    except DatabaseError:
        return []
    return [
        Error(
            f"The schedule {name!r} runs {func!r}, which is not one of the product's tasks: "
            "the task cluster refuses it.",
            hint='Delete it (python manage.py shell -c "from django_q.models import Schedule; '
            f'Schedule.objects.filter(name={name!r}).delete()") and find out who added it; '
            "python manage.py setup_schedules recreates the product's own.",
            id="voicesurvey.E010",
        )
        for name, func in foreign
    ]


@register()
def check_prometheus_multiproc_dir(app_configs, **kwargs):
    """prometheus-client writes to PROMETHEUS_MULTIPROC_DIR from the first metric on, and a
    missing directory would fail every process at its first count (voicesurvey/metrics.py)."""
    directory = settings.PROMETHEUS_MULTIPROC_DIR
    if not directory or (os.path.isdir(directory) and os.access(directory, os.W_OK)):
        return []
    return [
        Error(
            f"PROMETHEUS_MULTIPROC_DIR is {directory!r}, which is not a writable directory.",
            hint="Create it (mkdir -p) for every process's user, or unset the variable.",
            id="voicesurvey.E012",
        )
    ]

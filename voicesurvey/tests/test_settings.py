"""The environment decides the backends: each case imports the settings in a fresh process."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

PROBE = """
import json
from django.conf import settings
print(json.dumps({
    "engine": settings.DATABASES["default"]["ENGINE"],
    "db_name": str(settings.DATABASES["default"]["NAME"]),
    "cache": settings.CACHES["default"]["BACKEND"],
    "cache_location": settings.CACHES["default"].get("LOCATION"),
    "broker": "redis" if "redis" in settings.Q_CLUSTER else "orm",
    "broker_url": settings.Q_CLUSTER.get("redis"),
    "storage": settings.STORAGES["default"]["BACKEND"],
    "storage_options": {k: v for k, v in settings.STORAGES["default"]["OPTIONS"].items()
                        if k in ("bucket_name", "endpoint_url", "querystring_expire")},
    "email": settings.EMAIL_BACKEND,
    "email_host": getattr(settings, "EMAIL_HOST", ""),
    "oidc": settings.OIDC_ENABLED,
    "backends": settings.AUTHENTICATION_BACKENDS,
    "api_auth": settings.REST_FRAMEWORK["DEFAULT_AUTHENTICATION_CLASSES"],
    "role_map": settings.OIDC_ROLE_MAP,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
}))
"""

BASE_ENV = {
    "PATH": os.environ.get("PATH", ""),
    "DJANGO_SETTINGS_MODULE": "voicesurvey.settings",
    "READ_DOT_ENV_FILE": "false",
    "SECRET_KEY": "x" * 50,
    "ALLOWED_HOSTS": "surveys.example.com",
}


def resolve(**env):
    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()\n" + PROBE],
        env={**BASE_ENV, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_embedded_defaults():
    s = resolve()
    assert s["engine"] == "django.db.backends.sqlite3"
    assert s["db_name"].endswith("db.sqlite3")
    assert s["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    assert s["broker"] == "orm"
    assert s["storage"] == "django.core.files.storage.FileSystemStorage"
    assert s["email"] == "django.core.mail.backends.console.EmailBackend"
    assert s["oidc"] is False
    assert s["backends"] == [
        "axes.backends.AxesStandaloneBackend",  # login throttling first
        "django.contrib.auth.backends.ModelBackend",
    ]
    assert s["ssl_redirect"] is True  # production hardening is the default outside DEBUG


def test_database_url_selects_postgresql():
    s = resolve(DATABASE_URL="postgres://app:pw@db.internal:5432/surveys")
    assert s["engine"] == "django.db.backends.postgresql"
    assert s["db_name"] == "surveys"


def test_redis_url_selects_redis_cache_and_broker():
    s = resolve(REDIS_URL="redis://cache.internal:6379/3")
    assert s["cache"] == "django_redis.cache.RedisCache"
    assert s["cache_location"] == "redis://cache.internal:6379/3"
    assert s["broker"] == "redis"
    assert s["broker_url"] == "redis://cache.internal:6379/3"


def test_bucket_selects_s3_storage():
    s = resolve(
        AWS_STORAGE_BUCKET_NAME="exports",
        AWS_S3_ENDPOINT_URL="http://minio.internal:9000",
        EXPORT_URL_EXPIRY_SECONDS="600",
    )
    assert s["storage"] == "storages.backends.s3.S3Storage"
    assert s["storage_options"] == {
        "bucket_name": "exports",
        "endpoint_url": "http://minio.internal:9000",
        "querystring_expire": 600,
    }


def test_email_url_selects_smtp():
    s = resolve(EMAIL_URL="smtp+tls://mailer:secret@smtp.example.com:587")
    assert s["email"] == "django.core.mail.backends.smtp.EmailBackend"
    assert s["email_host"] == "smtp.example.com"


def test_oidc_client_id_enables_oidc_login_and_bearer_tokens():
    s = resolve(
        OIDC_RP_CLIENT_ID="voicesurvey",
        OIDC_ROLE_MAP="vs-admins=admin,vs-managers=campaign_manager",
    )
    assert s["oidc"] is True
    assert "voicesurvey.oidc.RoleMappingOIDCBackend" in s["backends"]
    assert s["api_auth"] == [
        "knox.auth.TokenAuthentication",
        "voicesurvey.oidc.BearerTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ]
    assert s["role_map"] == {"vs-admins": "admin", "vs-managers": "campaign_manager"}


@pytest.mark.parametrize(
    ("missing", "message"),
    [
        ("SECRET_KEY", "SECRET_KEY is not set"),
        ("ALLOWED_HOSTS", "ALLOWED_HOSTS is not set"),
    ],
)
def test_production_refuses_to_start_without_secret_or_hosts(missing, message):
    env = {**BASE_ENV, "DEBUG": "false"}
    del env[missing]
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert message in result.stderr


def test_debug_runs_without_secret_or_hosts():
    env = {k: v for k, v in BASE_ENV.items() if k not in ("SECRET_KEY", "ALLOWED_HOSTS")}
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        env={**env, "DEBUG": "true"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr


def test_check_deploy_is_clean_under_production_settings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        env={
            **BASE_ENV,
            "SECRET_KEY": "a-long-random-production-secret-" + "k" * 40,
            # A production mail server: the console backend is a deploy warning (W003).
            "EMAIL_URL": "smtp+tls://mailer:secret@smtp.example.com:587",
        },
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout

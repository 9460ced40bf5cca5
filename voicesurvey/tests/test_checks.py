"""Half-configured switches are system-check errors at start-up, not crashes later."""

import os
import subprocess
import sys

import pytest
from django.conf import settings as django_settings

from voicesurvey import checks

MANAGE = django_settings.BASE_DIR / "manage.py"


def ids(messages):
    return [m.id for m in messages]


def test_clean_by_default(db):
    for check in (
        checks.check_oidc,
        checks.check_role_map,
        checks.check_regional_defaults,
        checks.check_s3,
    ):
        assert check(None) == []


def test_oidc_without_endpoints(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_SECRET = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = ""
    settings.OIDC_OP_USER_ENDPOINT = "https://idp/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = None
    settings.OIDC_OP_ISSUER = "https://idp"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    messages = checks.check_oidc(None)
    assert ids(messages) == ["voicesurvey.E001", "voicesurvey.E001", "voicesurvey.E002"]
    assert "OIDC_OP_TOKEN_ENDPOINT" in messages[1].msg


def test_oidc_needs_the_issuer(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = "https://idp/token"
    settings.OIDC_OP_USER_ENDPOINT = "https://idp/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = "https://idp/jwks"
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    settings.OIDC_OP_ISSUER = ""
    assert ids(checks.check_oidc(None)) == ["voicesurvey.E011"]
    settings.OIDC_OP_ISSUER = "https://idp"
    assert checks.check_oidc(None) == []


def test_oidc_without_an_issuer_stops_start_up(tmp_path):
    """The real settings and `manage.py check`, as a deployment runs them."""
    result = manage(
        "check",
        OIDC_RP_CLIENT_ID="voicesurvey",
        OIDC_RP_CLIENT_SECRET="secret",
        OIDC_OP_AUTHORIZATION_ENDPOINT="https://idp/authorize",
        OIDC_OP_TOKEN_ENDPOINT="https://idp/token",
        OIDC_OP_USER_ENDPOINT="https://idp/userinfo",
        OIDC_OP_JWKS_ENDPOINT="https://idp/jwks",
    )
    assert result.returncode == 1
    assert "voicesurvey.E011" in result.stderr
    assert "OIDC_OP_ISSUER" in result.stderr


@pytest.mark.parametrize(
    ("env", "warned"),
    [
        ({}, True),  # EMAIL_URL's default: consolemail://
        ({"EMAIL_URL": "consolemail://"}, True),
        ({"EMAIL_URL": "smtp+tls://user:pw@smtp.example.com:587"}, False),
        ({"DEBUG": "true"}, False),
    ],
)
def test_deploy_check_warns_when_emails_go_to_the_console(env, warned):
    result = manage("check", "--deploy", **env)
    assert result.returncode == 0, result.stderr
    assert ("voicesurvey.W003" in result.stderr) == warned
    if warned:  # the ordinary check (every start-up) leaves it to the deploy check
        assert "voicesurvey.W003" not in manage("check", **env).stderr


def manage(*args, **env):
    """`manage.py` in a process of its own, on the production settings with DEBUG off and
    nothing else from this process's environment (the test settings' defaults are there)."""
    environment = dict(
        PATH=os.environ.get("PATH", ""),
        DJANGO_SETTINGS_MODULE="voicesurvey.settings",
        SECRET_KEY="a-long-random-secret-key-for-this-test-only-0123456789abcdefghij",
        ALLOWED_HOSTS="surveys.example.com",
        READ_DOT_ENV_FILE="false",
        **env,
    )
    return subprocess.run(
        [sys.executable, str(MANAGE), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def test_role_map_to_unknown_role(settings):
    settings.OIDC_ROLE_MAP = {"ops": "superhero"}
    assert ids(checks.check_role_map(None)) == ["voicesurvey.E003"]


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("DEFAULT_PHONE_REGION", "XX", "voicesurvey.E004"),
        ("DEFAULT_CAMPAIGN_TIMEZONE", "Mars/Olympus", "voicesurvey.E005"),
    ],
)
def test_regional_defaults(settings, name, value, check_id):
    setattr(settings, name, value)
    assert ids(checks.check_regional_defaults(None)) == [check_id]


def test_s3_with_half_the_credentials(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"access_key": "AKIA", "secret_key": None},
        },
    }
    assert ids(checks.check_s3(None)) == ["voicesurvey.E007"]


def test_the_embedded_sqlite_default_starts_without_warnings(tmp_path):
    """The dialling index's covered columns are PostgreSQL's (models.W040 on SQLite): silenced
    on the embedded default, which needs no more, instead of warned about at every start."""
    result = manage(
        "check", "--database", "default", DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}"
    )
    assert result.returncode == 0, result.stderr
    assert "W040" not in result.stderr + result.stdout
    assert "System check identified no issues (1 silenced)." in result.stdout

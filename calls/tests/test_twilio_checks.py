"""Twilio's configuration as system checks: Twilio selected without its settings is an error
at start-up (not a crash later), the tuning settings are validated, and the database check
leaves `migrate` of an empty database alone."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings as django_settings

from calls import checks
from calls.models import ProviderConfig
from calls.tests.twilio_support import configure

pytestmark = pytest.mark.django_db

MANAGE = Path(django_settings.BASE_DIR) / "manage.py"


def ids(messages):
    return [m.id for m in messages]


def test_clean_by_default():
    assert checks.check_twilio(None) == []
    assert checks.check_twilio_options(None) == []
    assert checks.check_twilio_selected(None, databases=["default"]) == []


def test_twilio_partly_configured(settings):
    settings.TWILIO_ACCOUNT_SID = "AC123"
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.PUBLIC_BASE_URL = ""
    messages = checks.check_twilio(None)
    assert ids(messages) == ["voicesurvey.E006"]
    assert "TWILIO_AUTH_TOKEN" in messages[0].msg
    assert "PUBLIC_BASE_URL" in messages[0].msg


def test_twilio_over_plain_http_warns(settings):
    settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN = "AC123", "token"
    settings.TWILIO_FROM_NUMBER, settings.PUBLIC_BASE_URL = "+15005550006", "http://x.example"
    settings.DEBUG = False
    assert ids(checks.check_twilio(None)) == ["voicesurvey.W001"]


@pytest.fixture
def twilio_selected(provider_config):
    provider_config.provider = "twilio"
    provider_config.save()
    return provider_config


def test_twilio_selected_without_credentials_is_an_error(settings, twilio_selected):
    configure(settings, TWILIO_AUTH_TOKEN="", TWILIO_FROM_NUMBER="")
    (error,) = checks.check_twilio_selected(None, databases=["default"])
    assert error.id == "voicesurvey.E008"
    assert error.msg == (
        "The telephony provider is Twilio but TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER are not set."
    )
    assert "Provider configuration" in error.hint


def test_twilio_selected_and_configured_is_clean(settings, twilio_selected):
    configure(settings)
    assert checks.check_twilio_selected(None, databases=["default"]) == []


def test_the_simulator_needs_no_twilio_settings(settings, provider_config):
    configure(settings, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_FROM_NUMBER="")
    assert checks.check_twilio_selected(None, databases=["default"]) == []


def test_the_check_reads_nothing_unless_asked_for_the_database(
    settings, twilio_selected, django_assert_num_queries
):
    configure(settings, TWILIO_AUTH_TOKEN="")
    with django_assert_num_queries(0):
        assert checks.check_twilio_selected(None) == []


def test_the_check_creates_no_provider_configuration(settings, db):
    configure(settings, TWILIO_AUTH_TOKEN="")
    assert checks.check_twilio_selected(None, databases=["default"]) == []
    assert not ProviderConfig.objects.exists()


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("TWILIO_MACHINE_DETECTION", "on"),
        ("TWILIO_MACHINE_OUTCOME", "voicemail"),
        ("TWILIO_CALL_TIMEOUT_SECONDS", 3),
        ("TWILIO_CALL_TIMEOUT_SECONDS", 601),
        ("TWILIO_GATHER_TIMEOUT_SECONDS", 0),
        ("TWILIO_SPEECH_TIMEOUT", "soon"),
        ("TWILIO_SPEECH_TIMEOUT", "0"),
        ("TWILIO_SPEECH_TIMEOUT", "²"),
        ("TWILIO_HTTP_TIMEOUT_SECONDS", 0),
    ],
)
def test_a_bad_twilio_option_is_an_error_naming_it(settings, name, value):
    setattr(settings, name, value)
    (error,) = checks.check_twilio_options(None)
    assert error.id == "voicesurvey.E009"
    assert error.msg.startswith(f"{name}={value!r}")


def test_good_twilio_options_are_clean(settings):
    settings.TWILIO_MACHINE_DETECTION = "DetectMessageEnd"
    settings.TWILIO_MACHINE_OUTCOME = "left_message"
    settings.TWILIO_SPEECH_TIMEOUT = "2"
    assert checks.check_twilio_options(None) == []


@pytest.mark.parametrize("detection", ["off", "Enable"])
def test_leaving_messages_without_waiting_for_the_beep_warns(settings, detection):
    settings.TWILIO_MACHINE_OUTCOME = "left_message"
    settings.TWILIO_MACHINE_DETECTION = detection
    assert ids(checks.check_twilio_options(None)) == ["voicesurvey.W002"]


# --- The commands, on a database of their own ---------------------------------------------------


def manage(*args, database: Path, **env):
    environment = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TWILIO_", "PUBLIC_BASE_URL", "REDIS_URL"))
    }
    environment.update(
        DJANGO_SETTINGS_MODULE="voicesurvey.settings_test",
        DATABASE_URL=f"sqlite:///{database}",
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


@pytest.mark.slow
def test_migrate_works_on_an_empty_database_and_then_the_check_bites(tmp_path):
    database = tmp_path / "fresh.sqlite3"
    migrated = manage("migrate", "--no-input", database=database)
    assert migrated.returncode == 0, migrated.stderr  # the database check ran before any table

    select_twilio = (
        "from calls.models import ProviderConfig; "
        "ProviderConfig.objects.update_or_create(pk=1, defaults={'provider': 'twilio'})"
    )
    assert manage("shell", "-c", select_twilio, database=database).returncode == 0
    checked = manage("check", "--database", "default", database=database)
    assert checked.returncode == 1
    assert "voicesurvey.E008" in checked.stderr
    # What `make run` starts with refuses to go on, saying why, instead of failing later.
    remigrated = manage("migrate", "--no-input", database=database)
    assert remigrated.returncode == 1
    assert "TWILIO_ACCOUNT_SID" in remigrated.stderr

    configured = manage(
        "check",
        "--database",
        "default",
        database=database,
        TWILIO_ACCOUNT_SID="AC" + "1" * 32,
        TWILIO_AUTH_TOKEN="token",
        TWILIO_FROM_NUMBER="+15005550006",
        PUBLIC_BASE_URL="https://surveys.example.com",
    )
    assert configured.returncode == 0, configured.stderr

"""provider_config_update and `GET/PUT/PATCH /api/config/provider` (admins only)."""

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from calls.models import ProviderConfig
from calls.selectors import provider_config_get
from calls.services import provider_config_update
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/api/config/provider"
TWILIO = ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN", "TWILIO_FROM_NUMBER", "PUBLIC_BASE_URL")


def test_changes_and_logs_the_names_of_what_changed(admin_user):
    provider_config_update(
        actor=admin_user, fields={"max_concurrent_calls": 25, "sim_seed": 1, "sim_busy_rate": 0.3}
    )
    config = ProviderConfig.objects.get()
    assert (config.max_concurrent_calls, config.sim_busy_rate) == (25, 0.3)
    log = AuditLog.objects.get(action="provider_config.update")
    assert (log.actor, log.details) == (
        admin_user,
        {"changed": ["max_concurrent_calls", "sim_busy_rate"]},
    )


def test_bad_values_by_field(admin_user):
    with pytest.raises(ValidationError) as excinfo:
        provider_config_update(actor=admin_user, fields={"sim_answer_rate": 1.5, "id": 2})
    assert set(excinfo.value.message_dict) == {"id"}
    with pytest.raises(ValidationError) as excinfo:
        provider_config_update(actor=admin_user, fields={"sim_answer_rate": 1.5})
    assert "Simulator rates are between 0 and 1." in str(excinfo.value)
    assert provider_config_get().sim_answer_rate == 0.65


def test_a_rate_too_slow_to_place_a_call_in_a_tick_is_refused(admin_user, settings):
    settings.SCHEDULER_TICK_SECONDS = 60
    with pytest.raises(ValidationError) as excinfo:
        provider_config_update(actor=admin_user, fields={"calls_per_second": Decimal("0.01")})
    assert excinfo.value.message_dict["calls_per_second"] == [
        "At least one call per scheduler tick (60 s): 0.02 or more."
    ]
    provider_config_update(actor=admin_user, fields={"calls_per_second": Decimal("0.02")})
    assert provider_config_get().calls_per_second == Decimal("0.02")


def test_twilio_cannot_be_chosen_without_its_settings(admin_user, settings):
    for name in TWILIO:
        setattr(settings, name, "")
    with pytest.raises(ValidationError) as excinfo:
        provider_config_update(actor=admin_user, fields={"provider": "twilio"})
    assert "TWILIO_ACCOUNT_SID" in excinfo.value.message_dict["provider"][0]
    assert provider_config_get().provider == "simulator"
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN, settings.TWILIO_FROM_NUMBER = "token", "+15005550006"
    settings.PUBLIC_BASE_URL = "https://surveys.example.com"
    provider_config_update(actor=admin_user, fields={"provider": "twilio"})
    assert provider_config_get().provider == "twilio"


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_api_role_matrix(persona_api, persona, status):
    assert persona_api.get(URL).status_code == status
    response = persona_api.patch(URL, {"max_concurrent_calls": 42}, format="json")
    assert response.status_code == status
    assert (provider_config_get().max_concurrent_calls == 42) == (status == 200)


def test_api_reads_and_updates(admin_api):
    body = admin_api.get(URL).json()
    assert body["provider"] == "simulator"
    assert body["max_concurrent_calls"] == 10
    body.update(max_concurrent_calls=30, calls_per_second="2.50")
    response = admin_api.put(URL, body, format="json")
    assert response.status_code == 200, response.json()
    assert (response.json()["max_concurrent_calls"], response.json()["calls_per_second"]) == (
        30,
        "2.50",
    )


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"provider": "carrier-pigeon"}, "provider"),
        ({"max_concurrent_calls": -1}, "max_concurrent_calls"),
        ({"calls_per_second": "fast"}, "calls_per_second"),
        ({"sim_failure_rate": 2}, None),  # the model's constraint: a message, no field
    ],
)
def test_api_bad_input_is_a_400(admin_api, payload, field):
    response = admin_api.patch(URL, payload, format="json")
    assert response.status_code == 400
    if field:
        assert field in response.json()


def test_api_twilio_without_settings_is_a_400_saying_what_is_missing(admin_api, settings):
    for name in TWILIO:
        setattr(settings, name, "")
    response = admin_api.patch(URL, {"provider": "twilio"}, format="json")
    assert response.status_code == 400
    assert "PUBLIC_BASE_URL" in response.json()["provider"][0]

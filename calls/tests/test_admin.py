"""The provider configuration is edited in the admin (audit-logged); history is read-only."""

import datetime as dt

import pytest
from django.urls import reverse

from calls.models import ProviderConfig
from calls.selectors import provider_config_get
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def form_data(config, **changes):
    data = {
        "provider": config.provider,
        "outbound_number": config.outbound_number,
        "max_concurrent_calls": config.max_concurrent_calls,
        "calls_per_second": config.calls_per_second,
        "cost_per_minute": config.cost_per_minute,
        "dialling_paused_until_0": "",
        "dialling_paused_until_1": "",
        "recording_retention_days": config.recording_retention_days,
        "transcript_retention_days": config.transcript_retention_days,
        "sim_answer_rate": config.sim_answer_rate,
        "sim_busy_rate": config.sim_busy_rate,
        "sim_no_answer_rate": config.sim_no_answer_rate,
        "sim_failure_rate": config.sim_failure_rate,
        "sim_consent_rate": config.sim_consent_rate,
        "sim_seed": config.sim_seed,
    }
    data.update(changes)
    return data


def test_an_admin_edits_the_provider_configuration(client, admin_user):
    config = provider_config_get()
    config.dialling_paused_until = config.updated_at + dt.timedelta(minutes=5)
    config.save()
    client.force_login(admin_user)
    url = reverse("admin:calls_providerconfig_change", args=[config.pk])
    assert client.get(url).status_code == 200
    response = client.post(
        url, form_data(config, max_concurrent_calls=25, sim_unavailable="on", sim_busy_rate=0.3)
    )
    assert response.status_code == 302
    config = ProviderConfig.objects.get()
    assert (config.max_concurrent_calls, config.sim_unavailable, config.sim_busy_rate) == (
        25,
        True,
        0.3,
    )
    assert config.dialling_paused_until is None  # cleared: dialling resumes at once
    log = AuditLog.objects.get(action="provider_config.update")
    assert "max_concurrent_calls" in log.details["changed"]
    assert log.actor == admin_user


def test_rates_out_of_range_are_refused(client, admin_user):
    config = provider_config_get()
    client.force_login(admin_user)
    url = reverse("admin:calls_providerconfig_change", args=[config.pk])
    response = client.post(url, form_data(config, sim_answer_rate=1.5))
    assert response.status_code == 200
    assert "Simulator rates are between 0 and 1." in (response.content.decode())


def test_managers_cannot_reach_the_admin(client, manager_user):
    client.force_login(manager_user)
    response = client.get(reverse("admin:calls_providerconfig_changelist"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_twilio_without_its_settings_is_refused_with_the_reason(client, admin_user, settings):
    settings.TWILIO_ACCOUNT_SID = settings.TWILIO_AUTH_TOKEN = ""
    config = provider_config_get()
    client.force_login(admin_user)
    url = reverse("admin:calls_providerconfig_change", args=[config.pk])
    response = client.post(url, form_data(config, provider="twilio"))
    assert response.status_code == 200
    assert "Twilio is selected but not configured: TWILIO_ACCOUNT_SID" in response.content.decode()
    assert ProviderConfig.objects.get().provider == "simulator"

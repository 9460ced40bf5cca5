"""The engine's Prometheus counters (voicesurvey/metrics.py) move by exactly what happened: a
campaign run to its end by the simulator, rejected numbers and outages, provider webhooks.
Read as deltas of the process's registry: other tests move the same counters."""

from __future__ import annotations

import collections
import uuid

import pytest
from django.core import mail
from django.utils import timezone
from prometheus_client import REGISTRY

from calls.models import CallAttempt, EmailNotification, SchedulerRun
from calls.outcomes import GIVEN_BACK_ERROR_CODES
from calls.scheduler import scheduler_tick
from calls.simulation import campaign_simulate
from calls.telephony.base import ProviderUnavailable
from calls.tests.conftest import NetworkStandIn
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import EmailTemplateFactory
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

OUTCOMES = ("completed", "refused", "no_answer", "busy", "failed")


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def snapshot() -> dict:
    return {
        "placed": value("voicesurvey_calls_placed_total", provider="simulator"),
        "outcomes": {o: value("voicesurvey_call_outcomes_total", outcome=o) for o in OUTCOMES},
        "given_back": sum(
            value("voicesurvey_call_attempts_given_back_total", reason=code)
            for code in GIVEN_BACK_ERROR_CODES
        ),
        "ticks": value("voicesurvey_scheduler_ticks_total", status="finished"),
        "tick_seconds_count": value("voicesurvey_scheduler_tick_duration_seconds_count"),
        "calls_per_tick_sum": value("voicesurvey_scheduler_calls_per_tick_sum"),
        "webhooks_ok": value(
            "voicesurvey_telephony_webhooks_total", provider="simulator", kind="status", code="200"
        )
        + value(
            "voicesurvey_telephony_webhooks_total",
            provider="simulator",
            kind="dialogue",
            code="200",
        ),
        "emails_sent": value("voicesurvey_emails_total", result="sent"),
        "rejected": value(
            "voicesurvey_provider_errors_total", provider="simulator", kind="rejected"
        ),
    }


@pytest.mark.slow
def test_a_simulated_campaign_moves_the_counters_by_exactly_what_it_did(
    provider_config, open_campaign
):
    open_campaign.max_attempts = 2
    open_campaign.retry_interval_minutes = 30
    open_campaign.completed_email_template = EmailTemplateFactory(type="completed")
    open_campaign.save()
    for i in range(30):
        ContactFactory(campaign=open_campaign, email=f"person{i}@example.org")
    before = snapshot()

    summary = campaign_simulate(campaign=open_campaign)

    after = snapshot()
    assert summary.stopped == ""
    assert summary.calls > 0
    attempts = CallAttempt.objects.filter(campaign=open_campaign)
    counted = attempts.exclude(error_code__in=GIVEN_BACK_ERROR_CODES)
    by_outcome = collections.Counter(counted.values_list("outcome", flat=True))
    placed = attempts.exclude(provider_call_id="")
    assert after["placed"] - before["placed"] == summary.calls == placed.count()
    # The simulator rejects some numbers, as a network does: attempts, never placed.
    rejected = attempts.filter(provider_call_id="").exclude(error_code__in=GIVEN_BACK_ERROR_CODES)
    assert after["rejected"] - before["rejected"] == rejected.count()
    assert {o: after["outcomes"][o] - before["outcomes"][o] for o in OUTCOMES} == {
        o: by_outcome[o] for o in OUTCOMES
    }
    assert after["given_back"] - before["given_back"] == attempts.count() - counted.count()
    ticks = SchedulerRun.objects.count()
    assert after["ticks"] - before["ticks"] == summary.ticks == ticks
    assert after["tick_seconds_count"] - before["tick_seconds_count"] == ticks
    assert after["calls_per_tick_sum"] - before["calls_per_tick_sum"] == summary.calls
    # Every call reported its end through a signed webhook, at least.
    assert after["webhooks_ok"] - before["webhooks_ok"] >= summary.calls
    sent = EmailNotification.objects.filter(status="sent").count()
    assert sent == len(mail.outbox) > 0
    assert after["emails_sent"] - before["emails_sent"] == sent


def test_a_rejected_number_and_an_outage_are_provider_errors_by_kind(
    provider_config, open_campaign
):
    rejected = ContactFactory(campaign=open_campaign)
    ContactFactory(campaign=open_campaign)

    def errors(kind):
        return value("voicesurvey_provider_errors_total", provider="simulator", kind=kind)

    before = {kind: errors(kind) for kind in ("rejected", "unavailable", "error")}
    failed = value("voicesurvey_call_outcomes_total", outcome="failed")
    scheduler_tick(provider=NetworkStandIn(reject=[rejected.phone_number]), now=timezone.now())
    assert errors("rejected") - before["rejected"] == 1
    assert value("voicesurvey_call_outcomes_total", outcome="failed") - failed == 1

    class Down(NetworkStandIn):
        def start_call(self, call):
            raise ProviderUnavailable("the network is down")

    ContactFactory(campaign=open_campaign)
    given_back = value("voicesurvey_call_attempts_given_back_total", reason="provider_unavailable")
    scheduler_tick(provider=Down(), now=timezone.now())
    assert errors("unavailable") - before["unavailable"] == 1
    assert errors("error") == before["error"]
    assert (
        value("voicesurvey_call_attempts_given_back_total", reason="provider_unavailable")
        - given_back
        == 1
    )


def test_provider_webhooks_are_counted_by_provider_kind_and_answer(client, post_simulator):
    attempt = CallAttemptFactory()

    def count(provider, code, kind="status"):
        return value(
            "voicesurvey_telephony_webhooks_total", provider=provider, kind=kind, code=code
        )

    def seconds(provider):
        return value(
            "voicesurvey_telephony_webhook_duration_seconds_count", provider=provider, kind="status"
        )

    before = {
        "ok": count("simulator", "200"),
        "forbidden": count("simulator", "403"),
        "stranger": count("other", "404"),
        "seconds": seconds("simulator"),
    }
    assert post_simulator(attempt.pk, {"status": "ringing", "sequence": 2}).status_code == 200
    assert (
        post_simulator(
            attempt.pk, {"status": "ringing", "sequence": 3}, signature="bad"
        ).status_code
        == 403
    )
    stranger = client.post(
        f"/webhooks/telephony/made-up-{uuid.uuid4()}/{attempt.pk}/status",
        data=b"{}",
        content_type="application/json",
    )
    assert stranger.status_code == 404
    assert count("simulator", "200") - before["ok"] == 1
    assert count("simulator", "403") - before["forbidden"] == 1
    # A provider name nobody knows is "other": a stranger's names never become series.
    assert count("other", "404") - before["stranger"] == 1
    assert seconds("simulator") - before["seconds"] == 2

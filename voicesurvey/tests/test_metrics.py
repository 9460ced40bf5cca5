"""/metrics and the product's metrics (voicesurvey/metrics.py): who may scrape, the dial queue's
gauges read at scrape time, exports, logins and the stats cache counted, and prometheus-client's
multiprocess mode adding up real processes. The engine's counters are tested in
calls/tests/test_metrics_calls.py. Counters are read as deltas: other tests move them too."""

from __future__ import annotations

import datetime as dt
import os
import runpy
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.urls import reverse
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from dashboard.cache import campaign_stats_cached
from exports.services import export_generate, export_start

pytestmark = pytest.mark.django_db

TOKEN = "scrape-me"
ROOT = Path(settings.BASE_DIR)


def value(name: str, **labels) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


def scrape(client) -> dict[str, float]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200
    return {
        sample.name + repr(sorted(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.content.decode())
        for sample in family.samples
    }


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.PROMETHEUS_MULTIPROC_DIR = ""


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 403), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_who_may_scrape(persona_client, persona, status):
    response = persona_client.get("/metrics")
    assert response.status_code == status
    if status == 200:
        assert b"voicesurvey_call_outcomes_total" in response.content
    else:
        assert b"voicesurvey_" not in response.content


def test_the_token_scrapes_and_a_wrong_one_does_not(client):
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer nope").status_code == 401


def test_the_queue_gauges_are_read_from_the_database_at_each_scrape(client):
    campaign = CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    ContactFactory.create_batch(3, campaign=campaign)
    ContactFactory(campaign=CampaignFactory(status="paused"))  # not due: its campaign is paused
    assert scrape(client)["voicesurvey_dial_queue_due[]"] == 3
    assert "voicesurvey_scheduler_last_tick_timestamp_seconds[]" not in scrape(client)

    started = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    CallAttemptFactory(campaign=campaign, contact=campaign.contacts.first(), started_at=started)
    run = SchedulerRunFactory()
    samples = scrape(client)
    assert samples["voicesurvey_calls_in_flight[]"] == 1
    assert 599 <= samples["voicesurvey_calls_in_flight_oldest_age_seconds[]"] <= 700
    assert samples["voicesurvey_scheduler_last_tick_timestamp_seconds[]"] == pytest.approx(
        run.started_at.timestamp()
    )


def test_exports_are_counted_by_status_with_their_duration(admin_user, monkeypatch):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign)
    completed = value("voicesurvey_exports_total", status="completed", format="csv")
    failed = value("voicesurvey_exports_total", status="failed", format="csv")
    timed = value("voicesurvey_export_duration_seconds_count", status="completed")

    job, _ = export_start(campaign=campaign, actor=admin_user, enqueue=False)
    assert export_generate(job=job).status == "completed"
    assert value("voicesurvey_exports_total", status="completed", format="csv") - completed == 1
    assert value("voicesurvey_export_duration_seconds_count", status="completed") - timed == 1

    def storage_down(**kwargs):
        raise OSError("the disk is full")

    monkeypatch.setattr("exports.services._export_file_write", storage_down)
    job, _ = export_start(campaign=campaign, actor=admin_user, enqueue=False)
    assert export_generate(job=job).status == "failed"
    assert value("voicesurvey_exports_total", status="failed", format="csv") - failed == 1


def test_login_failures_and_lockouts_are_counted(client, manager_user):
    failures = value("voicesurvey_login_failures_total")
    lockouts = value("voicesurvey_login_lockouts_total")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": "max", "password": "wrong"})
    assert value("voicesurvey_login_failures_total") - failures == settings.AXES_FAILURE_LIMIT
    assert value("voicesurvey_login_lockouts_total") - lockouts == 1


def test_the_stats_cache_counts_a_miss_then_a_hit():
    campaign = CampaignFactory()

    def lookups(result):
        return value("voicesurvey_stats_cache_lookups_total", block="campaign_stats", result=result)

    misses, hits = lookups("miss"), lookups("hit")
    for expected_cached in (False, True):
        stats = campaign_stats_cached(
            campaign=campaign, include_time_series=False, time_series_hours=24, time_series_days=7
        )
        assert stats["cached"] is expected_cached
    assert (lookups("miss") - misses, lookups("hit") - hits) == (1, 1)


COUNT_IN_A_PROCESS = """
import django, sys
django.setup()
from voicesurvey import metrics
metrics.emails_total.labels(result="sent").inc(int(sys.argv[1]))
metrics.scheduler_tick_duration_seconds.observe(0.2)
"""


def test_two_processes_writing_to_one_directory_add_up_in_one_scrape(client, settings, tmp_path):
    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    env.setdefault("DJANGO_SETTINGS_MODULE", "voicesurvey.settings_test")
    for amount in (3, 4):
        subprocess.run(
            [sys.executable, "-c", COUNT_IN_A_PROCESS, str(amount)],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
        )
    assert len(list(tmp_path.glob("counter_*.db"))) == 2  # one file per process

    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    samples = scrape(client)
    assert samples["voicesurvey_emails_total[('result', 'sent')]"] == 7
    assert samples["voicesurvey_scheduler_tick_duration_seconds_count[]"] == 2
    # The scrape-time gauges come along.
    assert "voicesurvey_dial_queue_due[]" in samples


def test_a_missing_multiprocess_directory_stops_start_up(settings, tmp_path):
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path / "absent")
    with pytest.raises(SystemCheckError, match="voicesurvey.E012"):
        call_command("check")
    settings.PROMETHEUS_MULTIPROC_DIR = str(tmp_path)
    call_command("check")


def test_gunicorn_forgets_a_dead_workers_live_gauges(monkeypatch, tmp_path):
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    (tmp_path / "gauge_livesum_4242.db").write_bytes(b"")
    (tmp_path / "counter_4242.db").write_bytes(b"")
    config = runpy.run_path(str(ROOT / "gunicorn.conf.py"))

    class Worker:
        pid = 4242

    config["child_exit"](None, Worker())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["counter_4242.db"]

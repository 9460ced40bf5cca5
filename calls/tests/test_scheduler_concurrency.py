"""Two scheduler processes ticking at once over the same 5,000 contacts never dial a contact
twice (docs/architecture.md §10). Real processes (`manage.py run_scheduler --once`) against the test
database, each with its own connection: the row locks do the work, not the test."""

import datetime as dt
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.db.models import Count

from calls.models import CallAttempt, SchedulerRun
from calls.selectors import provider_config_get
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact

ROOT = Path(settings.BASE_DIR)


def scheduler_process(env):
    return subprocess.Popen(
        [sys.executable, "manage.py", "run_scheduler", "--once"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_never_take_the_same_contact():
    if connection.vendor != "postgresql":
        pytest.skip(
            "needs PostgreSQL: SQLite lets one writer in at a time, so two schedulers cannot "
            "race there (run with DATABASE_URL=postgres://…)"
        )
    campaign = CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    Contact.objects.bulk_create(
        Contact(campaign=campaign, phone_number=f"+39347{i:07d}", timezone="Europe/Rome")
        for i in range(5000)
    )
    # Each tick may place up to 2,500 calls (2,500/s × a 1-second tick) of 5,000 slots: both
    # processes get work, and together they can take every contact exactly once.
    config = provider_config_get()
    config.calls_per_second, config.max_concurrent_calls = 2500, 5000
    config.sim_failure_rate = 0  # no number rejected at dial time: every attempt stays in flight
    config.save()

    db = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "voicesurvey.settings_test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "SCHEDULER_TICK_SECONDS": "1",
        # The simulated callees queue their first step on the database broker and stay there:
        # the calls remain in flight, which is what this test counts.
        "Q_SYNC": "false",
        "REDIS_URL": "",
        "LOG_LEVEL": "WARNING",
    }
    processes = [scheduler_process(env), scheduler_process(env)]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err
        assert "2500 calls placed" in out, out

    assert CallAttempt.objects.count() == 5000
    per_contact = CallAttempt.objects.values("contact_id").annotate(n=Count("call_id"))
    assert per_contact.count() == 5000
    assert {row["n"] for row in per_contact} == {1}
    assert set(Contact.objects.values_list("state", "attempts_count")) == {("in_progress", 1)}
    runs = SchedulerRun.objects.order_by("started_at")
    assert [r.calls_placed for r in runs] == [2500, 2500]
    assert sorted(r.details["in_flight"] for r in runs) == [0, 2500]  # they took turns

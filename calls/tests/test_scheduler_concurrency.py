"""Two scheduler processes ticking at once over the same 5,000 contacts never dial a contact
twice (docs/architecture.md §10). Real processes (`manage.py run_scheduler --once`) against the test
database, each with its own connection: the row locks do the work, not the test."""

import datetime as dt

import pytest
from django.db.models import Count

from calls.models import CallAttempt, SchedulerRun
from calls.selectors import provider_config_get
from calls.tests.scheduler_processes import postgresql_only, scheduler_env, scheduler_process
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_schedulers_at_once_never_take_the_same_contact():
    postgresql_only("SQLite lets one writer in at a time, so schedulers cannot race there")
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

    env = scheduler_env(SCHEDULER_TICK_SECONDS="1")
    processes = [scheduler_process(env, "--once"), scheduler_process(env, "--once")]
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


@pytest.mark.postgres
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_three_schedulers_at_once_keep_to_one_pace_and_one_concurrency_limit():
    """calls_per_second and max_concurrent_calls are the installation's, not each tick's:
    three ticks dialling at once share them (docs/architecture.md §6.2)."""
    postgresql_only("SQLite lets one writer in at a time, so schedulers cannot race there")
    campaign = CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    Contact.objects.bulk_create(
        Contact(campaign=campaign, phone_number=f"+39347{i:07d}", timezone="Europe/Rome")
        for i in range(100)
    )
    # Each tick may claim 2/s × 5 s = 10 calls; 25 slots in all: the first two ticks to claim
    # get 10 each, the third the 5 left. Alone, a tick would dial its 10 in 4.5 s.
    config = provider_config_get()
    config.calls_per_second, config.max_concurrent_calls = 2, 25
    config.sim_failure_rate = 0
    config.save()

    env = scheduler_env(SCHEDULER_TICK_SECONDS="5")
    processes = [scheduler_process(env, "--once") for _ in range(3)]
    results = [p.communicate(timeout=300) for p in processes]
    for process, (_out, err) in zip(processes, results, strict=True):
        assert process.returncode == 0, err

    runs = list(SchedulerRun.objects.order_by("started_at"))
    assert sorted(r.calls_placed for r in runs) == [5, 10, 10]
    attempts = CallAttempt.objects.all()
    assert attempts.count() == attempts.filter(outcome__isnull=True).count() == 25  # ≤ 25
    dials = sorted(attempts.values_list("dialled_at", "scheduler_run"))
    # The ticks dialled at the same time: each one's dials interleave with another's…
    spans = {
        run.pk: (min(t for t, r in dials if r == run.pk), max(t for t, r in dials if r == run.pk))
        for run in runs
    }
    for pk, (first, last) in spans.items():
        assert any(
            o_first < last and first < o_last for o, (o_first, o_last) in spans.items() if o != pk
        )
    # …and yet no second holds more than two dials of the three: any three dials in a row
    # span a second at least.
    times = [t for t, _ in dials]
    assert all(
        c - a >= dt.timedelta(seconds=1)
        for a, _, c in zip(times, times[1:], times[2:], strict=False)
    )

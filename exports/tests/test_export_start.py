"""export_start: one job in flight per campaign, queued once the transaction commits."""

from __future__ import annotations

import threading

import pytest
from django.conf import settings
from django.db import connection, transaction

from campaigns.tests.factories import CampaignFactory
from exports.models import ExportJob, ExportStatus
from exports.services import export_start
from exports.tests.factories import ExportJobFactory
from voicesurvey.models import AuditLog


@pytest.mark.django_db
def test_start_creates_a_pending_job_and_runs_it_after_commit(
    manager_user, every_state, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        job, created = export_start(campaign=every_state.campaign, actor=manager_user)
        # Nothing runs before the transaction commits: a worker could not see the job yet.
        assert job.status == ExportStatus.PENDING
        assert ExportJob.objects.get().status == ExportStatus.PENDING

    assert created
    assert len(callbacks) == 1
    job.refresh_from_db()
    assert job.status == ExportStatus.COMPLETED
    assert job.total_records == 5
    assert job.requested_by == manager_user
    assert job.queued_at is not None
    entry = AuditLog.objects.get(action="export.start")
    assert entry.actor == manager_user
    assert entry.object_id == str(job.pk)
    assert entry.details == {"campaign_id": str(every_state.campaign.pk), "format": "csv"}


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ExportStatus.PENDING, ExportStatus.PROCESSING])
def test_a_job_in_flight_is_returned_instead_of_a_new_one(
    manager_user, status, django_capture_on_commit_callbacks
):
    running = ExportJobFactory(status=status)

    with django_capture_on_commit_callbacks() as callbacks:
        job, created = export_start(campaign=running.campaign, actor=manager_user)

    assert (job, created) == (running, False)
    assert callbacks == []  # nothing queued twice
    assert ExportJob.objects.count() == 1
    assert not AuditLog.objects.filter(action="export.start").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("status", [ExportStatus.COMPLETED, ExportStatus.FAILED])
def test_a_finished_job_does_not_stop_a_new_one(manager_user, status):
    finished = ExportJobFactory(status=status)
    job, created = export_start(campaign=finished.campaign, actor=manager_user, enqueue=False)
    assert created
    assert job != finished
    assert job.status == ExportStatus.PENDING


@pytest.mark.django_db
def test_jobs_of_other_campaigns_do_not_count(manager_user):
    ExportJobFactory(status=ExportStatus.PROCESSING)
    job, created = export_start(campaign=CampaignFactory(), actor=manager_user, enqueue=False)
    assert created


@pytest.mark.postgres
@pytest.mark.skipif(
    "sqlite" in settings.DATABASES["default"]["ENGINE"],
    reason="SQLite's in-memory test database locks whole tables between threads, so the race "
    "cannot happen there; the constraint itself is tested in voicesurvey/tests/test_constraints",
)
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_starts_share_one_job(manager_user):
    """Two requests racing: the first holds its new job uncommitted while the second looks.
    The partial unique constraint stops the second insert; it returns the first's job."""
    campaign = CampaignFactory()
    first_inserted, release_first = threading.Event(), threading.Event()
    results, errors = {}, []

    def first():
        try:
            with transaction.atomic():
                # Not queued: a finished job would let the second start a new one.
                results["first"] = export_start(
                    campaign=campaign, actor=manager_user, enqueue=False
                )
                first_inserted.set()
                release_first.wait(10)
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            first_inserted.set()
            connection.close()

    def second():
        try:
            results["second"] = export_start(campaign=campaign, actor=manager_user)
        except Exception as exc:
            errors.append(exc)
        finally:
            connection.close()

    one = threading.Thread(target=first)
    one.start()
    assert first_inserted.wait(10)
    two = threading.Thread(target=second)
    two.start()
    two.join(0.5)  # the second is now waiting on the first's insert (PostgreSQL)
    release_first.set()
    one.join(10)
    two.join(10)

    assert errors == []
    (first_job, first_created), (second_job, second_created) = results["first"], results["second"]
    assert first_created
    assert not second_created
    assert second_job.pk == first_job.pk
    assert ExportJob.objects.filter(campaign=campaign).count() == 1

"""A worker killed with SIGKILL in the middle of an export (docs/architecture.md §5, export job):
its job is queued again by the reaper as soon as the worker's heartbeat stops — not after the
task timeout — and another worker finishes it. Real processes: `manage.py qcluster` on the bulk
queue against the test database, the job started and reaped in this process.

The worker is held mid-export deterministically: this test locks the contacts table, so the
export's read of it waits (after the claim, with the heartbeat beating), until the kill."""

from __future__ import annotations

import psycopg
import pytest
from django_q.brokers import get_broker
from django_q.conf import Conf

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from exports.models import ExportJob, ExportStatus
from exports.services import export_reap_stale, export_start
from exports.tests.conftest import bulk_contacts, read_csv, stored_file
from voicesurvey.models import AuditLog
from voicesurvey.tests.cluster_support import (
    cluster_kill,
    cluster_start,
    database_url,
    needs_postgresql,
    wait_for,
)

HEARTBEAT_SECONDS = "0.5"


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_job_whose_worker_is_killed_is_queued_again_and_finished(
    settings, monkeypatch, local_storage, tmp_path
):
    needs_postgresql()
    settings.EXPORT_HEARTBEAT_SECONDS = float(HEARTBEAT_SECONDS)
    monkeypatch.setattr(Conf, "SYNC", False)  # queue for real, for the cluster
    get_broker(settings.Q_BULK_CLUSTER).purge_queue()
    campaign = CampaignFactory(status="running")
    bulk_contacts(campaign, 50, state=ContactState.COMPLETED)
    log = tmp_path / "qcluster.log"

    def bulk_cluster():
        return cluster_start(
            log=log,
            queue=settings.Q_BULK_CLUSTER,
            MEDIA_ROOT=str(local_storage),
            EXPORT_HEARTBEAT_SECONDS=HEARTBEAT_SECONDS,
        )

    lock = psycopg.connect(database_url().replace("postgres://", "postgresql://"))
    clusters = []
    try:
        lock.execute("LOCK TABLE contacts_contact IN ACCESS EXCLUSIVE MODE")
        clusters.append(bulk_cluster())
        job: ExportJob = export_start(campaign=campaign, actor=None)[0]

        def beating():
            job.refresh_from_db()
            return job.status == ExportStatus.PROCESSING and job.heartbeat_at > job.started_at

        wait_for(beating, "the worker to claim the job and beat while it waits", log)
        cluster_kill(clusters[0])

        # Nothing beats any more: three beats later the reaper takes the job back.
        wait_for(lambda: export_reap_stale().requeued, "the reaper to queue the job again", log)
        job.refresh_from_db()
        assert (job.status, job.attempts) == (ExportStatus.PENDING, 1)
        assert AuditLog.objects.filter(action="export.requeue", object_id=str(job.pk)).exists()

        lock.rollback()  # the export's read may go on now
        clusters.append(bulk_cluster())

        def finished():
            job.refresh_from_db()
            return job.status in (ExportStatus.COMPLETED, ExportStatus.FAILED)

        wait_for(finished, "another worker to finish the job", log)
    finally:
        lock.close()
        for cluster in clusters:
            cluster_kill(cluster)
    assert job.status == ExportStatus.COMPLETED, job.error_message
    assert job.attempts == 2
    assert len(read_csv(stored_file(job))) == 1 + 50

"""Two queues (docs/operations.md): the periodic work (the scheduler's tick, reconciliation,
emails…) runs on the default queue, and bulk work (exports, the simulator's callee steps) on
its own, so that a backlog of bulk work never delays a tick. Real processes: a default cluster
(`manage.py qcluster`) works through every periodic task while a backlog of exports and callee
steps waits, untouched, on the bulk queue."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.models import Success
from django_q.scheduler import scheduler

from calls.telephony.simulator import callees_enqueue
from campaigns.tests.factories import CampaignFactory
from exports.services import export_start
from voicesurvey.task_policy import PERIODIC_TASKS
from voicesurvey.tests.cluster_support import (
    cluster_kill,
    cluster_start,
    needs_postgresql,
    wait_for,
)

BACKLOG = 15


@pytest.mark.slow
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_backlog_of_bulk_work_does_not_hold_up_the_periodic_tasks(
    settings, monkeypatch, tmp_path
):
    needs_postgresql()
    monkeypatch.setattr(Conf, "SYNC", False)  # queue for real, for the cluster
    default_queue, bulk_queue = get_broker(), get_broker(settings.Q_BULK_CLUSTER)
    for queue in (default_queue, bulk_queue):
        queue.purge_queue()

    # The backlog, queued as the product queues it: exports, and a tick's simulated callees.
    for _ in range(BACKLOG):
        export_start(campaign=CampaignFactory(status="completed"), actor=None)
    callees_enqueue([{"call_id": f"call-{i}", "action": "initiated"} for i in range(BACKLOG)])
    # Then every periodic task falls due, as django-q2's scheduler queues them.
    call_command("setup_schedules", verbosity=0)
    scheduler(broker=default_queue)
    assert bulk_queue.queue_size() == 2 * BACKLOG
    assert default_queue.queue_size() == len(PERIODIC_TASKS)

    log = tmp_path / "qcluster.log"
    cluster = cluster_start(log=log)  # the default queue's cluster only
    try:
        periodic = {func for _name, func, _minutes in PERIODIC_TASKS}

        def all_ran():
            return set(Success.objects.values_list("func", flat=True)) >= periodic

        wait_for(all_ran, "the periodic tasks to run", log)
    finally:
        cluster_kill(cluster)
    # Not one of them went first, or at all: they are the bulk cluster's.
    assert bulk_queue.queue_size() == 2 * BACKLOG
    assert set(Success.objects.values_list("func", flat=True)) == periodic

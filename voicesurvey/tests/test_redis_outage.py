"""Redis stopped or frozen (docs/operations.md): requests that queue work or read statistics
still answer. A Redis server of the test's own (never the machine's shared one) is stopped
(connections refused) or frozen with SIGSTOP (connections open, no answers: the case that used
to hold requests for 5 s per command), with the product configured for it as REDIS_URL would.

No timing thresholds here: the clients are checked for their short timeouts, and each request
for its answer, under a hang guard far above any of them."""

from __future__ import annotations

import contextlib
import datetime as dt
import signal

import pytest
import redis
from django.core.cache import caches
from django_q.brokers import get_broker
from django_q.conf import Conf
from django_q.signing import SignedPackage

from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from exports.models import ExportJob, ExportStatus
from exports.services import EXPORT_REQUEUE_PENDING_AFTER, export_reap_stale
from exports.tasks import export_generate_task
from voicesurvey import redis_clients
from voicesurvey.redis_clients import DEQUEUE_WAIT_SECONDS, RedisBroker
from voicesurvey.tests.redis_support import OwnRedis, product_settings

HANG_GUARD_SECONDS = 15


@contextlib.contextmanager
def hang_guard(seconds: int = HANG_GUARD_SECONDS):
    """Fail, rather than hang the suite, if the block does not end within `seconds`."""

    def give_up(signum, frame):
        raise TimeoutError(f"still waiting after {seconds} s")

    previous = signal.signal(signal.SIGALRM, give_up)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)


def _configure(settings, monkeypatch, redis_url: str, **environment: str) -> dict:
    """Point this process's cache and task broker at `redis_url`, as the product configures
    them for REDIS_URL (and `environment`), with tasks queued for real (not run inline)."""
    product = product_settings(monkeypatch, REDIS_URL=redis_url, **environment)
    settings.CACHES = product["CACHES"]
    for name in (
        "REDIS_SOCKET_TIMEOUT_SECONDS",
        "REDIS_CONNECT_TIMEOUT_SECONDS",
        "REDIS_RETRY_AFTER_SECONDS",
    ):
        setattr(settings, name, product[name])
    q_cluster = product["Q_CLUSTER"]
    monkeypatch.setattr(Conf, "ORM", None)
    monkeypatch.setattr(Conf, "REDIS", q_cluster["redis"])
    monkeypatch.setattr(Conf, "BROKER_CLASS", q_cluster["broker_class"])
    monkeypatch.setattr(Conf, "SYNC", False)
    return product


def _outage_forgotten() -> None:
    """As REDIS_RETRY_AFTER_SECONDS later: this process tries Redis again."""
    redis_clients.forget_outages()


@pytest.fixture
def own_redis(settings, monkeypatch):
    server = OwnRedis()
    _configure(settings, monkeypatch, server.url())
    yield server
    server.stop()
    _outage_forgotten()


def test_cache_and_broker_clients_give_up_after_the_configured_timeouts(settings, monkeypatch):
    product = _configure(
        settings,
        monkeypatch,
        "redis://127.0.0.1:6399/3",  # never connected to: pools connect on first use
        REDIS_SOCKET_TIMEOUT_SECONDS="0.5",
        REDIS_CONNECT_TIMEOUT_SECONDS="0.25",
    )
    assert product["Q_CLUSTER"]["broker_class"] == "voicesurvey.redis_clients.RedisBroker"

    cache_connection = caches["default"].client.get_client().connection_pool.connection_kwargs
    assert (cache_connection["socket_timeout"], cache_connection["socket_connect_timeout"]) == (
        0.5,
        0.25,
    )
    broker = get_broker()
    assert isinstance(broker, RedisBroker)
    broker_connection = broker.connection.connection_pool.connection_kwargs
    assert (broker_connection["socket_timeout"], broker_connection["socket_connect_timeout"]) == (
        0.5,
        0.25,
    )


def test_the_defaults_are_one_second(settings, monkeypatch):
    product = product_settings(monkeypatch, REDIS_URL="redis://127.0.0.1:6399/3")
    options = product["CACHES"]["default"]["OPTIONS"]
    assert (options["SOCKET_TIMEOUT"], options["SOCKET_CONNECT_TIMEOUT"]) == (1.0, 1.0)
    assert product["REDIS_SOCKET_TIMEOUT_SECONDS"] == 1.0


def test_after_one_command_finds_redis_frozen_the_next_ones_fail_at_once(own_redis):
    cache = caches["default"]
    cache.set("figures", 1)
    own_redis.freeze()
    assert cache.get("figures") is None  # a miss: it timed out
    own_redis.thaw()
    # Redis answers again, but this process does not ask it yet: another miss, at once.
    assert cache.get("figures") is None
    with pytest.raises(redis.ConnectionError, match="not tried again yet"):
        get_broker().enqueue("a task")
    assert own_redis.client().llen("django_q:voicesurvey:q") == 0
    _outage_forgotten()
    assert cache.get("figures") == 1


def test_the_cluster_polls_an_empty_queue_without_timing_out(own_redis, settings):
    """The pusher's BLPOP waits on the server longer than the short timeout: it has its own
    connection, or every empty poll would be an error (and could lose a task)."""
    settings.REDIS_SOCKET_TIMEOUT_SECONDS = 0.2
    broker = RedisBroker(list_key="outage-test")
    assert broker.dequeue() is None  # waited DEQUEUE_WAIT_SECONDS on the server, no error
    broker.enqueue("a task")
    assert broker.dequeue() == [(None, b"a task")]
    blocking = broker._blocking.connection_pool.connection_kwargs
    assert blocking["socket_timeout"] > DEQUEUE_WAIT_SECONDS


@pytest.mark.parametrize("outage", ["frozen", "stopped"])
@pytest.mark.django_db(transaction=True)
def test_an_export_started_while_the_broker_is_down_is_queued_once_it_is_back(
    own_redis, manager_api, outage
):
    campaign = CampaignFactory(status="running")
    if outage == "frozen":
        own_redis.freeze()
    else:
        own_redis.stop()

    with hang_guard():
        response = manager_api.post(f"/api/campaigns/{campaign.pk}/exports")

    # Committed and answered; the task could not be queued, so the job waits for the reaper.
    assert response.status_code == 202, response.content
    job = ExportJob.objects.get()
    assert (str(job.pk), job.status) == (response.json()["job_id"], ExportStatus.PENDING)

    if outage == "frozen":
        own_redis.thaw()
        assert own_redis.client().llen("django_q:voicesurvey-bulk:q") == 0  # nothing got in
    else:
        own_redis = OwnRedis(port=own_redis.port)
    _outage_forgotten()
    try:
        with hang_guard():
            reaped = export_reap_stale(
                now=job.queued_at + EXPORT_REQUEUE_PENDING_AFTER + dt.timedelta(seconds=1)
            )
        assert reaped.requeued == 1
        # Queued again, on the bulk queue, for a worker to take: here this test is the worker.
        queued = RedisBroker(list_key="voicesurvey-bulk").dequeue()
        assert queued is not None
        task = SignedPackage.loads(queued[0][1])
        assert (task["func"], task["args"]) == (
            "exports.tasks.export_generate_task",
            (str(job.pk),),
        )
        export_generate_task(*task["args"])
        job.refresh_from_db()
        assert job.status == ExportStatus.COMPLETED
    finally:
        own_redis.stop()


@pytest.fixture
def some_figures():
    campaign = CampaignFactory(status="running")
    for outcome in (None, "completed", "failed"):
        CallAttemptFactory(campaign=campaign, contact__campaign=campaign, outcome=outcome)
    SchedulerRunFactory(calls_placed=3)
    return campaign


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url",
    [
        "/api/campaigns/{campaign}/stats",
        "/campaigns/{campaign}",
        "/dashboard/system",
        "/api/dashboard/stats/overview",
        "/api/dashboard/stats/orchestrator",
    ],
)
def test_dashboards_answer_while_redis_is_frozen(own_redis, client, admin_user, some_figures, url):
    client.force_login(admin_user)
    own_redis.freeze()
    with hang_guard():
        response = client.get(url.format(campaign=some_figures.pk))
    assert response.status_code == 200, response.content
    if url.endswith("orchestrator"):
        assert response.json()["active_workers"] is None  # the broker could not be asked

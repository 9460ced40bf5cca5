"""Webhooks delivered in any order (docs/architecture.md §10): a simulated campaign's calls
are recorded as the provider would send them, then delivered again, shuffled, as real requests
through Django's test client — final statuses before "answered", "answered" after the end,
the dialogue's first request after the call is over. Whatever the order, every figure agrees:
the calls that were answered have their answer time and are not "no answer", the statistics
equal a recount from the attempts, and the calls given back after a provider outage are no
attempts at all.

Only the order of the provider's events is shuffled, not the dialogue's own: each of its
requests answers the prompt before it, so a call's dialogue requests keep their order (they
may still come before, between or after its status events)."""

from __future__ import annotations

import collections
import datetime as dt
import random

import pytest
from django.db import transaction
from django.utils import timezone

import calls.callee
from calls.callee import callee_run_inline
from calls.models import CallAttempt, CallOutcome
from calls.scheduler import scheduler_tick
from calls.selectors import provider_config_get
from calls.stats_buckets import GIVEN_BACK_ERROR_CODES
from calls.telephony.simulator import SIGNATURE_HEADER, SimulatorProvider
from calls.tests.test_call_stats_consistency import (
    assert_buckets_are_the_rebuild,
    assert_campaign_stats_match_the_rows,
    assert_system_figures_match_the_rows,
)
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from dashboard.selectors import campaign_stats

pytestmark = pytest.mark.django_db

CONTACTS = 120
# Calls last minutes on the simulated clock; read the figures well after.
LATER = dt.timedelta(hours=1)


class _Recorded(Exception):
    """Rolls back the recording run."""


def record_calls(first_steps: list[dict], monkeypatch) -> list[tuple[str, str, object]]:
    """Run each call to its end as the provider would (the simulated callee, answering our
    dialogue), recording every webhook request it sends: (call id, kind, request). Then roll
    all of it back, leaving the calls in flight, as they were when the provider took them."""
    sent = []
    deliver = calls.callee.webhook_receive

    def record(*, provider_name, kind, call_id, request):
        sent.append((call_id, kind, request))
        return deliver(provider_name=provider_name, kind=kind, call_id=call_id, request=request)

    monkeypatch.setattr(calls.callee, "webhook_receive", record)
    try:
        with transaction.atomic():
            for step in first_steps:
                callee_run_inline(step)
            raise _Recorded
    except _Recorded:
        pass
    monkeypatch.setattr(calls.callee, "webhook_receive", deliver)
    return sent


def shuffled(sent: list, rng: random.Random) -> list:
    """Every request in a random order, but each call's dialogue requests in theirs."""
    order = list(range(len(sent)))
    rng.shuffle(order)
    dialogues = collections.defaultdict(collections.deque)
    for call_id, kind, request in sent:
        if kind == "dialogue":
            dialogues[call_id].append(request)
    delivered = []
    for index in order:
        call_id, kind, request = sent[index]
        if kind == "dialogue":
            request = dialogues[call_id].popleft()  # the next of this call's, wherever it falls
        delivered.append((call_id, kind, request))
    return delivered


@pytest.mark.parametrize("seed", [3, 12])
def test_every_figure_agrees_whatever_order_the_webhooks_come_in(client, monkeypatch, seed):
    config = provider_config_get()
    config.calls_per_second, config.max_concurrent_calls = 1000, 1000
    config.sim_answer_rate, config.sim_busy_rate = 0.75, 0.1
    config.sim_no_answer_rate, config.sim_failure_rate, config.sim_consent_rate = 0.1, 0.05, 0.8
    config.sim_unavailable = True  # the first tick finds the provider down
    config.save()
    campaign = CampaignFactory(
        status="running",
        max_attempts=3,
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    for _ in range(CONTACTS):
        ContactFactory(campaign=campaign)
    now = timezone.now()

    outage = scheduler_tick(now=now, provider=SimulatorProvider())
    assert outage.calls_placed == 0
    given_back = CallAttempt.objects.filter(error_code__in=GIVEN_BACK_ERROR_CODES)
    assert given_back.count() == CONTACTS

    config.sim_unavailable, config.dialling_paused_until = False, None
    config.save()
    first_steps = []
    run = scheduler_tick(
        now=now + dt.timedelta(minutes=1),
        provider=SimulatorProvider(run_callee=first_steps.append),  # placed, not yet run
    )
    assert run.calls_placed == len(first_steps) > 0.9 * CONTACTS
    sent = record_calls(first_steps, monkeypatch)
    answered = {
        call_id
        for call_id, kind, request in sent
        if kind == "status" and b'"status": "answered"' in request.body
    }
    assert len(answered) > CONTACTS // 2

    for _call_id, _kind, request in shuffled(sent, random.Random(seed)):
        response = client.post(
            request.path,
            data=request.body,
            content_type="application/json",
            headers={SIGNATURE_HEADER: request.header(SIGNATURE_HEADER)},
        )
        assert response.status_code == 200, response.content

    placed = CallAttempt.objects.exclude(error_code__in=GIVEN_BACK_ERROR_CODES)
    assert not placed.filter(outcome__isnull=True).exists()
    for attempt in placed.filter(pk__in=answered):
        assert attempt.answered_at is not None, attempt.outcome
        assert attempt.answered_at <= attempt.ended_at
        assert attempt.outcome != CallOutcome.NO_ANSWER
        # Busy after an answer only when the callee asked to be called later.
        if attempt.outcome == CallOutcome.BUSY:
            assert attempt.error_code == "callback_requested"
    assert not placed.exclude(pk__in=answered).filter(answered_at__isnull=False).exists()

    assert_buckets_are_the_rebuild()
    stats = assert_campaign_stats_match_the_rows(campaign, now=now + LATER)
    assert_system_figures_match_the_rows()
    # The calls given back are not attempts, failed or otherwise.
    outcomes = collections.Counter(placed.values_list("outcome", flat=True))
    assert stats["call_outcomes"]["total_attempts"] == placed.count()
    assert stats["call_outcomes"]["failed"] == outcomes[CallOutcome.FAILED]
    unseries = campaign_stats(campaign=campaign, include_time_series=False)
    assert unseries["call_outcomes"] == stats["call_outcomes"]

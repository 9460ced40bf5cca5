"""Fixtures of the calls tests: a provider configuration that dials fast, a campaign that is
open around the clock, a stand-in for the telephone network, and signed webhook requests."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from calls.selectors import provider_config_get
from calls.telephony.base import CallRejected, TelephonyProvider
from calls.telephony.simulator import SIGNATURE_HEADER, sign
from campaigns.tests.factories import CampaignFactory

ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]


@pytest.fixture
def provider_config(db):
    """Ten calls at a time, dialled without pacing (1,000 a second)."""
    config = provider_config_get()
    config.calls_per_second = 1000
    config.max_concurrent_calls = 10
    config.save()
    return config


@pytest.fixture
def open_campaign(db):
    """A running campaign whose window is open at any hour of any day."""
    return CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=ALL_DAYS,
    )


class NetworkStandIn(TelephonyProvider):
    """The telephone network, stood in for where a test is about who gets dialled, not about
    the call: records each call, rejects the numbers it is told to, and never calls back."""

    name = "simulator"

    def __init__(self, reject=()):
        super().__init__()
        self.calls = []
        self.reject = set(reject)

    def start_call(self, call):
        if call.to in self.reject:
            raise CallRejected("unreachable", code="unreachable")
        self.calls.append(call)
        return f"NET-{len(self.calls)}"

    @property
    def dialled(self):
        return [c.to for c in self.calls]


@pytest.fixture
def network(db):
    return NetworkStandIn()


def simulator_url(call_id, kind="status"):
    name = "telephony_webhook_status" if kind == "status" else "telephony_webhook_dialogue"
    return reverse(name, kwargs={"provider": "simulator", "call_id": str(call_id)})


@pytest.fixture
def post_simulator(client):
    """POST a simulator webhook, signed unless `signature` says otherwise."""

    def post(call_id, data, *, kind="status", signature=None, body=None):
        body = body if body is not None else json.dumps({"call_id": str(call_id), **data}).encode()
        headers = {}
        if signature is None:
            headers[SIGNATURE_HEADER] = sign(body)
        elif signature:
            headers[SIGNATURE_HEADER] = signature
        return client.post(
            simulator_url(call_id, kind),
            data=body,
            content_type="application/json",
            headers=headers,
        )

    return post

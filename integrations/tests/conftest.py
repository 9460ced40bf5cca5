"""Fixtures of the webhook tests: a real HTTP receiver on loopback that verifies each request
with the Standard Webhooks library, and a subscription pointing at it (loopback allowed by
WEBHOOK_ALLOWED_HOSTS, as an administrator would)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from integrations.addresses import guarded_session
from integrations.receiver import Receiver
from integrations.services import webhook_secret_generate, webhook_subscription_create

ALL_TYPES = [
    "survey.completed",
    "survey.refused",
    "contact.not_reached",
    "contact.callback_requested",
    "campaign.status_changed",
    "export.completed",
    "export.failed",
]


@pytest.fixture
def allow_loopback(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]


@pytest.fixture
def secret():
    return webhook_secret_generate()


@pytest.fixture
def receiver(secret):
    with Receiver(secret=secret) as server:
        yield server


@pytest.fixture
def make_subscription(db, allow_loopback, receiver):
    def make(**fields):
        fields.setdefault("url", receiver.url)
        fields.setdefault("event_types", ALL_TYPES)
        subscription, secret = webhook_subscription_create(actor=None, fields=fields)
        # The receiver verifies with its own secret: give the subscription that one.
        subscription.secret = receiver.webhook_secret
        subscription.save(update_fields=["secret"])
        # Events dated from an hour ago on count (tests date their events freely).
        subscription.created_at = timezone.now() - dt.timedelta(hours=1)
        subscription.save(update_fields=["created_at"])
        return subscription

    return make


@pytest.fixture
def session():
    with guarded_session() as s:
        yield s

"""The event sources besides the outcome outbox: campaign status changes (the audit log),
finished exports and callbacks, each sent once to the subscriptions that asked for them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from calls.outcomes import CALLBACK_REQUESTED
from calls.tests.factories import CallAttemptFactory, SurveyEventFactory
from campaigns.models import CampaignStatus
from campaigns.services import campaign_pause
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from exports.models import ExportStatus
from exports.tests.factories import ExportJobFactory
from integrations.delivery import webhooks_drain
from integrations.fanout import webhook_events_fan_out
from integrations.models import WebhookDelivery
from integrations.services import webhook_subscription_disable, webhook_subscription_update

pytestmark = pytest.mark.django_db


def _bodies(receiver):
    return [event for _headers, event in receiver.received]


def test_a_campaign_status_change_is_sent_once(make_subscription, receiver, session, manager_user):
    campaign = CampaignFactory(status=CampaignStatus.RUNNING)
    make_subscription(event_types=["campaign.status_changed"])
    campaign_pause(campaign=campaign, actor=manager_user)
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    [body] = _bodies(receiver)
    assert body["type"] == "campaign.status_changed"
    data = body["data"]
    assert data["campaign"] == {"id": str(campaign.pk), "name": campaign.name}
    assert (data["action"], data["from"], data["to"], data["by"]) == (
        "pause",
        "running",
        "paused",
        manager_user.username,
    )


def test_finished_exports_are_sent(make_subscription, receiver, session):
    now = timezone.now()
    done = ExportJobFactory(status=ExportStatus.COMPLETED, completed_at=now, total_records=12)
    failed = ExportJobFactory(
        status=ExportStatus.FAILED, completed_at=now, error_message="Storage unavailable."
    )
    ExportJobFactory(status=ExportStatus.PROCESSING)  # not finished: nothing
    make_subscription(event_types=["export.completed", "export.failed"])
    webhooks_drain(now=now, session=session, time_budget_seconds=10)
    bodies = {b["type"]: b["data"] for b in _bodies(receiver)}
    assert set(bodies) == {"export.completed", "export.failed"}
    assert bodies["export.completed"]["export"]["id"] == str(done.pk)
    assert bodies["export.completed"]["export"]["total_records"] == 12
    assert bodies["export.failed"]["export"]["id"] == str(failed.pk)
    assert bodies["export.failed"]["export"]["error_message"] == "Storage unavailable."


def test_a_callback_request_is_sent(make_subscription, receiver, session):
    campaign = CampaignFactory(status=CampaignStatus.RUNNING)
    contact = ContactFactory(campaign=campaign)
    now = timezone.now()
    CallAttemptFactory(
        contact=contact,
        outcome="busy",
        error_code=CALLBACK_REQUESTED,
        started_at=now - dt.timedelta(minutes=2),
        ended_at=now - dt.timedelta(minutes=1),
    )
    CallAttemptFactory(  # an ordinary busy line: no event
        contact=ContactFactory(campaign=campaign),
        outcome="busy",
        started_at=now - dt.timedelta(minutes=2),
        ended_at=now - dt.timedelta(minutes=1),
    )
    make_subscription(event_types=["contact.callback_requested"])
    webhooks_drain(now=now, session=session, time_budget_seconds=10)
    [body] = _bodies(receiver)
    assert body["type"] == "contact.callback_requested"
    assert body["data"]["contact"]["id"] == str(contact.pk)


def test_only_the_types_and_campaign_subscribed_are_sent(make_subscription, receiver):
    mine, other = CampaignFactory(), CampaignFactory()
    make_subscription(campaign=mine, event_types=["survey.refused"])
    now = timezone.now()
    SurveyEventFactory(contact=ContactFactory(campaign=mine), type="survey.refused", created_at=now)
    SurveyEventFactory(
        contact=ContactFactory(campaign=mine), type="survey.completed", created_at=now
    )
    SurveyEventFactory(
        contact=ContactFactory(campaign=other), type="survey.refused", created_at=now
    )
    assert webhook_events_fan_out(now=now) == 1
    assert WebhookDelivery.objects.get().event_type == "survey.refused"


def test_an_event_committed_late_behind_the_cursor_is_still_sent(make_subscription):
    make_subscription(event_types=["survey.completed"])
    now = timezone.now()
    SurveyEventFactory(created_at=now)
    assert webhook_events_fan_out(now=now) == 1
    # A transaction that began earlier commits its event after the fan-out read past it.
    SurveyEventFactory(created_at=now - dt.timedelta(seconds=30))
    assert webhook_events_fan_out(now=now + dt.timedelta(seconds=5)) == 1
    assert WebhookDelivery.objects.count() == 2


def test_erasing_a_contact_deletes_its_deliveries(make_subscription):
    make_subscription(event_types=["survey.completed"], include_phone_numbers=True)
    contact = ContactFactory()
    SurveyEventFactory(contact=contact, created_at=timezone.now())
    webhook_events_fan_out(now=timezone.now())
    assert WebhookDelivery.objects.filter(contact=contact).count() == 1
    contact.delete()
    assert not WebhookDelivery.objects.exists()


def test_a_disabled_subscription_misses_nothing_once_enabled(make_subscription, receiver, session):
    subscription = make_subscription(event_types=["survey.completed"])
    webhook_subscription_disable(
        subscription=subscription, reason="test", actor=None, now=timezone.now()
    )
    SurveyEventFactory(created_at=timezone.now())
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    assert receiver.received == []
    webhook_subscription_update(subscription=subscription, actor=None, fields={"is_active": True})
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    assert len(receiver.received) == 1

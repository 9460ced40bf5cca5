"""Outbound webhooks end to end, against a real receiver on loopback that verifies every
request with the Standard Webhooks library: exactly once per event, retries, outages, the
same webhook-id on every copy, order per contact, disabling."""

from __future__ import annotations

import collections
import datetime as dt

import pytest
from django.utils import timezone

from calls.models import SurveyEvent
from calls.selectors import provider_config_get
from calls.simulation import campaign_simulate
from calls.tests.factories import SurveyEventFactory
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from integrations.delivery import webhook_deliveries_claim, webhook_deliveries_send, webhooks_drain
from integrations.fanout import webhook_events_fan_out
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.receiver import Receiver
from integrations.services import webhook_deliveries_redeliver
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]


def _event(contact, *, at, type="survey.completed", answers=None):
    return SurveyEventFactory(
        contact=contact,
        type=type,
        created_at=at,
        payload={"outcome": type.split(".")[1], "attempts": 1, "answers": answers or {}},
    )


def _drain(now, session, **kwargs):
    return webhooks_drain(now=now, session=session, time_budget_seconds=30, **kwargs)


@pytest.mark.slow
def test_a_simulated_campaign_delivers_exactly_one_signed_event_per_outcome(
    make_subscription, receiver, session
):
    config = provider_config_get()
    config.calls_per_second, config.max_concurrent_calls = 1000, 10
    config.save()
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=ALL_DAYS,
        max_attempts=2,
        retry_interval_minutes=5,
    )
    for i in range(30):
        ContactFactory(campaign=campaign, attributes={"segment": f"s{i % 3}"})
    make_subscription(campaign=campaign)

    campaign_simulate(campaign=campaign)
    summary = _drain(timezone.now(), session)

    events = SurveyEvent.objects.filter(campaign=campaign)
    by_type = collections.Counter(e.type for e in events)
    assert sum(by_type.values()) == 30  # every contact ended: one outcome each
    assert receiver.rejected == 0  # every request verified
    bodies = [event for _headers, event in receiver.received]
    survey = [
        b
        for b in bodies
        if b["type"] in ("survey.completed", "survey.refused", "contact.not_reached")
    ]
    assert collections.Counter(b["type"] for b in survey) == {
        "survey.completed": by_type["survey.completed"],
        "survey.refused": by_type["survey.refused"],
        "contact.not_reached": by_type["survey.not_reached"],
    }
    # Exactly one per outcome event: no event twice, none missing.
    assert sorted(b["data"]["event_id"] for b in survey) == sorted(str(e.pk) for e in events)
    status_changes = AuditLog.objects.filter(
        object_id=str(campaign.pk), action__startswith="campaign."
    ).exclude(action__in=["campaign.create", "campaign.update"])
    assert (
        len([b for b in bodies if b["type"] == "campaign.status_changed"]) == status_changes.count()
    )
    assert summary.sent.delivered == len(bodies)
    assert len({h["webhook-id"] for h, _ in receiver.received}) == len(bodies)

    completed = next(b for b in survey if b["type"] == "survey.completed")
    assert completed["version"] == 1
    data = completed["data"]
    assert data["campaign"] == {"id": str(campaign.pk), "name": campaign.name}
    assert data["answers"]
    assert set(data["answers"]) <= {"q1", "q2", "q3"}
    assert data["contact"]["attributes"]["segment"].startswith("s")
    assert data["contact"]["external_id"].startswith("EXT-")
    assert "phone_number" not in data["contact"]  # no opt-in
    assert data["outcome"] == "completed"

    # Draining again sends nothing more.
    assert _drain(timezone.now(), session).sent.claimed == 0
    assert len(receiver.received) == len(bodies)


def test_phone_numbers_only_with_the_opt_in(make_subscription, receiver, session):
    contact = ContactFactory()
    make_subscription(include_phone_numbers=True)
    _event(contact, at=timezone.now())
    _drain(timezone.now(), session)
    [(_headers, body)] = receiver.received
    assert body["data"]["contact"]["phone_number"] == contact.phone_number


def test_answers_are_sent_by_question_key(make_subscription, receiver, session):
    campaign = CampaignFactory(
        questions=[
            {"key": "satisfaction", "type": "scale", "text": {"en": "How?"}, "min": 1, "max": 10},
            {"key": "recommend", "type": "yes_no", "text": {"en": "Would you?"}},
        ]
    )
    contact = ContactFactory(campaign=campaign)
    make_subscription()
    _event(
        contact,
        at=timezone.now(),
        answers={"satisfaction": "9", "q1": "9", "recommend": "yes", "q2": "yes"},
    )
    _drain(timezone.now(), session)
    [(_headers, body)] = receiver.received
    assert body["data"]["answers"] == {"satisfaction": "9", "recommend": "yes"}


def test_500_then_200_delivers_each_event_once_after_retries(make_subscription, receiver, session):
    make_subscription()
    now = timezone.now()
    contacts = [ContactFactory() for _ in range(5)]
    for i, contact in enumerate(contacts):
        _event(contact, at=now - dt.timedelta(seconds=10 - i))
    receiver.statuses = [500, 500]

    first = _drain(now, session)
    # The first attempt fails; the subscription is left alone until its back-off ends.
    assert (first.sent.retried, first.sent.delivered) == (1, 0)
    assert _drain(now + dt.timedelta(seconds=10), session).sent.claimed == 0
    second = _drain(now + dt.timedelta(seconds=31), session)
    assert second.sent.retried == 1  # the second 500, then a longer wait (1 min)
    third = _drain(now + dt.timedelta(seconds=31 + 61), session)
    assert third.sent.delivered == 5

    ids = [event["data"]["event_id"] for _h, event in receiver.received]
    assert len(ids) == len(set(ids)) == 5
    retried = WebhookDelivery.objects.get(attempts=3)
    assert (retried.status, retried.response_code) == (DeliveryStatus.DELIVERED, 200)
    assert retried.latency_ms is not None
    assert retried.response_excerpt == '{"ok": true}'


def test_receiver_down_then_up_loses_nothing(make_subscription, receiver, secret, session):
    subscription = make_subscription()
    port = receiver.port
    receiver.stop()  # down: connections refused
    now = timezone.now()
    contacts = [ContactFactory() for _ in range(4)]
    for i, contact in enumerate(contacts):
        _event(contact, at=now - dt.timedelta(seconds=5 - i))
    clock = now
    for _ in range(4):  # a few back-off steps while it is down
        _drain(clock, session)
        clock += dt.timedelta(minutes=10)
    assert WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).count() == 4
    assert WebhookDelivery.objects.filter(error__startswith="Connection error").exists()

    with Receiver(secret=subscription.secret, port=port) as back:
        _drain(clock + dt.timedelta(hours=1), session)
    assert sorted(e["data"]["event_id"] for _h, e in back.received) == sorted(
        str(e.pk) for e in SurveyEvent.objects.all()
    )
    assert not WebhookDelivery.objects.exclude(status=DeliveryStatus.DELIVERED).exists()


def test_a_delivery_gives_up_after_the_retry_period(make_subscription, receiver, session, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 1000
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 1000
    make_subscription()
    now = timezone.now()
    _event(ContactFactory(), at=now)
    receiver.statuses = [503] * 100
    clock = now
    _drain(clock, session)
    while WebhookDelivery.objects.filter(status=DeliveryStatus.PENDING).exists():
        _drain(clock, session)
        clock += dt.timedelta(hours=1)
        assert clock < now + dt.timedelta(hours=30)
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert "Gave up" in delivery.error
    assert clock - now >= dt.timedelta(hours=23)


def test_4xx_fails_for_good_without_retry(make_subscription, receiver, session):
    make_subscription()
    _event(ContactFactory(), at=timezone.now())
    receiver.statuses = [422]
    summary = _drain(timezone.now(), session)
    assert summary.sent.failed == 1
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code, delivery.attempts) == ("failed", 422, 1)


def test_duplicates_carry_the_same_webhook_id(make_subscription, receiver, session):
    subscription = make_subscription()
    now = timezone.now()
    _event(ContactFactory(), at=now)
    _drain(now, session)
    delivery = WebhookDelivery.objects.get()
    # Redelivered by hand, and sent again after a worker died mid-send (lease expired).
    webhook_deliveries_redeliver(subscription=subscription, actor=None, delivery_id=delivery.pk)
    _drain(now + dt.timedelta(seconds=1), session)
    WebhookDelivery.objects.filter(pk=delivery.pk).update(
        status="pending", next_attempt_at=now, locked_until=now + dt.timedelta(seconds=5)
    )
    assert _drain(now + dt.timedelta(seconds=2), session).sent.claimed == 0  # leased
    _drain(now + dt.timedelta(minutes=5), session)
    ids = [headers["webhook-id"] for headers, _ in receiver.received]
    assert ids == [f"msg_{delivery.pk.hex}"] * 3
    assert len({e["data"]["event_id"] for _h, e in receiver.received}) == 1


def test_fan_out_twice_creates_no_duplicate_and_skips_older_events(
    make_subscription, receiver, session
):
    subscription = make_subscription()
    contact = ContactFactory()
    _event(contact, at=subscription.created_at - dt.timedelta(minutes=1))  # before: not sent
    _event(contact, at=timezone.now())
    assert webhook_events_fan_out(now=timezone.now()) == 1
    assert webhook_events_fan_out(now=timezone.now()) == 0
    assert WebhookDelivery.objects.count() == 1


def test_events_are_delivered_in_order_per_contact(make_subscription, receiver, session):
    make_subscription()
    now = timezone.now()
    a, b = ContactFactory(), ContactFactory()
    a1 = _event(a, at=now - dt.timedelta(seconds=30), type="survey.refused")
    a2 = _event(a, at=now - dt.timedelta(seconds=20))
    b1 = _event(b, at=now - dt.timedelta(seconds=25))
    webhook_events_fan_out(now=now)
    # A claim takes one delivery per contact: a2 waits while a1 is pending.
    claimed = webhook_deliveries_claim(now=now, limit=10)
    assert {d.event_key for d in claimed} == {f"survey:{a1.pk}", f"survey:{b1.pk}"}
    # A second worker meanwhile finds nothing: a1 is leased, a2 waits behind it.
    assert webhook_deliveries_claim(now=now, limit=10) == []
    WebhookDelivery.objects.update(locked_until=None)

    # a1 failing (retry) holds a2 back, however many times the others are sent.
    receiver.statuses = [500]
    webhook_deliveries_send(now=now, session=session, limit=1)  # a1: 500
    webhook_deliveries_send(now=now + dt.timedelta(minutes=1), session=session, limit=10)
    _drain(now + dt.timedelta(minutes=2), session)
    order = [e["data"]["event_id"] for _h, e in receiver.received]
    assert order.index(str(a1.pk)) < order.index(str(a2.pk))
    assert sorted(order) == sorted(str(e.pk) for e in (a1, a2, b1))


def test_many_events_per_contact_arrive_in_order(make_subscription, receiver, session):
    make_subscription()
    now = timezone.now()
    contacts = [ContactFactory() for _ in range(3)]
    expected = collections.defaultdict(list)
    for i in range(12):
        contact = contacts[i % 3]
        event = _event(contact, at=now - dt.timedelta(seconds=100 - i))
        expected[str(contact.pk)].append(str(event.pk))
    _drain(now, session, batch_size=2)
    got = collections.defaultdict(list)
    for _h, event in receiver.received:
        got[event["data"]["contact"]["id"]].append(event["data"]["event_id"])
    assert got == expected


def test_410_disables_the_subscription(make_subscription, receiver, session):
    subscription = make_subscription()
    _event(ContactFactory(), at=timezone.now())
    receiver.statuses = [410]
    summary = _drain(timezone.now(), session)
    assert summary.sent.disabled == 1
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "410" in subscription.disabled_reason
    assert AuditLog.objects.filter(
        action="webhook_subscription.disable", object_id=str(subscription.pk)
    ).exists()
    # The event is kept for when the subscription is enabled again.
    assert WebhookDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_subscription_failing_past_the_threshold_is_disabled_with_an_audit_entry(
    make_subscription, receiver, session, settings
):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    subscription = make_subscription()
    now = timezone.now()
    for _ in range(5):
        _event(ContactFactory(), at=now)
    receiver.statuses = [400] * 10  # each fails for good: no back-off between them
    _drain(now, session)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert subscription.disabled_reason == "3 deliveries failed in a row."
    entry = AuditLog.objects.get(action="webhook_subscription.disable")
    assert entry.object_id == str(subscription.pk)
    assert entry.details["reason"] == "3 deliveries failed in a row."
    assert len(receiver.received) == 0
    assert WebhookDelivery.objects.filter(status="pending").count() == 2  # kept, not sent


def test_a_success_resets_the_failure_count(make_subscription, receiver, session, settings):
    settings.WEBHOOK_DISABLE_AFTER_FAILURES = 3
    subscription = make_subscription()
    now = timezone.now()
    for i in range(5):
        _event(ContactFactory(), at=now + dt.timedelta(seconds=i))
    receiver.statuses = [400, 400, 200, 400, 400]
    _drain(now + dt.timedelta(seconds=10), session)
    subscription.refresh_from_db()
    assert (subscription.is_active, subscription.consecutive_failures) == (True, 2)


def test_failing_for_the_whole_period_disables(make_subscription, receiver, session, settings):
    settings.WEBHOOK_DISABLE_AFTER_HOURS = 2
    subscription = make_subscription()
    now = timezone.now()
    _event(ContactFactory(), at=now)
    receiver.statuses = [500] * 100
    clock = now
    for _ in range(5):
        _drain(clock, session)
        clock += dt.timedelta(hours=1)
    subscription.refresh_from_db()
    assert not subscription.is_active
    assert "over 2 h" in subscription.disabled_reason

"""The admin of subscriptions (the secret shown once, the delivery log, redeliver) and the
banner that tells managers and admins a subscription was disabled."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from calls.tests.factories import SurveyEventFactory
from integrations.fanout import webhook_events_fan_out
from integrations.models import DeliveryStatus, WebhookDelivery, WebhookSubscription
from integrations.services import webhook_subscription_disable
from integrations.tasks import webhooks_drain_task

pytestmark = pytest.mark.django_db

BANNER = "/integrations/webhooks/banner"


def test_admin_add_shows_the_secret_once(client, admin_user, receiver, allow_loopback):
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {
            "name": "CRM",
            "url": receiver.url,
            "event_types": ["survey.completed", "campaign.status_changed"],
            "is_active": "on",
        },
        follow=True,
    )
    assert response.status_code == 200
    subscription = WebhookSubscription.objects.get()
    assert subscription.event_types == ["survey.completed", "campaign.status_changed"]
    assert subscription.secret.startswith("whsec_")
    assert subscription.secret in response.content.decode()  # the message, this once
    change = client.get(
        reverse("admin:integrations_webhooksubscription_change", args=[subscription.pk])
    )
    assert subscription.secret not in change.content.decode()
    assert b"Deliveries" in change.content


def test_admin_refuses_a_private_url(client, admin_user, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    client.force_login(admin_user)
    response = client.post(
        reverse("admin:integrations_webhooksubscription_add"),
        {"url": "http://169.254.169.254/", "event_types": ["survey.completed"], "is_active": "on"},
    )
    assert response.status_code == 200
    assert b"WEBHOOK_ALLOWED_HOSTS" in response.content
    assert not WebhookSubscription.objects.exists()


def test_admin_redeliver_action(client, admin_user, make_subscription):
    subscription = make_subscription(event_types=["survey.completed"])
    SurveyEventFactory(created_at=timezone.now())
    webhook_events_fan_out(now=timezone.now())
    WebhookDelivery.objects.update(status=DeliveryStatus.FAILED, next_attempt_at=None)
    client.force_login(admin_user)
    changelist = reverse("admin:integrations_webhookdelivery_changelist")
    listed = client.get(f"{changelist}?subscription__id__exact={subscription.pk}")
    assert listed.status_code == 200
    delivery = WebhookDelivery.objects.get()
    response = client.post(
        changelist,
        {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        follow=True,
    )
    assert b"1 delivery(ies) due again" in response.content
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_banner_access(persona, expected, persona_client):
    assert persona_client.get(BANNER).status_code == expected


def test_banner_names_a_disabled_subscription(client, manager_user, make_subscription):
    subscription = make_subscription(name="Sales CRM")
    client.force_login(manager_user)
    assert b"disabled" not in client.get(BANNER).content
    webhook_subscription_disable(
        subscription=subscription,
        reason="The receiver answered 410 Gone.",
        actor=None,
        now=timezone.now(),
    )
    banner = client.get(BANNER).content.decode()
    assert "Webhook subscription Sales CRM disabled: The receiver answered 410 Gone." in banner


@pytest.mark.parametrize(
    ("persona", "slot"),
    [("manager", True), ("viewer", False)],
    indirect=["persona"],
)
def test_pages_carry_the_banner_slot_for_managers_only(persona, slot, persona_client):
    page = persona_client.get("/").content.decode()
    assert ('id="webhook-banner"' in page) is slot
    assert ("js/webhook_banner.js" in page) is slot


def test_the_periodic_task_drains(make_subscription, receiver):
    make_subscription(event_types=["survey.completed"])
    SurveyEventFactory(created_at=timezone.now())
    result = webhooks_drain_task()
    assert result["fanned_out"] == 1
    assert result["delivered"] == 1
    assert len(receiver.received) == 1


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", [390, 1400])
def test_the_banner_shows_in_a_browser(sign_in, manager_user, settings, width):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    subscription = WebhookSubscription.objects.create(
        name="Sales CRM",
        url="http://127.0.0.1:9/hook",
        event_types=["survey.completed"],
        secret="whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
    )
    webhook_subscription_disable(
        subscription=subscription,
        reason="3 deliveries failed in a row.",
        actor=None,
        now=timezone.now(),
    )
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    banner = page.locator(".webhook-banner")
    banner.wait_for()
    assert "Webhook subscription Sales CRM disabled: 3 deliveries failed in a row." in (
        banner.inner_text()
    )
    box = banner.bounding_box()
    assert box is not None
    assert box["width"] <= width  # no overflow at the narrow width
    assert page.js_errors == []

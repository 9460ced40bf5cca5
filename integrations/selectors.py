"""Reads of the outbound webhooks."""

from __future__ import annotations

from django.db.models import QuerySet

from integrations.models import WebhookDelivery, WebhookSubscription


def webhook_subscription_list() -> QuerySet[WebhookSubscription]:
    return WebhookSubscription.objects.select_related("campaign").order_by("-created_at")


def webhook_delivery_log(
    *, subscription: WebhookSubscription, status: str = ""
) -> QuerySet[WebhookDelivery]:
    """The subscription's deliveries, newest event first (paginated by the caller)."""
    deliveries = WebhookDelivery.objects.filter(subscription=subscription)
    if status:
        deliveries = deliveries.filter(status=status)
    return deliveries.order_by("-occurred_at", "-event_key").defer("payload")


def webhook_subscriptions_disabled() -> list[WebhookSubscription]:
    """Subscriptions disabled by the system or a person: the pages' banner. A handful of rows
    (the table holds a few subscriptions), one query."""
    return list(
        WebhookSubscription.objects.filter(is_active=False)
        .only("id", "name", "url", "disabled_reason", "disabled_at")
        .order_by("-disabled_at")[:5]
    )

"""Writes of the outbound webhooks: subscriptions, disabling, redelivery."""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from integrations.addresses import url_problem
from integrations.models import (
    DeliveryStatus,
    WebhookEventType,
    WebhookSubscription,
)
from voicesurvey.models import User
from voicesurvey.services import audit_log_record

SUBSCRIPTION_FIELDS = (
    "name",
    "url",
    "event_types",
    "campaign",
    "include_phone_numbers",
    "is_active",
)


def webhook_secret_generate() -> str:
    """A Standard Webhooks secret: `whsec_` and 32 random bytes in base64."""
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


def _subscription_validate(subscription: WebhookSubscription) -> None:
    errors: dict[str, list[str]] = {}
    try:
        subscription.full_clean(exclude=["secret"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if "url" not in errors:
        problem = url_problem(subscription.url)
        if problem:
            errors["url"] = [problem]
    types = subscription.event_types
    if not isinstance(types, list) or not types or not all(isinstance(t, str) for t in types):
        errors["event_types"] = ["Choose at least one event type."]
    else:
        unknown = sorted(set(types) - set(WebhookEventType.values))
        if unknown:
            errors["event_types"] = [
                f"Unknown event type(s): {', '.join(unknown)}. Known: "
                f"{', '.join(WebhookEventType.values)}."
            ]
        subscription.event_types = [t for t in WebhookEventType.values if t in types]
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def webhook_subscription_create(
    *, actor: User | None, fields: Mapping[str, Any]
) -> tuple[WebhookSubscription, str]:
    """A new subscription and its secret, which the caller shows once and never again."""
    subscription = WebhookSubscription(
        **{k: v for k, v in fields.items() if k in SUBSCRIPTION_FIELDS},
        secret=webhook_secret_generate(),
        created_by=actor if actor and actor.is_authenticated else None,
    )
    _subscription_validate(subscription)
    subscription.save()
    audit_log_record(
        actor=actor,
        action="webhook_subscription.create",
        obj=subscription,
        details={"url_host": _host(subscription.url), "event_types": subscription.event_types},
    )
    return subscription, subscription.secret


def _host(url: str) -> str:
    return urlsplit(url).hostname or ""


@transaction.atomic
def webhook_subscription_update(
    *, subscription: WebhookSubscription, actor: User | None, fields: Mapping[str, Any]
) -> WebhookSubscription:
    """Change the fields given. Enabling a disabled subscription clears its failures and gives
    its pending deliveries a new retry period, due now."""
    locked = WebhookSubscription.objects.select_for_update().get(pk=subscription.pk)
    was_active = locked.is_active
    for name, value in fields.items():
        if name in SUBSCRIPTION_FIELDS:
            setattr(locked, name, value)
    _subscription_validate(locked)
    now = timezone.now()
    if locked.is_active and not was_active:
        locked.disabled_reason, locked.disabled_at = "", None
        locked.consecutive_failures, locked.failing_since, locked.paused_until = 0, None, None
        locked.deliveries.filter(status=DeliveryStatus.PENDING).update(
            next_attempt_at=now,
            retry_until=now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
            locked_until=None,
        )
    elif was_active and not locked.is_active:
        locked.disabled_reason, locked.disabled_at = "Disabled by a person.", now
    locked.save()
    audit_log_record(
        actor=actor,
        action="webhook_subscription.update",
        obj=locked,
        details={"fields": sorted(k for k in fields if k in SUBSCRIPTION_FIELDS)},
    )
    return locked


@transaction.atomic
def webhook_subscription_delete(*, subscription: WebhookSubscription, actor: User | None) -> None:
    audit_log_record(
        actor=actor,
        action="webhook_subscription.delete",
        obj=subscription,
        details={"url_host": _host(subscription.url)},
    )
    subscription.delete()


def webhook_subscription_disable(
    *, subscription: WebhookSubscription, reason: str, actor: User | None, now: dt.datetime
) -> bool:
    """Stop sending to the subscription (its deliveries stay pending), audit-logged. False
    when it was disabled already."""
    changed = WebhookSubscription.objects.filter(pk=subscription.pk, is_active=True).update(
        is_active=False, disabled_reason=reason[:300], disabled_at=now, paused_until=None
    )
    subscription.is_active = False
    if changed:
        subscription.disabled_reason, subscription.disabled_at = reason[:300], now
        audit_log_record(
            actor=actor,
            action="webhook_subscription.disable",
            obj=subscription,
            details={"reason": reason[:300], "url_host": _host(subscription.url)},
        )
    return bool(changed)


@transaction.atomic
def webhook_deliveries_redeliver(
    *,
    subscription: WebhookSubscription,
    actor: User | None,
    delivery_id: Any = None,
    occurred_from: dt.datetime | None = None,
    occurred_to: dt.datetime | None = None,
) -> int:
    """Send again one delivery, or those of events in [from, to): pending again, due now, with
    the same webhook-id and a new retry period. Returns how many."""
    deliveries = subscription.deliveries.all()
    if delivery_id is not None:
        deliveries = deliveries.filter(pk=delivery_id)
    else:
        if occurred_from is not None:
            deliveries = deliveries.filter(occurred_at__gte=occurred_from)
        if occurred_to is not None:
            deliveries = deliveries.filter(occurred_at__lt=occurred_to)
    now = timezone.now()
    count = deliveries.update(
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        retry_until=now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS),
        locked_until=None,
        delivered_at=None,
    )
    audit_log_record(
        actor=actor,
        action="webhook_subscription.redeliver",
        obj=subscription,
        details={
            "deliveries": count,
            "delivery_id": str(delivery_id) if delivery_id else None,
            "from": occurred_from.isoformat() if occurred_from else None,
            "to": occurred_to.isoformat() if occurred_to else None,
        },
    )
    return count

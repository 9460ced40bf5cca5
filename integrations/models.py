"""Outbound webhooks (docs/integrations.md): subscriptions, one delivery per (subscription,
event), and the fan-out's position in each event source."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone


class WebhookEventType(models.TextChoices):
    SURVEY_COMPLETED = "survey.completed", "Survey completed"
    SURVEY_REFUSED = "survey.refused", "Survey refused"
    CONTACT_NOT_REACHED = "contact.not_reached", "Contact not reached"
    CONTACT_CALLBACK_REQUESTED = "contact.callback_requested", "Contact asked to be called back"
    CAMPAIGN_STATUS_CHANGED = "campaign.status_changed", "Campaign status changed"
    EXPORT_COMPLETED = "export.completed", "Export completed"
    EXPORT_FAILED = "export.failed", "Export failed"


class WebhookSubscription(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, blank=True, help_text="A label for people.")
    url = models.URLField(max_length=2000)
    event_types = models.JSONField(default=list, help_text="The WebhookEventType values sent.")
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="webhook_subscriptions",
        help_text="Only this campaign's events; empty: every campaign's.",
    )
    include_phone_numbers = models.BooleanField(
        default=False, help_text="Put the contact's phone number in survey and contact events."
    )
    # Standard Webhooks' `whsec_<base64>`. Kept as is because signing needs it back; shown once
    # (the creating answer), never logged, never listed.
    secret = models.CharField(max_length=100, editable=False)
    is_active = models.BooleanField(default=True)
    disabled_reason = models.CharField(max_length=300, blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Deliveries that failed in a row (a retry counts) and since when: the disabling threshold.
    consecutive_failures = models.PositiveIntegerField(default=0)
    failing_since = models.DateTimeField(null=True, blank=True)
    # After a failure the receiver is left alone until then: one probe per back-off step,
    # not the whole backlog hammering a receiver that is down.
    paused_until = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name or self.url


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    DELIVERED = "delivered", "Delivered"
    FAILED = "failed", "Failed"


class WebhookDelivery(models.Model):
    """One event for one subscription. Unique per (subscription, event_key), so the fan-out can
    run again, concurrently or after a crash, without a duplicate; its id is the `webhook-id`
    every attempt and every redelivery carries."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    subscription = models.ForeignKey(  # led by the unique constraint below
        WebhookSubscription, on_delete=models.CASCADE, related_name="deliveries", db_index=False
    )
    event_type = models.CharField(max_length=40, choices=WebhookEventType.choices)
    # Where the event comes from: "survey:<SurveyEvent id>", "campaign:<AuditLog id>",
    # "export:<ExportJob id>:<status>", "callback:<CallAttempt id>".
    event_key = models.CharField(max_length=100)
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    # Deleting a contact (erasure) deletes its deliveries, phone numbers included.
    contact = models.ForeignKey(
        "contacts.Contact",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    occurred_at = models.DateTimeField()
    payload = models.JSONField()
    status = models.CharField(
        max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Retried until then (WEBHOOK_RETRY_HOURS after it was queued or redelivered).
    retry_until = models.DateTimeField(null=True, blank=True)
    # Claimed by a sender until then; a sender that dies leaves it to be claimed again.
    locked_until = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    response_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=500, blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    # The trace of the call the event is about (voicesurvey/tracing.py), sent as a header.
    trace_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-occurred_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["subscription", "event_key"], name="webhook_delivery_once"
            ),
        ]
        indexes = [
            # The senders' claim: pending deliveries, oldest event first.
            models.Index(
                fields=["occurred_at", "event_key"],
                name="webhook_delivery_pending_idx",
                condition=Q(status="pending"),
            ),
            # In order per contact: is an earlier one of this contact still pending?
            models.Index(
                fields=["subscription", "contact", "occurred_at"],
                name="webhook_delivery_order_idx",
                condition=Q(status="pending"),
            ),
            # The delivery log and redelivery by time range.
            models.Index(fields=["subscription", "occurred_at"], name="webhook_delivery_log_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.pk}"

    @property
    def webhook_id(self) -> str:
        return f"msg_{self.pk.hex}"


class WebhookFanoutCursor(models.Model):
    """How far the fan-out has read one event source (by the source's own time column)."""

    source = models.CharField(max_length=20, primary_key=True)
    position = models.DateTimeField()

    def __str__(self) -> str:
        return f"{self.source} @ {self.position.isoformat()}"

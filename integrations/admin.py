"""Admin of the outbound webhooks: subscriptions (the secret shown once, on creation) and the
delivery log with its redeliver action. Every write goes through integrations/services.py."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.html import format_html

from integrations.addresses import url_problem
from integrations.models import WebhookDelivery, WebhookEventType, WebhookSubscription
from integrations.services import (
    SUBSCRIPTION_FIELDS,
    webhook_deliveries_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)


class WebhookSubscriptionForm(forms.ModelForm):
    url = forms.URLField(max_length=2000, assume_scheme="https")
    event_types = forms.MultipleChoiceField(
        choices=WebhookEventType.choices, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = WebhookSubscription
        fields = ("name", "url", "event_types", "campaign", "include_phone_numbers", "is_active")

    def clean_url(self):
        url = self.cleaned_data["url"]
        problem = url_problem(url)
        if problem:
            raise ValidationError(problem)
        return url


@admin.register(WebhookSubscription)
class WebhookSubscriptionAdmin(admin.ModelAdmin):
    form = WebhookSubscriptionForm
    list_display = (
        "__str__",
        "url",
        "campaign",
        "is_active",
        "consecutive_failures",
        "disabled_reason",
        "created_at",
    )
    list_filter = ("is_active",)
    list_select_related = ("campaign",)
    readonly_fields = (
        "disabled_reason",
        "disabled_at",
        "consecutive_failures",
        "failing_since",
        "created_by",
        "created_at",
        "delivery_log",
    )

    @admin.display(description="Delivery log")
    def delivery_log(self, obj):
        if obj is None or obj.pk is None:
            return "-"
        url = reverse("admin:integrations_webhookdelivery_changelist")
        return format_html('<a href="{}?subscription__id__exact={}">Deliveries</a>', url, obj.pk)

    def save_model(self, request, obj, form, change):
        fields = {
            name: form.cleaned_data[name]
            for name in SUBSCRIPTION_FIELDS
            if name in form.cleaned_data
        }
        if change:
            saved = webhook_subscription_update(
                subscription=WebhookSubscription.objects.get(pk=obj.pk),
                actor=request.user,
                fields=fields,
            )
        else:
            saved, secret = webhook_subscription_create(actor=request.user, fields=fields)
            self.message_user(
                request,
                f"The signing secret of {saved}, shown this once (keep it now): {secret}",
                messages.WARNING,
            )
        obj.pk, obj.created_at, obj.secret = saved.pk, saved.created_at, ""
        obj._state.adding = False

    def delete_model(self, request, obj):
        webhook_subscription_delete(subscription=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for subscription in queryset:
            webhook_subscription_delete(subscription=subscription, actor=request.user)


@admin.action(description="Redeliver the selected deliveries")
def redeliver(modeladmin, request, queryset):
    count = 0
    for delivery in queryset.select_related("subscription"):
        count += webhook_deliveries_redeliver(
            subscription=delivery.subscription, actor=request.user, delivery_id=delivery.pk
        )
    modeladmin.message_user(request, f"{count} delivery(ies) due again.")


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(admin.ModelAdmin):
    list_display = (
        "occurred_at",
        "event_type",
        "subscription",
        "status",
        "attempts",
        "response_code",
        "latency_ms",
        "next_attempt_at",
    )
    list_filter = ("status", "event_type", "subscription")
    list_select_related = ("subscription",)
    actions = [redeliver]
    show_full_result_count = False
    fields = (
        "subscription",
        "event_type",
        "event_key",
        "occurred_at",
        "status",
        "attempts",
        "next_attempt_at",
        "retry_until",
        "last_attempt_at",
        "delivered_at",
        "response_code",
        "latency_ms",
        "response_excerpt",
        "error",
        "trace_id",
        "payload",
    )
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

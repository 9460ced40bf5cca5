"""Outbound webhook API (docs/api.md, README "Integrations"): subscriptions, their delivery
log and redelivery. Admins and campaign managers; viewers 403, anonymous 401, unknown ids 404.
The secret is in the creating answer only."""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiExample, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from integrations.models import DeliveryStatus, WebhookEventType, WebhookSubscription
from integrations.payloads import PAYLOAD_VERSION
from integrations.selectors import webhook_delivery_log, webhook_subscription_list
from integrations.services import (
    webhook_deliveries_redeliver,
    webhook_subscription_create,
    webhook_subscription_delete,
    webhook_subscription_update,
)
from voicesurvey.permissions import CanManageCampaigns

_EVENT_TYPES_HELP = (
    "The events sent: " + ", ".join(WebhookEventType.values) + f". Payloads are version "
    f"{PAYLOAD_VERSION}: see the README's Integrations section."
)


class SubscriptionInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    url = serializers.URLField(
        max_length=2000,
        help_text="http or https; not a loopback, private or link-local address unless the "
        "host is in WEBHOOK_ALLOWED_HOSTS.",
    )
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices),
        allow_empty=False,
        help_text=_EVENT_TYPES_HELP,
    )
    campaign_id = serializers.PrimaryKeyRelatedField(
        queryset=Campaign.objects.all(),
        required=False,
        allow_null=True,
        help_text="Only this campaign's events; null: every campaign's.",
    )
    include_phone_numbers = serializers.BooleanField(
        required=False, help_text="Put the contact's phone number in events (default false)."
    )
    is_active = serializers.BooleanField(
        required=False,
        help_text="false disables the subscription; true enables it again and sends its "
        "pending deliveries.",
    )


class SubscriptionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    url = serializers.CharField()
    event_types = serializers.ListField(
        child=serializers.ChoiceField(choices=WebhookEventType.choices)
    )
    campaign_id = serializers.UUIDField(allow_null=True)
    include_phone_numbers = serializers.BooleanField()
    is_active = serializers.BooleanField()
    disabled_reason = serializers.CharField()
    disabled_at = serializers.DateTimeField(allow_null=True)
    consecutive_failures = serializers.IntegerField()
    created_at = serializers.DateTimeField()


class SubscriptionCreatedSerializer(SubscriptionOutputSerializer):
    secret = serializers.CharField(
        help_text="The signing secret (Standard Webhooks, whsec_…). Shown here only, once: "
        "keep it now."
    )


class DeliveryOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="Also the request's webhook-id, as msg_<hex>.")
    webhook_id = serializers.CharField()
    event_type = serializers.ChoiceField(choices=WebhookEventType.choices)
    occurred_at = serializers.DateTimeField()
    status = serializers.ChoiceField(choices=DeliveryStatus.choices)
    attempts = serializers.IntegerField()
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    delivered_at = serializers.DateTimeField(allow_null=True)
    response_code = serializers.IntegerField(allow_null=True)
    latency_ms = serializers.IntegerField(allow_null=True)
    response_excerpt = serializers.CharField(help_text="The answer's first 500 characters.")
    error = serializers.CharField()


class DeliveryListInputSerializer(serializers.Serializer):
    status = serializers.ChoiceField(choices=DeliveryStatus.choices, required=False)


class RedeliverInputSerializer(serializers.Serializer):
    delivery_id = serializers.UUIDField(required=False, help_text="One delivery to send again.")
    # `from` is a keyword: declared under another name and renamed below.
    from_ = serializers.DateTimeField(
        required=False, help_text="Or every delivery of events at or after this time …"
    )
    to = serializers.DateTimeField(required=False, help_text="… and before this one.")

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = fields.pop("from_")
        return fields

    def validate(self, attrs):
        one, start, end = attrs.get("delivery_id"), attrs.get("from"), attrs.get("to")
        if one is not None and (start or end):
            raise serializers.ValidationError(
                {"delivery_id": ["Give either delivery_id or a time range (from, to), not both."]}
            )
        if one is None and not (start and end):
            raise serializers.ValidationError({"from": ["Give delivery_id, or both from and to."]})
        if start and end and start >= end:
            raise serializers.ValidationError({"to": ["to must be after from."]})
        return attrs


class RedeliverOutputSerializer(serializers.Serializer):
    redelivered = serializers.IntegerField(help_text="How many deliveries are due again.")


def _subscription_data(subscription: WebhookSubscription) -> dict:
    return {
        "id": subscription.pk,
        "name": subscription.name,
        "url": subscription.url,
        "event_types": subscription.event_types,
        "campaign_id": subscription.campaign_id,
        "include_phone_numbers": subscription.include_phone_numbers,
        "is_active": subscription.is_active,
        "disabled_reason": subscription.disabled_reason,
        "disabled_at": subscription.disabled_at,
        "consecutive_failures": subscription.consecutive_failures,
        "created_at": subscription.created_at,
    }


def _fields(validated: dict) -> dict:
    fields = dict(validated)
    if "campaign_id" in fields:
        fields["campaign"] = fields.pop("campaign_id")
    return fields


class SubscriptionListApi(generics.ListAPIView):
    """`GET /api/webhooks/subscriptions` (newest first, paginated), `POST` creates one."""

    permission_classes = [CanManageCampaigns]
    serializer_class = SubscriptionOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return webhook_subscription_list()

    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is set: always a page
        return self.get_paginated_response(
            SubscriptionOutputSerializer([_subscription_data(s) for s in page], many=True).data
        )

    @extend_schema(
        request=SubscriptionInputSerializer,
        responses={201: SubscriptionCreatedSerializer},
        description="Creates a subscription. The answer carries its signing secret, once. "
        "400 naming the field: a URL that is not http(s), or whose host resolves to a "
        "loopback, private, link-local or reserved address (unless allowed by "
        "WEBHOOK_ALLOWED_HOSTS); an unknown event type; an unknown campaign.",
        examples=[
            OpenApiExample(
                "Completed surveys of every campaign",
                value={
                    "url": "https://crm.example.com/hooks/voicesurvey",
                    "event_types": ["survey.completed"],
                },
                request_only=True,
            )
        ],
    )
    def post(self, request):
        data = SubscriptionInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        subscription, secret = webhook_subscription_create(
            actor=request.user, fields=_fields(data.validated_data)
        )
        return Response(
            SubscriptionCreatedSerializer(
                {**_subscription_data(subscription), "secret": secret}
            ).data,
            status=status.HTTP_201_CREATED,
        )


class SubscriptionDetailApi(APIView):
    """`GET`, `PATCH`, `DELETE /api/webhooks/subscriptions/{id}`."""

    permission_classes = [CanManageCampaigns]

    @extend_schema(responses=SubscriptionOutputSerializer)
    def get(self, request, subscription_id):
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        return Response(SubscriptionOutputSerializer(_subscription_data(subscription)).data)

    @extend_schema(
        request=SubscriptionInputSerializer(partial=True),
        responses=SubscriptionOutputSerializer,
        description="Changes the fields sent. `is_active: true` enables a disabled "
        "subscription again: its failures are forgotten and its pending deliveries are due "
        "now. The secret cannot be read or changed: create a new subscription to rotate it.",
    )
    def patch(self, request, subscription_id):
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        data = SubscriptionInputSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        subscription = webhook_subscription_update(
            subscription=subscription, actor=request.user, fields=_fields(data.validated_data)
        )
        return Response(SubscriptionOutputSerializer(_subscription_data(subscription)).data)

    @extend_schema(responses={204: None})
    def delete(self, request, subscription_id):
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        webhook_subscription_delete(subscription=subscription, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SubscriptionDeliveriesApi(generics.ListAPIView):
    """`GET /api/webhooks/subscriptions/{id}/deliveries?status=`: the delivery log, newest
    event first, paginated."""

    permission_classes = [CanManageCampaigns]
    serializer_class = DeliveryOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        subscription = get_object_or_404(WebhookSubscription, pk=self.kwargs["subscription_id"])
        query = DeliveryListInputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return webhook_delivery_log(
            subscription=subscription, status=query.validated_data.get("status", "")
        )

    @extend_schema(parameters=[DeliveryListInputSerializer])
    def get(self, request, subscription_id):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None
        rows = [
            {
                "id": d.pk,
                "webhook_id": d.webhook_id,
                "event_type": d.event_type,
                "occurred_at": d.occurred_at,
                "status": d.status,
                "attempts": d.attempts,
                "next_attempt_at": d.next_attempt_at,
                "last_attempt_at": d.last_attempt_at,
                "delivered_at": d.delivered_at,
                "response_code": d.response_code,
                "latency_ms": d.latency_ms,
                "response_excerpt": d.response_excerpt,
                "error": d.error,
            }
            for d in page
        ]
        return self.get_paginated_response(DeliveryOutputSerializer(rows, many=True).data)


class SubscriptionRedeliverApi(APIView):
    """`POST /api/webhooks/subscriptions/{id}/redeliver` `{delivery_id}` or `{from, to}`."""

    permission_classes = [CanManageCampaigns]

    @extend_schema(
        request=RedeliverInputSerializer,
        responses={202: RedeliverOutputSerializer},
        description="Sends again one delivery (`delivery_id`) or those of the events that "
        "occurred in [`from`, `to`): due now, with their original webhook-id (receivers "
        "deduplicate by it) and a new retry period. The subscription must be enabled for them "
        "to go out.",
    )
    def post(self, request, subscription_id):
        subscription = get_object_or_404(WebhookSubscription, pk=subscription_id)
        data = RedeliverInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        params = data.validated_data
        delivery_id = params.get("delivery_id")
        if delivery_id is not None:
            get_object_or_404(subscription.deliveries, pk=delivery_id)
        count = webhook_deliveries_redeliver(
            subscription=subscription,
            actor=request.user,
            delivery_id=delivery_id,
            occurred_from=params.get("from"),
            occurred_to=params.get("to"),
        )
        return Response(
            RedeliverOutputSerializer({"redelivered": count}).data,
            status=status.HTTP_202_ACCEPTED,
        )

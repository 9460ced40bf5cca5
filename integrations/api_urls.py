from django.urls import path

from integrations import api

urlpatterns = [
    path(
        "webhooks/subscriptions",
        api.SubscriptionListApi.as_view(),
        name="webhook-subscription-list",
    ),
    path(
        "webhooks/subscriptions/<uuid:subscription_id>",
        api.SubscriptionDetailApi.as_view(),
        name="webhook-subscription-detail",
    ),
    path(
        "webhooks/subscriptions/<uuid:subscription_id>/deliveries",
        api.SubscriptionDeliveriesApi.as_view(),
        name="webhook-subscription-deliveries",
    ),
    path(
        "webhooks/subscriptions/<uuid:subscription_id>/redeliver",
        api.SubscriptionRedeliverApi.as_view(),
        name="webhook-subscription-redeliver",
    ),
]

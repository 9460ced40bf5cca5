# No namespace: the pages' names are global (`call_detail`), as other apps link to them.
from django.urls import path

from calls import views, webhooks

urlpatterns = [
    path("calls/<uuid:call_id>", views.call_detail, name="call_detail"),
    # The campaign's dialogue, rehearsed without a call (its page loads it as a panel).
    path(
        "campaigns/<uuid:campaign_id>/rehearse",
        views.campaign_rehearse,
        name="campaign_rehearse",
    ),
    path(
        "calls/contact/<uuid:contact_id>/latest",
        views.contact_latest_call,
        name="contact_latest_call",
    ),
    # Provider webhooks. The call id is a plain string so that a malformed one gets the
    # webhook's JSON 404, not the site's HTML page.
    path(
        "webhooks/telephony/<str:provider>/<str:call_id>/status",
        webhooks.status_webhook,
        name="telephony_webhook_status",
    ),
    path(
        "webhooks/telephony/<str:provider>/<str:call_id>/dialogue",
        webhooks.dialogue_webhook,
        name="telephony_webhook_dialogue",
    ),
]

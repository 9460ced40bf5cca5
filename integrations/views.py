"""Pages of the outbound webhooks: the banner naming disabled subscriptions, fetched by every
page of managers and admins (static/js/webhook_banner.js) so that no page pays a query for it."""

from __future__ import annotations

from django.shortcuts import render

from integrations.selectors import webhook_subscriptions_disabled
from voicesurvey.permissions import Capability, require_capability


@require_capability(Capability.MANAGE_CAMPAIGNS)
def webhook_banner(request):
    return render(
        request,
        "integrations/_banner.html",
        {"subscriptions": webhook_subscriptions_disabled()},
    )

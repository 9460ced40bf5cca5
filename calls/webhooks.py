"""Provider webhooks: `POST /webhooks/telephony/<provider>/<call_id>/status` and `…/dialogue`.

Authenticated by the provider's signature only — no session, no CSRF token. In order:
unknown provider, or one not configured here (Twilio without its credentials) → 404; bad or
missing signature → 403 (before anything else, so an unsigned request learns nothing); unknown
call → 404; unreadable content → 400; otherwise 200, also for replays and late events (stored,
changing nothing). `webhook_receive` is the whole handling, independent of Django's request:
the HTTP views below call it, and so does the simulator. What differs between providers (JSON
or Twilio's form posts, JSON or TwiML answers, how a signature is checked) is in their
`TelephonyProvider` methods.
"""

from __future__ import annotations

import logging
import uuid

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt

from calls.models import CallAttempt
from calls.services import call_dialogue_reply, call_status_apply
from calls.telephony.base import (
    ProviderNotConfigured,
    WebhookPayloadError,
    WebhookRequest,
    WebhookResponse,
)
from calls.telephony.providers import provider_class

logger = logging.getLogger(__name__)

STATUS, DIALOGUE = "status", "dialogue"


def _error(status: int, detail: str) -> WebhookResponse:
    return WebhookResponse.json({"detail": detail}, status=status)


def webhook_receive(
    *, provider_name: str, kind: str, call_id: str, request: WebhookRequest
) -> WebhookResponse:
    try:
        provider = provider_class(provider_name)()
    except ProviderNotConfigured:
        return _error(404, "Unknown telephony provider.")
    if kind == DIALOGUE and not provider.supports_dialogue:
        return _error(404, "This provider has no dialogue webhook.")
    if not provider.verify_webhook(request, call_id=call_id):
        logger.warning("%s webhook with a bad or missing signature refused", provider.name)
        return _error(403, "Invalid or missing webhook signature.")
    try:
        call_uuid = uuid.UUID(call_id)
    except ValueError:
        return _error(404, "Unknown call.")
    try:
        if kind == STATUS:
            result = call_status_apply(
                call_id=call_uuid, provider=provider.name, event=provider.parse_status(request)
            )
            return provider.render_status_ack(result)
        turn = call_dialogue_reply(
            call_id=call_uuid, provider=provider.name, reply=provider.parse_dialogue(request)
        )
        return provider.render_turn(turn, call_id=str(call_uuid))
    except WebhookPayloadError as exc:
        return _error(400, str(exc))
    except CallAttempt.DoesNotExist:
        return _error(404, "Unknown call.")


def _serve(request: HttpRequest, provider: str, call_id: str, kind: str) -> HttpResponse:
    if request.method != "POST":
        response = JsonResponse({"detail": "Only POST is allowed."}, status=405)
        response["Allow"] = "POST"
        return response
    result = webhook_receive(
        provider_name=provider,
        kind=kind,
        call_id=call_id,
        request=WebhookRequest(
            method=request.method,
            url=request.build_absolute_uri(),
            path=request.get_full_path(),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=request.body,
            params={**request.GET.dict(), **request.POST.dict()},
        ),
    )
    return HttpResponse(result.body, status=result.status, content_type=result.content_type)


@csrf_exempt
def status_webhook(request: HttpRequest, provider: str, call_id: str) -> HttpResponse:
    return _serve(request, provider, call_id, STATUS)


@csrf_exempt
def dialogue_webhook(request: HttpRequest, provider: str, call_id: str) -> HttpResponse:
    return _serve(request, provider, call_id, DIALOGUE)

"""Provider webhooks: `POST /webhooks/telephony/<provider>/<call_id>/status` and `…/dialogue`.

Authenticated by the provider's signature only — no session, no CSRF token. In order:
a body larger than WEBHOOK_MAX_BODY_KB → 413 (told by its Content-Length, or by reading one
byte past the limit of a chunked body, never by reading it whole); unknown provider, or one
not configured here (Twilio without its credentials) → 404; bad or missing signature → 403
(before anything else, so an unsigned request learns nothing); unknown call → 404; unreadable
content → 400; otherwise 200, also for replays and late events (stored, changing nothing).
`webhook_receive` is the whole handling, independent of Django's request: the HTTP views
below call it, and so does the simulator. What differs between providers (JSON or Twilio's
form posts, JSON or TwiML answers, how a signature is checked) is in their
`TelephonyProvider` methods.
"""

from __future__ import annotations

import logging
import time
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.views.decorators.csrf import csrf_exempt

from calls.models import CallAttempt, Provider
from calls.services import call_dialogue_reply, call_status_apply
from calls.telephony.base import (
    ProviderNotConfigured,
    TelephonyProvider,
    WebhookPayloadError,
    WebhookRequest,
    WebhookResponse,
    trace_id_from_url,
)
from calls.telephony.providers import provider_class
from voicesurvey import metrics
from voicesurvey.tracing import trace_context

logger = logging.getLogger(__name__)

STATUS, DIALOGUE = "status", "dialogue"


def _error(status: int, detail: str) -> WebhookResponse:
    return WebhookResponse.json({"detail": detail}, status=status)


def webhook_receive(
    *, provider_name: str, kind: str, call_id: str, request: WebhookRequest
) -> WebhookResponse:
    started = time.perf_counter()
    response = _webhook_receive(
        provider_name=provider_name, kind=kind, call_id=call_id, request=request
    )
    # Labelled by what the URL names only when it is a provider we know: any other name is a
    # stranger's, and each would be a series of its own.
    provider = provider_name if provider_name in Provider.values else "other"
    kind = kind if kind in (STATUS, DIALOGUE) else "other"
    metrics.telephony_webhooks_total.labels(
        provider=provider, kind=kind, code=str(response.status)
    ).inc()
    metrics.telephony_webhook_duration_seconds.labels(provider=provider, kind=kind).observe(
        time.perf_counter() - started
    )
    return response


def _webhook_receive(
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
    # Signed, so the URL is the one we gave the provider: the call's trace, from its tick.
    with trace_context(trace_id_from_url(request.path)):
        return _webhook_apply(provider, kind=kind, call_uuid=call_uuid, request=request)


def _webhook_apply(
    provider: TelephonyProvider, *, kind: str, call_uuid: uuid.UUID, request: WebhookRequest
) -> WebhookResponse:
    # One log line per event handled, under the call's trace: with the tick's line, a call's
    # story in the logs. (No number, no words: the call id and what happened.)
    try:
        if kind == STATUS:
            event = provider.parse_status(request)
            result = call_status_apply(call_id=call_uuid, provider=provider.name, event=event)
            logger.info(
                "%s status %s of call %s: %s", provider.name, event.raw_status, call_uuid, result
            )
            return provider.render_status_ack(result)
        reply = provider.parse_dialogue(request)
        turn = call_dialogue_reply(call_id=call_uuid, provider=provider.name, reply=reply)
        logger.info(
            "%s dialogue turn %d of call %s: %s",
            provider.name,
            reply.turn,
            call_uuid,
            "hung up" if turn.hangup else f"turn {turn.turn} asked",
        )
        return provider.render_turn(turn, call_id=str(call_uuid))
    except WebhookPayloadError as exc:
        return _error(400, str(exc))
    except CallAttempt.DoesNotExist:
        return _error(404, "Unknown call.")


_READ_CHUNK = 8192


def _body_within_limit(request: HttpRequest) -> bytes | None:
    """The request's body, or None when it is larger than WEBHOOK_MAX_BODY_KB. Twilio's form
    posts are a few KB and the simulator's events smaller still; whatever is bigger is not a
    provider's, and is refused before it is read, so it is neither held in memory nor stored.

    With a Content-Length, that decides (Django then reads no more than it declares). Without
    one, a chunked body — which the server de-chunks, and which Django's request would read as
    empty — is read here, at most one byte past the limit."""
    limit = settings.WEBHOOK_MAX_BODY_KB * 1024
    declared = request.META.get("CONTENT_LENGTH")
    if declared:
        try:
            if int(declared) > limit:
                return None
        except ValueError:
            pass  # Django reads an unreadable length as no body
        return request.body
    if "chunked" not in request.META.get("HTTP_TRANSFER_ENCODING", "").lower():
        return request.body  # no body
    stream, body = request.META["wsgi.input"], b""
    while len(body) <= limit:
        chunk = stream.read(min(_READ_CHUNK, limit + 1 - len(body)))
        if not chunk:
            break
        body += chunk
    return None if len(body) > limit else body


def _serve(request: HttpRequest, provider: str, call_id: str, kind: str) -> HttpResponse:
    if request.method != "POST":
        response = JsonResponse({"detail": "Only POST is allowed."}, status=405)
        response["Allow"] = "POST"
        return response
    body = _body_within_limit(request)
    if body is None:
        return JsonResponse(
            {"detail": f"The body is larger than {settings.WEBHOOK_MAX_BODY_KB} KB."}, status=413
        )
    # The form fields of a form post (Twilio's), read from the body read above: Django's own
    # request.POST would see no body when it came chunked.
    form = (
        QueryDict(body, encoding=request.encoding)
        if request.content_type == "application/x-www-form-urlencoded"
        else QueryDict()
    )
    result = webhook_receive(
        provider_name=provider,
        kind=kind,
        call_id=call_id,
        request=WebhookRequest(
            method=request.method,
            url=request.build_absolute_uri(),
            path=request.get_full_path(),
            headers={name.lower(): value for name, value in request.headers.items()},
            body=body,
            params={**request.GET.dict(), **form.dict()},
        ),
    )
    return HttpResponse(result.body, status=result.status, content_type=result.content_type)


@csrf_exempt
def status_webhook(request: HttpRequest, provider: str, call_id: str) -> HttpResponse:
    return _serve(request, provider, call_id, STATUS)


@csrf_exempt
def dialogue_webhook(request: HttpRequest, provider: str, call_id: str) -> HttpResponse:
    return _serve(request, provider, call_id, DIALOGUE)

"""The Twilio provider (docs/architecture.md §6.3): real calls through Twilio's REST API, the survey
as TwiML.

- `start_call` creates the call with `url` = our dialogue endpoint (turn 0), `status_callback`
  = our status endpoint for the events initiated, ringing, answered and completed, a ring
  timeout, and answering-machine detection when TWILIO_MACHINE_DETECTION asks for it.
- The dialogue endpoint answers each request with TwiML: the prompt spoken (`<Say>`) inside a
  `<Gather input="speech dtmf">` whose `action` is the dialogue URL of the next turn, or, at the
  end, a goodbye and `<Hangup/>`. Twilio posts the callee's `SpeechResult`/`Digits`/`Confidence`
  back; silence posts nothing (actionOnEmptyResult), which the dialogue's no-input rule takes.
- The status endpoint maps `CallStatus` onto our statuses; `SequenceNumber` keys the stored
  event, so a callback Twilio sends twice is stored once, and the status order rules of
  `call_status_apply` make late ones harmless.
- Every request is checked with Twilio's `RequestValidator` against the public URL of the
  request (PUBLIC_BASE_URL + path and query; also the X-Forwarded-Proto/Host one when
  TRUST_PROXY_HEADERS is on), before anything else.

Both endpoints are the shared ones (`calls.webhooks`), running the same services as the
simulator. This is the only module that imports the `twilio` package.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import functools
import logging
import re
from typing import overload
from urllib.parse import urlsplit

import requests
import urllib3
from django.conf import settings
from django.http import QueryDict
from twilio.base.exceptions import TwilioException, TwilioRestException, TwilioServiceException
from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client
from twilio.twiml.voice_response import VoiceResponse

from calls.dialogue import CONSENT, Reply, Turn
from calls.models import Provider
from calls.phrasebook import PHRASEBOOKS
from calls.telephony.base import (
    MACHINE_FAX,
    MACHINE_HUNG_UP,
    MACHINE_LEFT_MESSAGE,
    CallRejected,
    CallStatus,
    DialogueReply,
    OutgoingCall,
    ProviderNotConfigured,
    ProviderUnavailable,
    StatusEvent,
    TelephonyProvider,
    WebhookPayloadError,
    WebhookRequest,
    WebhookResponse,
)
from campaigns.questionnaire import FREE_TEXT, NUMBER, SCALE, SINGLE_CHOICE, YES_NO
from voicesurvey.tracing import current_trace_id

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Twilio-Signature"
# Said explicitly: prompts carry accented letters, and old readers take text/xml as ASCII.
TWIML_CONTENT_TYPE = "text/xml; charset=utf-8"
REQUIRED_SETTINGS = (
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "PUBLIC_BASE_URL",
)
MACHINE_DETECTION_CHOICES = ("off", "Enable", "DetectMessageEnd")
MACHINE_OUTCOME_CHOICES = ("no_answer", "left_message")
STATUS_CALLBACK_EVENTS = ("initiated", "ringing", "answered", "completed")

CALL_STATUSES = {
    "queued": CallStatus.INITIATED,
    "initiated": CallStatus.INITIATED,
    "ringing": CallStatus.RINGING,
    "in-progress": CallStatus.ANSWERED,  # Twilio's word for "answered"
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}
# AnsweredBy values of answering-machine detection. "machine_start" comes as soon as a machine
# is recognised (MachineDetection=Enable); the machine_end_* ones after its greeting and beep
# (DetectMessageEnd): only then can a message be left. "human" and "unknown" get the survey.
_MACHINE_STARTED = "machine_start"
_MACHINE_GREETING_OVER = ("machine_end_beep", "machine_end_silence", "machine_end_other")
_FAX = "fax"

# The fields kept of a webhook's form: what we use, and nothing that names the callee (To,
# From, Called, Caller and their cities are the contact's number and whereabouts).
_STATUS_FIELDS = (
    "CallSid",
    "CallStatus",
    "SequenceNumber",
    "Timestamp",
    "CallDuration",
    "AnsweredBy",
    "MachineDetectionDuration",
    "ErrorCode",
    "SipResponseCode",
    "CallbackSource",
)
_DIALOGUE_FIELDS = ("CallSid", "CallStatus", "SpeechResult", "Confidence", "Digits", "AnsweredBy")
MAX_SPEECH = 1000
MAX_DIGITS = 32

# --- REST errors (https://www.twilio.com/docs/api/errors) ---------------------------------------
# A number that cannot be called: that attempt fails and counts (docs/architecture.md §6.2). Checked
# before the HTTP status, which for some of these (geo permissions) may be a 403.
_NUMBER_ERRORS = {
    21211: "invalid_number",  # Invalid 'To' phone number
    21217: "invalid_number",  # Phone number does not appear to be valid
    13223: "invalid_number",  # Dial: invalid phone number format
    13224: "invalid_number",  # Twilio does not support calling this number, or it is invalid
    21214: "unreachable",  # 'To' phone number cannot be reached
    21215: "geo_permission",  # Geo permissions do not allow calling this number's area
    13227: "geo_permission",  # No international authorization
    32205: "geo_permission",  # Geo permissions: call blocked
    21216: "blocked",  # Number is blocked (high-risk or regulated destination)
    13225: "blocked",  # Forbidden phone number (premium rate)
    21219: "unverified_number",  # Trial account: the number is not a verified caller id
}
# Errors that are about our account or configuration, not the number: every call would fail
# the same way, so they are an outage (no attempt used, dialling backs off) — as are 401, 403,
# 404 (a wrong account SID), 429 and 5xx whatever their code.
_ACCOUNT_ERRORS = {
    10001: "account not active",
    20003: "authentication failed",
    20005: "account not active",
    20429: "too many requests",
    21205: "our dialogue URL is not valid",
    21210: "the caller id (From) is not verified",
    21212: "the caller id (From) is not a valid number",
}


def missing_settings() -> list[str]:
    """The settings Twilio needs that are empty (the system check and `TwilioProvider` ask)."""
    return [name for name in REQUIRED_SETTINGS if not getattr(settings, name)]


def _rest_error(exc: TwilioRestException | TwilioServiceException) -> Exception:
    """Our error for a REST error response. The message names the HTTP status and Twilio's code,
    never Twilio's own text: that quotes the number dialled."""
    status, code = exc.status, exc.code
    described = f"Twilio answered HTTP {status} (error {code})"
    if code in _NUMBER_ERRORS:
        return CallRejected(f"{described}: the number cannot be called.", code=_error_code(exc))
    if code in _ACCOUNT_ERRORS:
        return ProviderUnavailable(f"{described}: {_ACCOUNT_ERRORS[code]}.")
    if status in (401, 403, 404, 429) or status >= 500:
        return ProviderUnavailable(f"{described}.")
    if 400 <= status < 500:
        # Any other refusal of a well-formed request we send the same way for every number is
        # about this number (Twilio adds codes over time): fail this attempt, keep dialling.
        return CallRejected(f"{described}.", code=_error_code(exc))
    return ProviderUnavailable(f"{described}.")


def _error_code(exc: TwilioRestException | TwilioServiceException) -> str:
    return f"{_NUMBER_ERRORS.get(exc.code, 'rejected')}:{exc.code}"


def _may_have_reached_twilio(exc: requests.RequestException) -> bool:
    """Whether the create request may have been received before the network failed. A read
    timeout, or a connection dropped while waiting for the answer, leaves it unknown whether
    Twilio created the call; a refused connection, a failed DNS lookup or TLS handshake, or a
    connect timeout means nothing was sent."""
    if isinstance(exc, requests.ConnectTimeout):
        return False
    if isinstance(exc, requests.ReadTimeout | requests.exceptions.ChunkedEncodingError):
        return True
    if isinstance(exc, requests.ConnectionError):
        # requests wraps what failed: a ProtocolError ("Connection aborted") means the request
        # was written and the connection then lost; a MaxRetryError holds a connection that
        # never opened.
        reason = exc.args[0] if exc.args else None
        return isinstance(reason, urllib3.exceptions.ProtocolError)
    return False


def _outcome_unknown(call: OutgoingCall, exc: Exception) -> str:
    """The create request may have placed the call, so it is neither retried nor given back
    (either could ring the callee twice): the attempt stays in flight under our call id, which
    is in the webhook URLs. If Twilio did create the call, its callbacks find the attempt and
    fill in the Twilio call id; if not, reconciliation closes it as failed (timeout) after
    CALL_ATTEMPT_TIMEOUT_MINUTES and the contact is retried later. At worst one attempt is used
    for a call that never rang."""
    logger.warning(
        "twilio: no usable answer to the create request for call %s (%s); the call may exist, "
        "so it is kept in flight and not retried",
        call.call_id,
        type(exc).__name__,
    )
    return ""


def _form(request: WebhookRequest) -> QueryDict:
    """The POST fields as Twilio signed them (every value of a repeated field), without the
    query string: Twilio signs the URL with its query, then the body's fields."""
    return QueryDict(request.body, encoding="utf-8")


def _first(header_value: str) -> str:
    # A chain of proxies lists one value per hop; the first is what the client (Twilio) used.
    return header_value.split(",")[0].strip()


_HOST = re.compile(r"^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")


def public_urls(request: WebhookRequest) -> list[str]:
    """The URLs Twilio may have signed this request for: PUBLIC_BASE_URL with the request's
    path and query (the address we gave Twilio), and, only when TRUST_PROXY_HEADERS is on, the
    one a reverse proxy reports in X-Forwarded-Proto/Host (its own Host header when it forwards
    the scheme only). The validator tries each with and without the default port."""
    urls = [settings.PUBLIC_BASE_URL + request.path]
    if settings.TRUST_PROXY_HEADERS:
        scheme = _first(request.header("x-forwarded-proto")).lower()
        host = _first(request.header("x-forwarded-host")) or request.header("host")
        if scheme in ("http", "https") and _HOST.match(host):
            urls.append(f"{scheme}://{host}{request.path}")
    return list(dict.fromkeys(urls))


def _timestamp(value: str) -> dt.datetime | None:
    """Twilio's Timestamp (RFC 2822, "Mon, 23 Nov 2026 15:00:05 +0000"). An unreadable one is
    dropped, not refused: the event still counts, at its time of arrival."""
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo is not None else None


@overload
def _whole_number(form: QueryDict, name: str, *, default: int) -> int: ...
@overload
def _whole_number(form: QueryDict, name: str, *, default: None = None) -> int | None: ...
def _whole_number(form: QueryDict, name: str, *, default: int | None = None) -> int | None:
    value = form.get(name, "")
    if value == "":
        return default
    if not re.fullmatch(r"[0-9]{1,5}", value) or int(value) > 10_000:
        raise WebhookPayloadError(f"{name}: a whole number from 0 to 10000 is required.")
    return int(value)


def _confidence(value: str) -> float | None:
    try:
        confidence = float(value)
    except ValueError:
        return None
    return confidence if 0 <= confidence <= 1 else None


def _kept(form: QueryDict, names: tuple[str, ...]) -> dict:
    return {name: form[name] for name in names if name in form}


def _gather_keys(turn: Turn) -> dict:
    """How a <Gather> takes the reply a turn expects: one key for consent, yes/no and a choice
    (no waiting for more); a number, or a scale past 9, ends with # (or the gather's timeout);
    free text is spoken only, a key then meaning nothing."""
    question = turn.question
    if turn.expect == FREE_TEXT:
        return {"input": "speech"}
    keys: dict = {"input": "speech dtmf"}
    single_digit_scale = (
        turn.expect == SCALE
        and question is not None
        and question.min_value is not None
        and question.max_value is not None
        and question.min_value >= 0
        and question.max_value <= 9
    )
    if turn.expect in (CONSENT, YES_NO, SINGLE_CHOICE) or single_digit_scale:
        keys["num_digits"] = 1
    elif turn.expect in (NUMBER, SCALE):
        keys["finish_on_key"] = "#"
    return keys


class TwilioProvider(TelephonyProvider):
    name = Provider.TWILIO
    supports_dialogue = True

    def __init__(self, config=None, *, http_client: HttpClient | None = None):
        missing = missing_settings()
        if missing:
            raise ProviderNotConfigured(
                f"Twilio is selected but not configured: {', '.join(missing)} "
                f"{'is' if len(missing) == 1 else 'are'} not set. Set them (README, "
                "“Connecting Twilio”) or choose the simulator in the admin's Provider "
                "configuration."
            )
        super().__init__(config)
        self._http_client = http_client

    @functools.cached_property
    def client(self) -> Client:
        # Built on first dial only: webhooks never need it. No retries (max_retries=0): a
        # create request repeated after a lost answer could ring the callee twice.
        http_client = self._http_client or TwilioHttpClient(
            timeout=settings.TWILIO_HTTP_TIMEOUT_SECONDS, max_retries=0
        )
        return Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=http_client
        )

    # -- placing calls --------------------------------------------------------------------------
    def start_call(self, call: OutgoingCall) -> str:
        options = {
            "to": call.to,
            "from_": call.from_ or settings.TWILIO_FROM_NUMBER,
            "url": call.dialogue_url,
            "method": "POST",
            "status_callback": call.status_url,
            "status_callback_method": "POST",
            "status_callback_event": list(STATUS_CALLBACK_EVENTS),
            "timeout": settings.TWILIO_CALL_TIMEOUT_SECONDS,
        }
        if settings.TWILIO_MACHINE_DETECTION != "off":
            options["machine_detection"] = settings.TWILIO_MACHINE_DETECTION
        client = self.client
        try:
            created = client.calls.create(**options)
        except (TwilioRestException, TwilioServiceException) as exc:
            raise _rest_error(exc) from None
        except requests.RequestException as exc:
            if not _may_have_reached_twilio(exc):
                raise ProviderUnavailable(
                    f"Twilio could not be reached ({type(exc).__name__})."
                ) from None
            return _outcome_unknown(call, exc)
        except ValueError as exc:  # a success whose body is not a Call resource (a proxy's page)
            return _outcome_unknown(call, exc)
        except TwilioException as exc:
            raise ProviderUnavailable(f"Twilio client error ({type(exc).__name__}).") from None
        return created.sid or ""

    # -- webhooks -------------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest, *, call_id: str) -> bool:
        # The signed URL contains our call id, so a genuine request replayed against another
        # call's URL fails here too. Signatures made with a SharedKey
        # (X-Twilio-Webhooks-Signature-Settings) are not accepted: we hold the auth token only.
        signature = request.header(SIGNATURE_HEADER)
        if not signature:
            return False
        validator = RequestValidator(settings.TWILIO_AUTH_TOKEN)
        form = _form(request)
        return any(validator.validate(url, form, signature) for url in public_urls(request))

    def parse_status(self, request: WebhookRequest) -> StatusEvent:
        form = _form(request)
        raw = form.get("CallStatus", "")
        if raw not in CALL_STATUSES:
            raise WebhookPayloadError(
                f"CallStatus: {raw[:32]!r} is not one of {', '.join(sorted(CALL_STATUSES))}."
            )
        sequence = _whole_number(form, "SequenceNumber")
        status = CALL_STATUSES[raw]
        error_code = f"twilio:{form['ErrorCode'][:32]}" if form.get("ErrorCode") else ""
        answered_by = form.get("AnsweredBy", "")
        if status == CallStatus.COMPLETED and (
            answered_by == _FAX or answered_by.startswith("machine_")
        ):
            # Over after a machine or fax answered: nobody was reached. (Normally the dialogue
            # closed the attempt already and this changes nothing.)
            status = CallStatus.NO_ANSWER
            error_code = MACHINE_FAX if answered_by == _FAX else MACHINE_HUNG_UP
        return StatusEvent(
            # Each status comes once per call, with its own SequenceNumber; a callback Twilio
            # retries carries both again, so it is stored once.
            event_key=f"status:{raw}:{sequence}" if sequence is not None else f"status:{raw}",
            status=status,
            raw_status=raw,
            provider_call_id=form.get("CallSid", "")[:64],
            occurred_at=_timestamp(form.get("Timestamp", "")),
            error_code=error_code,
            payload=_kept(form, _STATUS_FIELDS),
        )

    def parse_dialogue(self, request: WebhookRequest) -> DialogueReply:
        form = _form(request)
        query = QueryDict(urlsplit(request.path).query)
        turn = _whole_number(query, "turn", default=0)
        return DialogueReply(
            event_key=f"dialogue:{turn}",
            turn=turn,
            reply=Reply(
                digits=form.get("Digits", "")[:MAX_DIGITS],
                speech=form.get("SpeechResult", "")[:MAX_SPEECH],
                confidence=_confidence(form.get("Confidence", "")),
            ),
            provider_call_id=form.get("CallSid", "")[:64],
            payload={"turn": turn, **_kept(form, _DIALOGUE_FIELDS)},
            machine=self._machine(form.get("AnsweredBy", "")) if turn == 0 else "",
        )

    @staticmethod
    def _machine(answered_by: str) -> str:
        """How the call ends when a machine answered (synchronous detection: the first TwiML
        request carries AnsweredBy); "" for a person."""
        if answered_by == _FAX:
            return MACHINE_FAX
        if answered_by == _MACHINE_STARTED:
            # Still greeting: a message now would be spoken over it (and lost).
            return MACHINE_HUNG_UP
        if answered_by in _MACHINE_GREETING_OVER:
            if settings.TWILIO_MACHINE_OUTCOME == "left_message":
                return MACHINE_LEFT_MESSAGE
            return MACHINE_HUNG_UP
        return ""

    def render_turn(self, turn: Turn, *, call_id: str) -> WebhookResponse:
        book = PHRASEBOOKS[turn.language]
        # One language for the whole call: every <Say> and <Gather> carries the call's locale.
        say = {"language": book.twilio_locale}
        voice = getattr(settings, book.twilio_voice_setting, "")
        if voice:
            say["voice"] = voice
        response = VoiceResponse()
        if turn.hangup:
            if turn.say:
                response.say(turn.say, **say)
            response.hangup()
        else:
            # The next turn's request comes back under the call's trace, as this one did.
            action = self.dialogue_url(call_id, turn=turn.turn, trace_id=current_trace_id())
            gather = response.gather(
                language=book.twilio_locale,
                action=action,
                method="POST",
                timeout=settings.TWILIO_GATHER_TIMEOUT_SECONDS,
                speech_timeout=settings.TWILIO_SPEECH_TIMEOUT,
                # Silence posts an empty reply, so the dialogue's no-input rule decides.
                action_on_empty_result=True,
                hints=",".join(turn.hints) or None,
                **_gather_keys(turn),
            )
            # Inside the gather: the callee may answer (key or speak) before the prompt ends.
            gather.say(turn.say, **say)
            # Only reached if a gather ever ends without posting: the same empty reply.
            response.redirect(action, method="POST")
        return WebhookResponse(
            status=200, body=str(response).encode(), content_type=TWIML_CONTENT_TYPE
        )

    def render_status_ack(self, result: str) -> WebhookResponse:
        # Twilio reads nothing from a status callback's answer but its success; an empty TwiML
        # document keeps its debugger quiet.
        return WebhookResponse(
            status=200, body=str(VoiceResponse()).encode(), content_type=TWIML_CONTENT_TYPE
        )

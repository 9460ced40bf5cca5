"""The telephony provider interface (docs/architecture.md §6.3); `provider_get`, in
providers.py, gives the configured one.

A provider does three things for the domain code:

- `start_call(call)`: ask the network to dial; returns the provider's call id. Raises
  `CallRejected` when this one number cannot be called (the attempt fails and counts) and
  `ProviderUnavailable` when the provider itself is down (network, 5xx, credentials: the attempt
  does not count and dialling backs off). Between `hold_calls` and `release_calls` a provider
  may place the calls it accepted together, at the release.
- `verify_webhook` + `parse_status` / `parse_dialogue`: check a webhook's signature and turn it
  into our event shape (`StatusEvent`, `DialogueReply`). Signature first: an unsigned request
  learns nothing, not even whether the call exists.
- `render_turn` (dialogue-capable providers, e.g. TwiML for Twilio) and `render_status_ack`:
  the HTTP answer the provider expects.

A provider that detects answering machines says so on the first dialogue request
(`DialogueReply.machine`): the survey does not start, and the call ends as no_answer.

Every provider's webhooks arrive at `/webhooks/telephony/<provider>/<call_id>/status` and
`…/dialogue` (see `status_url` / `dialogue_url`); our `call_id` in the path finds the attempt
even before `start_call` has returned the provider's id (or when it never does: a create
request that timed out may still have placed the call). Domain code imports only this module
and providers.py; only `twilio.py` imports the `twilio` package.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import enum
import functools
import json
from collections.abc import Mapping
from urllib.parse import parse_qs, urlencode, urlsplit

from django.conf import settings
from django.urls import reverse

from calls.dialogue import Reply, Turn
from calls.models import ProviderConfig
from calls.selectors import provider_config_get
from voicesurvey.tracing import TRACE_QUERY_PARAMETER, trace_id_clean


class CallStatus(enum.StrEnum):
    """Our provider-neutral call statuses; each provider maps its own onto these."""

    INITIATED = "initiated"
    RINGING = "ringing"
    ANSWERED = "answered"
    # Final: the call is over.
    COMPLETED = "completed"  # answered, then hung up
    BUSY = "busy"
    NO_ANSWER = "no_answer"
    FAILED = "failed"
    CANCELED = "canceled"


FINAL_STATUSES = frozenset(
    {
        CallStatus.COMPLETED,
        CallStatus.BUSY,
        CallStatus.NO_ANSWER,
        CallStatus.FAILED,
        CallStatus.CANCELED,
    }
)
# Progress of a live call: a status ranked lower than one already seen is a late arrival.
STATUS_RANK = {CallStatus.INITIATED: 1, CallStatus.RINGING: 2, CallStatus.ANSWERED: 3}


class ProviderError(Exception):
    """Base of the errors `start_call` may raise."""

    code = "provider_error"

    def __init__(self, message: str, *, code: str | None = None):
        super().__init__(message)
        if code:
            self.code = code


class CallRejected(ProviderError):
    """This number cannot be called (invalid, unreachable, not permitted): the attempt fails."""

    code = "rejected"


class ProviderUnavailable(ProviderError):
    """The provider is down or refuses us (network, 5xx, credentials): no attempt is used."""

    code = "provider_unavailable"


class ProviderNotConfigured(Exception):
    """The provider is unknown, or not usable in this installation (missing settings)."""


# How a call answered by a machine ends (the error code of its no_answer outcome,
# docs/architecture.md §4 has no outcome of its own for it): hung up on an answering machine, a
# message left on one after its beep, or a fax machine. Each is retried like any call nobody
# answered.
MACHINE_HUNG_UP = "answering_machine"
MACHINE_LEFT_MESSAGE = "left_message"
MACHINE_FAX = "fax"


class WebhookPayloadError(ValueError):
    """A signed webhook whose content we cannot read; the message says what is wrong (400)."""


@dataclasses.dataclass(frozen=True)
class OutgoingCall:
    """Everything a provider needs to place one call."""

    call_id: str
    to: str  # E.164
    from_: str  # E.164 caller id ("" = the provider's default)
    language: str  # en | it
    started_at: dt.datetime
    status_url: str
    dialogue_url: str
    # Who is being called, for providers that model the callee (the simulator seeds on it).
    contact_id: str = ""
    attempt_number: int = 1
    # The call's trace id (voicesurvey/tracing.py); the URLs above carry it back already.
    trace_id: str = ""


@dataclasses.dataclass(frozen=True)
class WebhookRequest:
    """A provider's HTTP request, independent of Django: the view builds one from the
    HttpRequest; the simulator builds one directly and goes through the same code."""

    method: str
    url: str  # absolute, as the request reached us
    path: str  # path and query string
    headers: Mapping[str, str]  # names in lower case
    body: bytes = b""
    params: Mapping[str, str] = dataclasses.field(default_factory=dict)  # form fields, query

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")


@dataclasses.dataclass(frozen=True)
class WebhookResponse:
    status: int
    body: bytes
    content_type: str = "application/json"

    @classmethod
    def json(cls, data: dict, status: int = 200) -> WebhookResponse:
        return cls(status=status, body=json.dumps(data).encode())

    def json_data(self) -> dict:
        return json.loads(self.body)


@dataclasses.dataclass(frozen=True)
class StatusEvent:
    """A call status event in our shape."""

    event_key: str  # unique per call and event: a replay carries the same key
    status: CallStatus
    raw_status: str  # the provider's own word for it
    provider_call_id: str = ""
    occurred_at: dt.datetime | None = None
    error_code: str = ""
    payload: Mapping = dataclasses.field(default_factory=dict)


@dataclasses.dataclass(frozen=True)
class DialogueReply:
    """A dialogue request: the callee's reply to prompt number `turn` (turn 0: the call was
    just answered and wants its first prompt)."""

    event_key: str
    turn: int
    reply: Reply
    provider_call_id: str = ""
    occurred_at: dt.datetime | None = None
    payload: Mapping = dataclasses.field(default_factory=dict)
    # "" when a person (or nobody the provider could tell) answered; otherwise MACHINE_HUNG_UP,
    # MACHINE_LEFT_MESSAGE or MACHINE_FAX, on the turn-0 request only: no survey is run.
    machine: str = ""


class TelephonyProvider:
    """Base class of the providers. Subclasses set `name` and implement the methods below."""

    name: str = ""
    supports_dialogue: bool = False

    def __init__(self, config: ProviderConfig | None = None):
        self._config = config

    @property
    def config(self) -> ProviderConfig:
        # Loaded on first use only: webhooks never need it, and they must be fast.
        if self._config is None:
            self._config = provider_config_get()
        return self._config

    @classmethod
    def call_timeout(cls) -> dt.timedelta:
        """How long a call may stay without a final event before reconciliation closes it."""
        return dt.timedelta(minutes=settings.CALL_ATTEMPT_TIMEOUT_MINUTES)

    # -- placing calls --------------------------------------------------------------------------
    def start_call(self, call: OutgoingCall) -> str:
        raise NotImplementedError

    def hold_calls(self) -> None:
        """From now until `release_calls`, this provider may keep back the calls `start_call`
        accepts and place them together then (the simulator queues its callees with one round
        trip to the broker). By default nothing is held: `start_call` places each call itself
        (Twilio: one REST request each)."""

    def release_calls(self) -> None:
        """Place the calls held since `hold_calls`, and hold no more. If it raises, none of
        them was placed (the scheduler gives their attempts back, as after an outage)."""

    # -- webhooks -------------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest, *, call_id: str) -> bool:
        raise NotImplementedError

    def parse_status(self, request: WebhookRequest) -> StatusEvent:
        raise NotImplementedError

    def parse_dialogue(self, request: WebhookRequest) -> DialogueReply:
        raise WebhookPayloadError(f"The {self.name} provider has no dialogue webhook.")

    def render_turn(self, turn: Turn, *, call_id: str) -> WebhookResponse:
        raise NotImplementedError

    def render_status_ack(self, result: str) -> WebhookResponse:
        return WebhookResponse.json({"result": result})

    # -- our URLs -------------------------------------------------------------------------------
    # `trace_id` (the call's, voicesurvey/tracing.py) rides in the query string, which every
    # provider sends back as it was given (and Twilio signs): `webhook_receive` runs the
    # webhook under it, with no query to look it up.
    def status_url(self, call_id: str, *, trace_id: str = "") -> str:
        path = _webhook_path("telephony_webhook_status", self.name, call_id)
        return public_url(_with_query(path, {TRACE_QUERY_PARAMETER: trace_id}))

    def dialogue_url(self, call_id: str, *, turn: int | None = None, trace_id: str = "") -> str:
        path = _webhook_path("telephony_webhook_dialogue", self.name, call_id)
        return public_url(_with_query(path, {"turn": turn, TRACE_QUERY_PARAMETER: trace_id}))


_CALL_ID_SLOT = "00000000-0000-0000-0000-000000000000"


@functools.cache
def _webhook_path_template(url_name: str, provider: str) -> str:
    return reverse(url_name, kwargs={"provider": provider, "call_id": _CALL_ID_SLOT})


def _webhook_path(url_name: str, provider: str, call_id: str) -> str:
    # reverse() once per URL and provider, not twice per dial: the scheduler builds both URLs
    # for every call it places.
    return _webhook_path_template(url_name, provider).replace(_CALL_ID_SLOT, str(call_id))


def _with_query(path: str, params: dict) -> str:
    """`path` with those of `params` that have a value ("" and None are left out)."""
    present = {name: value for name, value in params.items() if value not in ("", None)}
    return f"{path}?{urlencode(present)}" if present else path


def trace_id_from_url(path: str) -> str:
    """The trace id in a webhook URL's query string (`status_url`, `dialogue_url`), or ""."""
    values = parse_qs(urlsplit(path).query).get(TRACE_QUERY_PARAMETER, [""])
    return trace_id_clean(values[0])


def public_url(path: str) -> str:
    """The address a provider reaches `path` at (PUBLIC_BASE_URL; the path alone when unset)."""
    return settings.PUBLIC_BASE_URL + path

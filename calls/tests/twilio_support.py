"""Twilio's side of the Twilio tests: its REST API at the HTTP layer, and its webhooks.

- `sign` computes X-Twilio-Signature with Twilio's algorithm (HMAC-SHA1 over the URL and the
  sorted POST fields, base64), written out here rather than borrowed from the library we test.
- `FakeTwilioHttp` stands in for the HTTP client under twilio's `Client`: it records each
  request and answers with recorded-shape responses (a 201 Call resource, error bodies).
- `LocalTwilioApi` is a socket on 127.0.0.1 that Twilio's real HTTP client (requests
  underneath) talks to, for the network failures only a real connection produces.
- `TwilioCloud` plays Twilio during a call: it posts signed, recorded-shape status callbacks
  and dialogue requests to the URLs we gave Twilio, and follows the TwiML we answer with.

Nothing of ours is mocked: the provider, the webhooks and the services run as in production.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import socket
import threading
import xml.etree.ElementTree as ET
from urllib.parse import urlencode, urlsplit

from twilio.http import HttpClient
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response

ACCOUNT_SID = "AC3f1c0e5b2a9d4e7f8a6b1c2d3e4f5a6b"
AUTH_TOKEN = "test-only-auth-token-4f9a2c7e1b3d"  # a test value
FROM_NUMBER = "+15005550006"
PUBLIC_BASE_URL = "https://surveys.example.com"
CALL_SID = "CA5e2b7c9d1f3a4b6c8d0e2f4a6b8c0d1e"
API_CALLS_URL = f"https://api.twilio.com/2010-04-01/Accounts/{ACCOUNT_SID}/Calls.json"


def configure(settings, **overrides) -> None:
    """Twilio fully configured (the `settings` fixture undoes it after the test)."""
    values = {
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": FROM_NUMBER,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "TWILIO_MACHINE_DETECTION": "off",
        "TWILIO_MACHINE_OUTCOME": "no_answer",
        "TRUST_PROXY_HEADERS": False,
        **overrides,
    }
    for name, value in values.items():
        setattr(settings, name, value)


def sign(url: str, params: dict, token: str = AUTH_TOKEN) -> str:
    """X-Twilio-Signature of a POST to `url` with form fields `params` (values may be lists)."""
    signed = url
    for name in sorted(params):
        values = params[name] if isinstance(params[name], list) else [params[name]]
        for value in sorted(values):
            signed += name + value
    digest = hmac.new(token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


# --- The REST API --------------------------------------------------------------------------------


def call_resource(sid: str = CALL_SID, to: str = "+393471234567") -> dict:
    """The Call resource Twilio answers a create request with (201), as recorded."""
    return {
        "account_sid": ACCOUNT_SID,
        "annotation": None,
        "answered_by": None,
        "api_version": "2010-04-01",
        "caller_name": None,
        "date_created": None,
        "date_updated": None,
        "direction": "outbound-api",
        "duration": None,
        "end_time": None,
        "forwarded_from": None,
        "from": FROM_NUMBER,
        "from_formatted": "(500) 555-0006",
        "group_sid": None,
        "parent_call_sid": None,
        "phone_number_sid": "PN" + "0" * 32,
        "price": None,
        "price_unit": "USD",
        "sid": sid,
        "start_time": None,
        "status": "queued",
        "subresource_uris": {},
        "to": to,
        "to_formatted": to,
        "trunk_sid": None,
        "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Calls/{sid}.json",
        "queue_time": "0",
    }


def error_body(status: int, code: int, message: str) -> dict:
    """A REST error response body, as Twilio sends it."""
    return {
        "code": code,
        "message": message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


@dataclasses.dataclass
class RecordedRequest:
    method: str
    url: str
    data: dict
    headers: dict
    auth: tuple | None
    timeout: float | None


class FakeTwilioHttp(HttpClient):
    """Twilio's cloud at the HTTP layer: answers (status, JSON body) pairs, or raises the
    exceptions `requests` would, in order; records what twilio's Client sent."""

    def __init__(self, *answers):
        super().__init__(logging.getLogger("tests.twilio.http"), is_async=False)
        self.answers = list(answers)
        self.requests: list[RecordedRequest] = []

    def request(
        self,
        method,
        uri,
        params=None,
        data=None,
        headers=None,
        auth=None,
        timeout=None,
        allow_redirects=False,
    ):
        self.requests.append(RecordedRequest(method, uri, dict(data or {}), headers, auth, timeout))
        answer = self.answers.pop(0) if self.answers else (201, call_resource())
        if isinstance(answer, BaseException):
            raise answer
        status, body = answer
        return Response(status, body if isinstance(body, str) else json.dumps(body))


class LocalTwilioApi:
    """A TCP server on 127.0.0.1 behaving as told for each connection:
    ("answer", status, body) sends an HTTP response; "hang" reads the request and never
    answers; "drop" reads the request and closes the connection. `closed_port()` gives a port
    nobody listens on."""

    def __init__(self, behaviour):
        self.behaviour = behaviour
        self.received: list[bytes] = []
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port = self._server.getsockname()[1]
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        self._server.settimeout(0.1)
        while not self._stop.is_set():
            try:
                conn, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                self.received.append(_read_http_request(conn))
                if self.behaviour == "hang":
                    self._stop.wait(5)
                elif self.behaviour != "drop":
                    _, status, body = self.behaviour
                    payload = json.dumps(body).encode()
                    conn.sendall(
                        f"HTTP/1.1 {status} X\r\nContent-Type: application/json\r\n"
                        f"Content-Length: {len(payload)}\r\nConnection: close\r\n\r\n".encode()
                        + payload
                    )

    def client(self, timeout: float = 2.0) -> TwilioHttpClient:
        return local_twilio_http(self.port, timeout=timeout)

    def close(self):
        self._stop.set()
        self._server.close()
        self._thread.join(timeout=2)

    @staticmethod
    def closed_port() -> int:
        with socket.create_server(("127.0.0.1", 0)) as probe:
            return probe.getsockname()[1]


def local_twilio_http(port: int, *, timeout: float = 2.0) -> TwilioHttpClient:
    """Twilio's own HTTP client, built as the provider builds it, sent to 127.0.0.1:`port`
    instead of api.twilio.com."""

    class Redirected(TwilioHttpClient):
        def request(self, method, url, **kwargs):
            local = url.replace("https://api.twilio.com", f"http://127.0.0.1:{port}")
            return super().request(method, local, **kwargs)

    return Redirected(timeout=timeout, max_retries=0)


def _read_http_request(conn: socket.socket) -> bytes:
    conn.settimeout(2)
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


# --- Webhooks ------------------------------------------------------------------------------------


@dataclasses.dataclass
class Twiml:
    """The parts of a TwiML answer a call follows."""

    status_code: int
    content_type: str
    root: ET.Element | None

    @property
    def gather(self) -> ET.Element | None:
        return self.root.find("Gather") if self.root is not None else None

    @property
    def say(self) -> ET.Element | None:
        if self.root is None:
            return None
        return self.gather.find("Say") if self.gather is not None else self.root.find("Say")

    @property
    def said(self) -> str:
        return self.say.text if self.say is not None else ""

    @property
    def hangs_up(self) -> bool:
        return self.root is not None and self.root.find("Hangup") is not None

    @property
    def redirect(self) -> str:
        found = self.root.find("Redirect") if self.root is not None else None
        return found.text if found is not None else ""


class TwilioCloud:
    """Twilio during one call: signs and posts what Twilio posts, where Twilio posts it."""

    def __init__(self, client, *, url: str, status_callback: str, to: str, call_sid=CALL_SID):
        self.client = client
        self.url = url  # the TwiML URL given at create time (turn 0)
        self.status_callback = status_callback
        self.to = to
        self.call_sid = call_sid
        self.sequence = 0
        self.action = ""  # the current <Gather>'s action: where the next reply goes
        self.last: Twiml | None = None

    @classmethod
    def from_create_request(cls, client, request: RecordedRequest) -> TwilioCloud:
        """The call as placed: the URLs are the ones our create request gave Twilio."""
        return cls(
            client,
            url=request.data["Url"],
            status_callback=request.data["StatusCallback"],
            to=request.data["To"],
        )

    def call_fields(self, call_status: str) -> dict:
        """The fields Twilio sends on every request of an outbound-api call."""
        return {
            "AccountSid": ACCOUNT_SID,
            "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid,
            "CallStatus": call_status,
            "Called": self.to,
            "CalledCity": "",
            "CalledCountry": "IT",
            "CalledState": "",
            "CalledZip": "",
            "Caller": FROM_NUMBER,
            "CallerCity": "",
            "CallerCountry": "US",
            "CallerState": "",
            "CallerZip": "",
            "Direction": "outbound-api",
            "From": FROM_NUMBER,
            "FromCity": "",
            "FromCountry": "US",
            "FromState": "",
            "FromZip": "",
            "To": self.to,
            "ToCity": "",
            "ToCountry": "IT",
            "ToState": "",
            "ToZip": "",
        }

    def post(self, url: str, fields: dict, *, signature=None, signed_url=None, headers=None):
        """POST form fields to one of our URLs, signed for `signed_url` (default: `url`)."""
        parts = urlsplit(url)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if signature is None:
            signature = sign(signed_url or url, fields)
        all_headers = dict(headers or {})
        if signature:
            all_headers["X-Twilio-Signature"] = signature
        return self.client.post(
            path,
            data=urlencode(fields, doseq=True),
            content_type="application/x-www-form-urlencoded",
            headers=all_headers,
        )

    # -- status callbacks -----------------------------------------------------------------------
    def status(self, call_status: str, *, sequence=None, timestamp=None, **extra):
        """A status callback; SequenceNumber counts up from 0 unless given."""
        if sequence is None:
            sequence, self.sequence = self.sequence, self.sequence + 1
        fields = {
            **self.call_fields(call_status),
            "CallbackSource": "call-progress-events",
            "SequenceNumber": str(sequence),
            "Timestamp": timestamp or "Mon, 23 Nov 2026 15:00:00 +0000",
            **extra,
        }
        return self.post(self.status_callback, fields)

    # -- the dialogue ---------------------------------------------------------------------------
    def _follow(self, response) -> Twiml:
        root = ET.fromstring(response.content) if response.status_code == 200 else None
        twiml = Twiml(response.status_code, response.get("Content-Type", ""), root)
        if twiml.gather is not None:
            self.action = twiml.gather.get("action")
        self.last = twiml
        return twiml

    def answer(self, **extra) -> Twiml:
        """The callee picks up: Twilio fetches the TwiML of the call's URL."""
        return self._follow(self.post(self.url, {**self.call_fields("in-progress"), **extra}))

    def reply(self, *, speech=None, confidence=None, digits=None) -> Twiml:
        """The current <Gather> ends: Twilio posts what it heard to the gather's action (nothing
        at all for silence, as with actionOnEmptyResult)."""
        fields = self.call_fields("in-progress")
        if speech is not None:
            fields["SpeechResult"] = speech
            fields["Confidence"] = str(confidence if confidence is not None else 0.9)
        if digits is not None:
            fields["Digits"] = digits
            fields["FinishedOnKey"] = ""
        fields["msg"] = "Gather End"
        return self._follow(self.post(self.action, fields))

    def silence(self) -> Twiml:
        return self.reply()

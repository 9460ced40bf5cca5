"""Webhook bodies are limited to WEBHOOK_MAX_BODY_KB (docs/architecture.md §8): a provider's
events are a few KB, so anything bigger is refused with 413 before it is read — told by its
Content-Length, or, for a chunked body, by reading one byte past the limit — and nothing of it
is stored. Real requests through Django's test client, with a stream that counts what the view
reads from it."""

import io
import json

import pytest
from django.urls import reverse

import calls.webhooks
from calls.models import CallEvent
from calls.telephony.base import WebhookResponse
from calls.telephony.simulator import SIGNATURE_HEADER, sign
from calls.tests.factories import CallAttemptFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

LIMIT_KB = 4
LIMIT = LIMIT_KB * 1024


@pytest.fixture(autouse=True)
def small_limit(settings):
    settings.WEBHOOK_MAX_BODY_KB = LIMIT_KB


@pytest.fixture
def attempt():
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(contact=contact, provider_call_id="")


class CountingStream(io.BytesIO):
    """wsgi.input as a server hands it over (de-chunked), counting the bytes read from it."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk


def ringing_event(attempt, size: int) -> bytes:
    """A genuine, signed-able status event padded with spaces to exactly `size` bytes."""
    body = json.dumps({"call_id": str(attempt.pk), "status": "ringing", "sequence": 2}).encode()
    assert len(body) <= size
    return body + b" " * (size - len(body))


def post(client, attempt, body: bytes, *, chunked: bool):
    stream = CountingStream(body)
    url = reverse(
        "telephony_webhook_status", kwargs={"provider": "simulator", "call_id": attempt.pk}
    )
    headers = {SIGNATURE_HEADER: sign(body)}
    if chunked:
        # As a server passes a chunked request on: no Content-Length, the body de-chunked.
        response = client.generic(
            "POST",
            url,
            headers=headers,
            CONTENT_TYPE="application/json",
            HTTP_TRANSFER_ENCODING="chunked",
            **{"wsgi.input": stream},
        )
    else:
        response = client.generic(
            "POST",
            url,
            data=body,
            content_type="application/json",
            headers=headers,
            **{"wsgi.input": stream},
        )
    return response, stream


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_a_body_at_the_limit_is_accepted(client, attempt, chunked):
    response, stream = post(client, attempt, ringing_event(attempt, LIMIT), chunked=chunked)
    assert response.status_code == 200, response.content
    assert response.json() == {"result": "applied"}
    assert stream.bytes_read == LIMIT
    assert CallEvent.objects.get().status == "ringing"


def test_a_declared_length_over_the_limit_is_refused_unread(client, attempt):
    response, stream = post(client, attempt, ringing_event(attempt, LIMIT + 1), chunked=False)
    assert response.status_code == 413
    assert response.json() == {"detail": f"The body is larger than {LIMIT_KB} KB."}
    assert stream.bytes_read == 0
    assert not CallEvent.objects.exists()


def test_a_chunked_body_over_the_limit_is_refused_after_one_byte_more(client, attempt):
    three_megabytes = ringing_event(attempt, 3 * 1024 * 1024)
    response, stream = post(client, attempt, three_megabytes, chunked=True)
    assert response.status_code == 413
    assert stream.bytes_read == LIMIT + 1
    assert not CallEvent.objects.exists()


def test_a_chunked_form_post_keeps_its_fields(client, attempt, monkeypatch):
    """Form fields (Twilio's posts) come from the body the view read, so a chunked form post
    still has them: Django's request.POST reads a chunked body as no body."""
    seen = {}

    def receive(*, provider_name, kind, call_id, request):
        seen.update(params=dict(request.params), body=request.body)
        return WebhookResponse.json({"result": "seen"})

    monkeypatch.setattr(calls.webhooks, "webhook_receive", receive)
    body = b"CallStatus=ringing&SequenceNumber=1"
    response = client.generic(
        "POST",
        reverse("telephony_webhook_status", kwargs={"provider": "twilio", "call_id": attempt.pk}),
        CONTENT_TYPE="application/x-www-form-urlencoded",
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": CountingStream(body)},
    )
    assert response.status_code == 200
    assert seen == {"params": {"CallStatus": "ringing", "SequenceNumber": "1"}, "body": body}

"""A call's trace id (voicesurvey/tracing.py): the tick that places a call gives it its trace
id, kept on the attempt and sent to the provider in the webhook URLs; the provider's webhooks
come back under it, so the tick's log line, the webhook handler's lines and the call's stored
events share one id, which the call page and the API show."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.urls import reverse

from calls.models import CallAttempt, CallEvent
from calls.scheduler import scheduler_tick
from calls.telephony.simulator import SIGNATURE_HEADER, SimulatorProvider, sign
from calls.telephony.twilio import TwilioProvider
from calls.tests.conftest import simulator_url
from calls.tests.factories import CallAttemptFactory
from calls.tests.twilio_support import FakeTwilioHttp, TwilioCloud, configure
from contacts.tests.factories import ContactFactory
from voicesurvey.tracing import current_trace_id, trace_context

pytestmark = pytest.mark.django_db

MONDAY_15_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def _lines_about(lines: list[dict], call_id) -> list[dict]:
    return [line for line in lines if str(call_id) in line["message"]]


# --- The tick -------------------------------------------------------------------------------------


def test_a_tick_gives_its_calls_its_trace_and_each_tick_has_its_own(
    provider_config, open_campaign, network
):
    ContactFactory.create_batch(3, campaign=open_campaign)
    scheduler_tick(now=MONDAY_15_UTC, provider=network)
    [trace] = set(CallAttempt.objects.values_list("trace_id", flat=True))  # one for the tick
    assert len(trace) == 32
    assert [call.trace_id for call in network.calls] == [trace] * 3

    later = ContactFactory(campaign=open_campaign)
    scheduler_tick(now=MONDAY_15_UTC, provider=network)
    assert CallAttempt.objects.get(contact=later).trace_id != trace  # a new tick, a new id

    # A tick run by a task continues the task's trace (the worker set it from the package).
    queued = ContactFactory(campaign=open_campaign)
    with trace_context("task-1e9d"):
        scheduler_tick(now=MONDAY_15_UTC, provider=network)
    assert CallAttempt.objects.get(contact=queued).trace_id == "task-1e9d"
    assert current_trace_id() == ""


# --- A simulated call, end to end -----------------------------------------------------------------


def test_a_simulated_call_logs_and_stores_its_events_under_the_trace_of_its_tick(
    provider_config, open_campaign, django_capture_on_commit_callbacks, json_logs
):
    provider_config.sim_answer_rate, provider_config.sim_consent_rate = 1, 1
    provider_config.sim_busy_rate = provider_config.sim_no_answer_rate = 0
    provider_config.sim_failure_rate = 0
    provider_config.save()
    ContactFactory(campaign=open_campaign)

    # The callee's steps are django-q tasks (run inline by Q_SYNC), each sending one signed
    # webhook through the handler the HTTP endpoints run.
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduler_tick(now=MONDAY_15_UTC, provider=SimulatorProvider())

    assert run.calls_placed == 1
    attempt = CallAttempt.objects.get()
    trace = attempt.trace_id
    assert len(trace) == 32
    lines = json_logs()
    [tick] = [line for line in lines if line["message"].startswith("scheduler tick:")]
    assert tick["trace_id"] == trace
    events = list(attempt.events.order_by("id"))
    assert len(events) >= 5  # initiated, ringing, answered, the dialogue, completed
    assert {event.payload["trace_id"] for event in events} == {trace}
    handled = _lines_about(lines, attempt.pk)
    assert len(handled) == len(events)  # one line per webhook, each under the tick's trace
    assert {line["trace_id"] for line in handled} == {trace}
    assert handled[0]["message"] == f"simulator status initiated of call {attempt.pk}: applied"
    assert any(" dialogue turn 0 of call " in line["message"] for line in handled)
    assert current_trace_id() == ""


# --- Twilio ---------------------------------------------------------------------------------------


@pytest.fixture
def twilio_call(settings, provider_config, open_campaign, client):
    """One Twilio call placed by a tick (Twilio's REST API faked at the HTTP layer), and
    Twilio's side of it, posting to the URLs the create request gave."""
    configure(settings)
    provider_config.provider = "twilio"
    provider_config.save()
    ContactFactory(campaign=open_campaign, phone_number="+393471234567")
    http = FakeTwilioHttp()
    scheduler_tick(now=MONDAY_15_UTC, provider=TwilioProvider(http_client=http))
    (created,) = http.requests
    return CallAttempt.objects.get(), TwilioCloud.from_create_request(client, created)


def test_twilio_webhooks_run_under_the_call_s_trace_beside_their_own_request_id(
    twilio_call, json_logs
):
    attempt, twilio = twilio_call
    trace = attempt.trace_id
    assert twilio.status_callback.endswith(f"/status?trace={trace}")

    fields = {
        **twilio.call_fields("ringing"),
        "SequenceNumber": "1",
        "Timestamp": "Mon, 23 Nov 2026 15:00:02 +0000",
    }
    response = twilio.post(twilio.status_callback, fields, headers={"X-Request-ID": "edge-77"})
    assert response.status_code == 200
    assert response["X-Request-ID"] == "edge-77"  # the request keeps its own id
    intro = twilio.answer()
    assert f"trace={trace}" in intro.gather.get("action")  # the next turn comes back under it
    twilio.reply(digits="1")

    [ringing] = _lines_about(json_logs(), attempt.pk)[:1]
    assert ringing["message"] == f"twilio status ringing of call {attempt.pk}: applied"
    assert (ringing["trace_id"], ringing["request_id"]) == (trace, "edge-77")
    handled = _lines_about(json_logs(), attempt.pk)
    assert [line["message"].split(" of call ")[0] for line in handled] == [
        "twilio status ringing",
        "twilio dialogue turn 0",
        "twilio dialogue turn 1",
    ]
    assert {line["trace_id"] for line in handled} == {trace}
    assert set(CallEvent.objects.values_list("payload__trace_id", flat=True)) == {trace}
    assert "+39347" not in json.dumps(json_logs())


def test_a_twilio_webhook_with_another_trace_in_its_url_fails_its_signature(twilio_call):
    attempt, twilio = twilio_call
    # Twilio signs the URL with its query string: the trace cannot be swapped.
    forged = twilio.status_callback.replace(attempt.trace_id, "someone-else")
    fields = {**twilio.call_fields("ringing"), "SequenceNumber": "1"}
    response = twilio.post(forged, fields, signed_url=twilio.status_callback)
    assert response.status_code == 403
    assert not CallEvent.objects.exists()


# --- A webhook without a usable trace -------------------------------------------------------------


@pytest.mark.parametrize("query", ["", "?trace=has%20space", "?trace=" + "x" * 65])
def test_a_webhook_without_a_usable_trace_runs_under_its_request_id(client, json_logs, query):
    attempt = CallAttemptFactory()  # placed before traces were kept: no trace id
    body = json.dumps(
        {"call_id": str(attempt.pk), "status": "ringing", "sequence": 2, "provider_call_id": "S"}
    ).encode()
    response = client.post(
        simulator_url(attempt.pk) + query,
        data=body,
        content_type="application/json",
        headers={SIGNATURE_HEADER: sign(body), "X-Request-ID": "edge-0042"},
    )
    assert response.status_code == 200
    [line] = _lines_about(json_logs(), attempt.pk)
    assert (line["trace_id"], line["request_id"]) == ("edge-0042", "edge-0042")
    assert CallEvent.objects.get().payload["trace_id"] == "edge-0042"


# --- Where a person finds it ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_the_call_page_shows_the_trace_id_to_managers_and_admins(persona_client, status):
    attempt = CallAttemptFactory(trace_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    response = persona_client.get(reverse("call_detail", args=[attempt.pk]))
    assert response.status_code == status
    shown = b"<code data-trace-id>0f1e2d3c4b5a69788796a5b4c3d2e1f0</code>" in response.content
    assert shown == (status == 200)


def test_the_call_page_says_when_a_call_has_no_trace_id(client, manager_user):
    client.force_login(manager_user)
    response = client.get(reverse("call_detail", args=[CallAttemptFactory().pk]))
    assert b"data-trace-id" not in response.content
    assert "<dt>Trace id</dt><dd>—</dd>" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_the_api_gives_the_trace_id_to_managers_and_admins(persona_api, status):
    attempt = CallAttemptFactory(trace_id="0f1e2d3c4b5a69788796a5b4c3d2e1f0")
    response = persona_api.get(f"/api/calls/{attempt.pk}")
    assert response.status_code == status
    if status == 200:
        assert response.json()["trace_id"] == "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
    else:
        assert "trace_id" not in response.json()

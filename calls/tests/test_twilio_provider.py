"""The Twilio provider's REST side: what a dial sends to Twilio, and what each answer (or
network failure) does to the attempt, the contact and dialling — through scheduler ticks,
with Twilio's cloud replaced at the HTTP layer only."""

import datetime as dt
import json

import pytest
import requests
import urllib3
from twilio.http.http_client import TwilioHttpClient

from calls.models import CallAttempt, CallEvent, ProviderConfig
from calls.scheduler import scheduler_tick
from calls.services import call_attempts_reconcile
from calls.telephony.base import ProviderNotConfigured
from calls.telephony.providers import provider_get
from calls.telephony.twilio import TwilioProvider
from calls.tests.twilio_support import (
    ACCOUNT_SID,
    API_CALLS_URL,
    AUTH_TOKEN,
    CALL_SID,
    FROM_NUMBER,
    PUBLIC_BASE_URL,
    FakeTwilioHttp,
    LocalTwilioApi,
    TwilioCloud,
    call_resource,
    configure,
    error_body,
    local_twilio_http,
)
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MONDAY_15_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def twilio(settings, provider_config):
    configure(settings)
    provider_config.provider = "twilio"
    provider_config.save()
    return provider_config


def tick(http):
    return scheduler_tick(now=MONDAY_15_UTC, provider=TwilioProvider(http_client=http))


def reload(obj):
    obj.refresh_from_db()
    return obj


# --- What a dial sends ---------------------------------------------------------------------------


def test_a_dial_creates_the_call_with_our_webhook_urls(twilio, open_campaign):
    contact = ContactFactory(campaign=open_campaign, phone_number="+393471234567")
    http = FakeTwilioHttp((201, call_resource(CALL_SID, to=contact.phone_number)))
    run = tick(http)

    assert (run.calls_placed, run.errors) == (1, 0)
    attempt = CallAttempt.objects.get()
    (sent,) = http.requests
    assert (sent.method, sent.url, sent.auth) == ("POST", API_CALLS_URL, (ACCOUNT_SID, AUTH_TOKEN))
    webhooks = f"{PUBLIC_BASE_URL}/webhooks/telephony/twilio/{attempt.pk}"
    # The tick's trace id comes back with every webhook of the call (voicesurvey/tracing.py).
    trace = attempt.trace_id
    assert len(trace) == 32
    assert sent.data == {
        "To": "+393471234567",
        "From": FROM_NUMBER,
        "Url": f"{webhooks}/dialogue?turn=0&trace={trace}",
        "Method": "POST",
        "StatusCallback": f"{webhooks}/status?trace={trace}",
        "StatusCallbackMethod": "POST",
        "StatusCallbackEvent": ["initiated", "ringing", "answered", "completed"],
        "Timeout": 30,
    }
    assert (attempt.provider, attempt.provider_call_id, attempt.outcome) == (
        "twilio",
        CALL_SID,
        None,
    )
    assert reload(contact).state == ContactState.IN_PROGRESS


def test_the_caller_id_of_the_provider_configuration_wins(twilio, open_campaign, settings):
    twilio.outbound_number = "+390212345678"
    twilio.save()
    settings.TWILIO_CALL_TIMEOUT_SECONDS = 45
    ContactFactory(campaign=open_campaign)
    http = FakeTwilioHttp()
    tick(http)
    assert (http.requests[0].data["From"], http.requests[0].data["Timeout"]) == (
        "+390212345678",
        45,
    )


@pytest.mark.parametrize("mode", ["Enable", "DetectMessageEnd"])
def test_answering_machine_detection_is_asked_for_when_set(twilio, open_campaign, settings, mode):
    settings.TWILIO_MACHINE_DETECTION = mode
    ContactFactory(campaign=open_campaign)
    http = FakeTwilioHttp()
    tick(http)
    assert http.requests[0].data["MachineDetection"] == mode


# --- Twilio refuses one number: that attempt fails and counts -----------------------------------


@pytest.mark.parametrize(
    ("status", "code", "message", "error_code"),
    [
        (
            400,
            21211,
            "The 'To' number +393471234567 is not a valid phone number.",
            "invalid_number",
        ),
        (400, 21217, "Phone number does not appear to be valid", "invalid_number"),
        (400, 13224, "Twilio does not support calling this number", "invalid_number"),
        (400, 21214, "'To' phone number cannot be reached", "unreachable"),
        (
            400,
            21215,
            "Account not authorized to call +393471234567. Perhaps you need to enable some "
            "international permissions: https://www.twilio.com/console/voice/calls/geo-permissions",
            "geo_permission",
        ),
        (403, 21215, "Geo permission configuration is not permitting call", "geo_permission"),
        (400, 21216, "Call blocked by Twilio blocklist", "blocked"),
        (
            400,
            21219,
            "The number +393471234567 is unverified. Trial accounts may only make calls to "
            "verified numbers.",
            "unverified_number",
        ),
        (400, 21999, "Something new about +393471234567", "rejected"),
    ],
)
def test_a_number_twilio_refuses_fails_its_attempt_and_dialling_goes_on(
    twilio, open_campaign, caplog, status, code, message, error_code
):
    refused = ContactFactory(campaign=open_campaign, phone_number="+393471234567")
    other = ContactFactory(campaign=open_campaign)
    http = FakeTwilioHttp((status, error_body(status, code, message)), (201, call_resource()))
    run = tick(http)

    assert (run.calls_placed, run.errors) == (1, 1)
    assert len(http.requests) == 2  # the next contact is dialled all the same
    attempt = CallAttempt.objects.get(contact=refused)
    assert (attempt.outcome, attempt.error_code) == ("failed", f"{error_code}:{code}")
    refused = reload(refused)
    assert (refused.state, refused.attempts_count) == (ContactState.PENDING, 1)  # it counts
    assert reload(other).state == ContactState.IN_PROGRESS
    assert reload(twilio).dialling_paused_until is None
    # Twilio's message quotes the number; it reaches neither the logs nor the run's record.
    assert "+39347" not in caplog.text
    assert "+39347" not in json.dumps(run.details)


# --- Twilio is unavailable, or refuses us: no attempt used, dialling backs off --------------------


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, error_body(401, 20003, "Authenticate")),
        (403, error_body(403, 20005, "Account not active")),
        (404, error_body(404, 20404, "The requested resource was not found")),
        (429, error_body(429, 20429, "Too Many Requests")),
        (500, error_body(500, 20500, "An internal server error has occurred")),
        (503, "<html><body>Service Unavailable</body></html>"),
        (400, error_body(400, 21212, "The 'From' number +1500555 is not a valid phone number")),
        (400, error_body(400, 21210, "The source phone number provided is not yet verified")),
    ],
)
def test_an_outage_uses_no_attempt_and_pauses_dialling(twilio, open_campaign, status, body):
    first = ContactFactory(campaign=open_campaign)
    second = ContactFactory(campaign=open_campaign)
    http = FakeTwilioHttp((status, body))
    run = tick(http)

    assert (run.calls_placed, run.errors) == (0, 1)
    assert len(http.requests) == 1  # nobody else is dialled into the outage
    assert run.details["outage"].startswith(f"Twilio answered HTTP {status}")
    for contact in (first, second):
        contact = reload(contact)
        assert (contact.state, contact.attempts_count) == (ContactState.PENDING, 0)
    assert set(CallAttempt.objects.values_list("outcome", "error_code")) == {
        ("failed", "provider_unavailable")
    }
    assert reload(twilio).dialling_paused_until > MONDAY_15_UTC


def test_a_refused_connection_is_an_outage(twilio, open_campaign):
    contact = ContactFactory(campaign=open_campaign)
    run = tick(local_twilio_http(LocalTwilioApi.closed_port(), timeout=1))
    assert run.details["outage"] == "Twilio could not be reached (ConnectionError)."
    assert reload(contact).attempts_count == 0
    assert reload(twilio).dialling_paused_until is not None


@pytest.mark.parametrize(
    "failure",
    [
        requests.ConnectTimeout("connect timed out"),
        requests.ConnectionError(
            urllib3.exceptions.MaxRetryError(None, "/Calls.json", reason="Name does not resolve")
        ),
        requests.exceptions.SSLError("certificate verify failed"),
    ],
)
def test_a_request_that_never_left_is_an_outage(twilio, open_campaign, failure):
    contact = ContactFactory(campaign=open_campaign)
    run = tick(FakeTwilioHttp(failure))
    assert run.details["outage"].startswith("Twilio could not be reached")
    assert (reload(contact).state, reload(contact).attempts_count) == (ContactState.PENDING, 0)


# --- An answer lost after the request was sent: the call may exist ------------------------------


@pytest.fixture
def hanging_twilio():
    api = LocalTwilioApi("hang")
    yield api
    api.close()


@pytest.fixture
def dropping_twilio():
    api = LocalTwilioApi("drop")
    yield api
    api.close()


@pytest.mark.parametrize("server", ["hanging_twilio", "dropping_twilio"])
def test_a_lost_answer_keeps_the_attempt_in_flight_and_is_never_retried(
    twilio, open_campaign, client, request, server
):
    api = request.getfixturevalue(server)
    contact = ContactFactory(campaign=open_campaign)
    run = tick(api.client(timeout=0.3))

    # Sent once (no retry that could ring twice), not given back (no second dial later).
    assert len(api.received) == 1
    assert b"POST /2010-04-01/Accounts/" in api.received[0]
    assert (run.calls_placed, run.errors) == (1, 0)
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.provider_call_id) == (None, "")
    assert reload(contact).state == ContactState.IN_PROGRESS
    assert reload(twilio).dialling_paused_until is None

    # Twilio did create it: its callbacks find the attempt by our call id in the URL.
    webhooks = f"{PUBLIC_BASE_URL}/webhooks/telephony/twilio/{attempt.pk}"
    cloud = TwilioCloud(
        client, url=f"{webhooks}/dialogue?turn=0", status_callback=f"{webhooks}/status", to="+1"
    )
    assert cloud.status("ringing", sequence=1).status_code == 200
    assert reload(attempt).provider_call_id == CALL_SID


@pytest.mark.parametrize(
    "answer",
    [
        requests.ReadTimeout("read timed out"),
        requests.exceptions.ChunkedEncodingError("response ended prematurely"),
        (201, "<html>A proxy's idea of a Call resource</html>"),
    ],
)
def test_an_unknown_outcome_is_neither_retried_nor_given_back(twilio, open_campaign, answer):
    contact = ContactFactory(campaign=open_campaign)
    http = FakeTwilioHttp(answer)
    run = tick(http)
    assert len(http.requests) == 1
    assert run.errors == 0
    assert CallAttempt.objects.get().outcome is None
    assert reload(contact).state == ContactState.IN_PROGRESS


def test_a_lost_call_that_never_calls_back_is_closed_by_reconciliation(twilio, open_campaign):
    contact = ContactFactory(campaign=open_campaign)
    tick(FakeTwilioHttp(requests.ReadTimeout("read timed out")))
    assert call_attempts_reconcile(now=MONDAY_15_UTC + dt.timedelta(minutes=16)) == 1
    attempt = CallAttempt.objects.get()
    assert (attempt.outcome, attempt.error_code) == ("failed", "timeout")
    assert reload(contact).state == ContactState.PENDING  # retried later, like any failure


def test_a_real_http_round_trip_through_twilios_own_client(twilio, open_campaign):
    api = LocalTwilioApi(("answer", 201, call_resource("CA" + "7" * 32)))
    try:
        ContactFactory(campaign=open_campaign, phone_number="+393471234567")
        run = tick(api.client())
    finally:
        api.close()
    assert run.calls_placed == 1
    assert CallAttempt.objects.get().provider_call_id == "CA" + "7" * 32
    body = api.received[0].partition(b"\r\n\r\n")[2]
    assert b"To=%2B393471234567" in body
    assert b"StatusCallbackEvent=initiated" in body


# --- Getting the provider ------------------------------------------------------------------------


def test_production_uses_twilios_http_client_with_our_timeout_and_no_retries(twilio, settings):
    settings.TWILIO_HTTP_TIMEOUT_SECONDS = 7.5
    http = TwilioProvider().client.http_client
    assert isinstance(http, TwilioHttpClient)
    assert http.timeout == 7.5
    assert http.session.get_adapter("https://api.twilio.com").max_retries.total == 0


def test_provider_get_gives_twilio_when_selected_and_configured(twilio):
    assert isinstance(provider_get(), TwilioProvider)


def test_provider_get_says_what_is_missing(settings, provider_config):
    configure(settings, TWILIO_AUTH_TOKEN="", PUBLIC_BASE_URL="")
    provider_config.provider = "twilio"
    provider_config.save()
    with pytest.raises(ProviderNotConfigured) as excinfo:
        provider_get()
    assert str(excinfo.value).startswith(
        "Twilio is selected but not configured: TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL are not set."
    )
    assert AUTH_TOKEN not in str(excinfo.value)


def test_without_twilio_settings_the_simulator_still_dials(
    settings, provider_config, open_campaign, django_capture_on_commit_callbacks
):
    configure(settings, TWILIO_ACCOUNT_SID="", TWILIO_AUTH_TOKEN="", TWILIO_FROM_NUMBER="")
    # A callee that always answers: the seed is per contact, and a few callees are unreachable.
    provider_config.sim_answer_rate, provider_config.sim_failure_rate = 1, 0
    provider_config.sim_busy_rate = provider_config.sim_no_answer_rate = 0
    provider_config.save()
    ContactFactory(campaign=open_campaign)
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduler_tick(now=MONDAY_15_UTC)
    assert run.calls_placed == 1
    assert CallAttempt.objects.get().provider == "simulator"
    assert ProviderConfig.objects.get().provider == "simulator"
    assert CallEvent.objects.exists()  # the simulated callee ran through the webhooks

"""Who may post to the Twilio webhooks: requests signed with our auth token for the public URL
(PUBLIC_BASE_URL, with or without the default port; the proxy's URL only when
TRUST_PROXY_HEADERS is on). Anything else is 403 before the call is even looked up, and
changes nothing."""

import pytest
from twilio.request_validator import RequestValidator

from calls.models import CallEvent
from calls.telephony.twilio import TwilioProvider
from calls.tests.factories import CallAttemptFactory
from calls.tests.twilio_support import AUTH_TOKEN, TwilioCloud, configure, sign
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

MISSING_CALL = "0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a"


@pytest.fixture
def attempt(settings):
    configure(settings)
    contact = ContactFactory(state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(contact=contact, provider="twilio", provider_call_id="")


def cloud_for(client, call_id, base=None):
    """Twilio's side of a call, with its URLs at `base` (default: PUBLIC_BASE_URL)."""
    provider = TwilioProvider()
    url, status = provider.dialogue_url(str(call_id), turn=0), provider.status_url(str(call_id))
    if base is not None:
        from django.conf import settings

        url = url.replace(settings.PUBLIC_BASE_URL, base)
        status = status.replace(settings.PUBLIC_BASE_URL, base)
    return TwilioCloud(client, url=url, status_callback=status, to="+393471234567")


@pytest.fixture
def cloud(client, attempt):
    return cloud_for(client, attempt.pk)


def unchanged(attempt):
    attempt.refresh_from_db()
    return not CallEvent.objects.exists() and attempt.outcome is None and not attempt.metadata


def status_fields(cloud, call_status="busy"):
    return {**cloud.call_fields(call_status), "SequenceNumber": "2", "CallbackSource": "x"}


def test_our_signatures_are_twilios():
    url = "https://surveys.example.com/webhooks/telephony/twilio/abc/status"
    params = {"CallSid": "CA1", "CallStatus": "ringing", "Digits": "", "Called": "+39347"}
    assert sign(url, params) == RequestValidator(AUTH_TOKEN).compute_signature(url, params)


def test_a_signed_request_is_accepted(cloud, attempt):
    assert cloud.post(cloud.status_callback, status_fields(cloud)).status_code == 200
    attempt.refresh_from_db()
    assert attempt.outcome == "busy"


@pytest.mark.parametrize(
    "signature",
    ["", "not-base64!", "0" * 28, sign("https://surveys.example.com/other", {"CallSid": "CA1"})],
)
@pytest.mark.parametrize("kind", ["status", "dialogue"])
def test_a_bad_or_missing_signature_is_403_and_changes_nothing(cloud, attempt, signature, kind):
    url = cloud.status_callback if kind == "status" else cloud.url
    response = cloud.post(url, status_fields(cloud), signature=signature)
    assert response.status_code == 403
    assert response.json() == {"detail": "Invalid or missing webhook signature."}
    assert unchanged(attempt)


def test_a_signature_made_with_another_auth_token_is_refused(cloud, attempt):
    fields = status_fields(cloud)
    forged = sign(cloud.status_callback, fields, token="someone-elses-token")
    assert cloud.post(cloud.status_callback, fields, signature=forged).status_code == 403
    assert unchanged(attempt)


def test_a_tampered_field_is_refused(cloud, attempt):
    signed = sign(cloud.status_callback, status_fields(cloud, "ringing"))
    tampered = status_fields(cloud, "completed")
    assert cloud.post(cloud.status_callback, tampered, signature=signed).status_code == 403
    assert unchanged(attempt)


def test_a_genuine_request_replayed_against_another_call_is_refused(client, cloud, attempt):
    other = CallAttemptFactory(provider="twilio")
    genuine = sign(cloud.status_callback, status_fields(cloud))
    other_cloud = cloud_for(client, other.pk)
    response = other_cloud.post(
        other_cloud.status_callback, status_fields(cloud), signature=genuine
    )
    assert response.status_code == 403
    other.refresh_from_db()
    assert other.outcome is None
    assert unchanged(attempt)


def test_the_signature_is_checked_before_the_call_is_looked_up(client, attempt):
    missing = cloud_for(client, MISSING_CALL)
    fields = status_fields(missing)
    assert missing.post(missing.status_callback, fields, signature="bad").status_code == 403
    assert missing.post(missing.status_callback, fields).status_code == 404
    assert missing.answer().status_code == 404  # signed, for a call that does not exist


# --- URL variants --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("public", "signed_for"),
    [
        # Twilio may sign with the default port or without it, whichever we were given.
        ("https://surveys.example.com", "https://surveys.example.com:443"),
        ("https://surveys.example.com:443", "https://surveys.example.com"),
        ("http://surveys.example.com", "http://surveys.example.com:80"),
        ("https://surveys.example.com:8443", "https://surveys.example.com:8443"),
    ],
)
def test_port_variants_of_the_public_url_are_accepted(
    client, settings, attempt, public, signed_for
):
    settings.PUBLIC_BASE_URL = public
    cloud = cloud_for(client, attempt.pk)
    fields = status_fields(cloud)
    signed_url = cloud.status_callback.replace(public, signed_for)
    response = cloud.post(cloud.status_callback, fields, signature=sign(signed_url, fields))
    assert response.status_code == 200


def test_a_public_url_with_a_path_prefix_the_proxy_strips(client, settings, attempt):
    settings.PUBLIC_BASE_URL = "https://example.com/surveys"
    cloud = cloud_for(client, attempt.pk)
    assert cloud.status_callback.startswith("https://example.com/surveys/webhooks/telephony/")
    fields = status_fields(cloud)
    # Twilio calls the prefixed URL we gave it; the app receives the path without the prefix.
    arrives_at = cloud.status_callback.replace("/surveys/", "/")
    signature = sign(cloud.status_callback, fields)
    assert cloud.post(arrives_at, fields, signature=signature).status_code == 200


@pytest.mark.parametrize(
    "signed_for",
    [
        "http://surveys.example.com",  # another scheme
        "https://surveys.example.org",  # another host
        "https://surveys.example.com/elsewhere",  # another path
        "http://testserver",  # the Host header the request came with: not the public URL
    ],
)
def test_a_signature_for_another_url_is_refused(cloud, attempt, signed_for):
    fields = status_fields(cloud)
    signed_url = cloud.status_callback.replace("https://surveys.example.com", signed_for)
    response = cloud.post(cloud.status_callback, fields, signature=sign(signed_url, fields))
    assert response.status_code == 403
    assert unchanged(attempt)


def test_the_dialogue_query_string_is_part_of_what_is_signed(cloud, attempt):
    fields = cloud.call_fields("in-progress")
    wrong_turn = cloud.url.replace("turn=0", "turn=5")
    assert cloud.post(cloud.url, fields, signature=sign(wrong_turn, fields)).status_code == 403
    assert cloud.post(cloud.url, fields).status_code == 200


PROXIED = {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "calls.example.org"}


@pytest.mark.parametrize(
    ("headers", "signed_for"),
    [
        (PROXIED, "https://calls.example.org"),
        (
            {"X-Forwarded-Proto": "https, http", "X-Forwarded-Host": "calls.example.org, app:8000"},
            "https://calls.example.org",
        ),
        # The scheme only (nginx passing the Host through): its Host header.
        ({"X-Forwarded-Proto": "https", "Host": "localhost"}, "https://localhost"),
        ({"X-Forwarded-Proto": "https", "X-Forwarded-Host": "calls.example.org:443"}, None),
    ],
)
def test_the_proxys_url_is_accepted_when_trusted(cloud, attempt, settings, headers, signed_for):
    settings.TRUST_PROXY_HEADERS = True
    fields = status_fields(cloud)
    base = signed_for or "https://calls.example.org:443"
    signed_url = cloud.status_callback.replace("https://surveys.example.com", base)
    response = cloud.post(
        cloud.status_callback, fields, signature=sign(signed_url, fields), headers=headers
    )
    assert response.status_code == 200
    # The public URL itself is still accepted behind the proxy.
    fields["SequenceNumber"] = "3"
    assert cloud.post(cloud.status_callback, fields, headers=headers).status_code == 200


def test_the_proxys_headers_are_ignored_unless_trusted(cloud, attempt, settings):
    settings.TRUST_PROXY_HEADERS = False
    fields = status_fields(cloud)
    signed_url = cloud.status_callback.replace(
        "https://surveys.example.com", "https://calls.example.org"
    )
    response = cloud.post(
        cloud.status_callback, fields, signature=sign(signed_url, fields), headers=PROXIED
    )
    assert response.status_code == 403
    assert unchanged(attempt)


@pytest.mark.parametrize(
    "headers",
    [
        {"X-Forwarded-Proto": "gopher", "X-Forwarded-Host": "calls.example.org"},
        {"X-Forwarded-Proto": "https", "X-Forwarded-Host": "calls.example.org/evil?"},
    ],
)
def test_nonsense_in_the_proxys_headers_is_not_used(cloud, attempt, settings, headers):
    settings.TRUST_PROXY_HEADERS = True
    fields = status_fields(cloud)
    host = headers["X-Forwarded-Host"]
    signed_url = cloud.status_callback.replace(
        "https://surveys.example.com", f"{headers['X-Forwarded-Proto']}://{host}"
    )
    response = cloud.post(
        cloud.status_callback, fields, signature=sign(signed_url, fields), headers=headers
    )
    assert response.status_code == 403


# --- Twilio not configured -----------------------------------------------------------------------


def test_without_credentials_the_twilio_webhooks_do_not_exist(client, settings, attempt):
    cloud = cloud_for(client, attempt.pk)
    fields = status_fields(cloud)
    settings.TWILIO_AUTH_TOKEN = ""
    response = cloud.post(
        cloud.status_callback, fields, signature=sign(cloud.status_callback, fields)
    )
    assert response.status_code == 404
    assert response.json() == {"detail": "Unknown telephony provider."}
    assert unchanged(attempt)

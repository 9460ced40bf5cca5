"""The API against its own OpenAPI schema (schemathesis, in process; docs/architecture.md §10).

Every operation is fuzzed from the schema, and every answer must be what the schema says: no
server error, a documented status code, a documented content type and a body that matches the
documented schema (schemathesis' response-conformance checks). As an admin, so every operation
is reached; most generated requests name real objects (in several states), so that success and
refusal answers are checked as well as the 404s of made-up ids. Then each read is made once
with real objects, as an admin and as a viewer (masked numbers, no emails), so that whole
bodies — nulls included — are checked."""

from __future__ import annotations

import datetime as dt
import zlib
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.utils import timezone
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from knox.models import AuthToken
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from calls.models import CallOutcome
from calls.tests.factories import (
    CallAttemptFactory,
    CallEventFactory,
    SurveyEventFactory,
    SurveyResponseFactory,
)
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState, RejectedRows
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from exports.models import ExportJob, ExportStatus
from exports.services import export_expire_old, export_generate
from exports.storage import export_download_link
from exports.tests.factories import ExportJobFactory
from integrations.fanout import webhook_events_fan_out
from integrations.models import WebhookSubscription
from integrations.services import webhook_subscription_create

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


@pytest.fixture
def keep_the_test_connection():
    """A WSGI request closes the database connection when it ends, and with it the test's
    transaction (PostgreSQL); Django's own test client stops that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@dataclass
class Scene:
    ids: dict[str, list[str]]  # path parameter → real objects' ids, the fullest first
    download_token: str  # a valid ?token= for the completed export's download link


@pytest.fixture
def scene(settings, tmp_path, keep_the_test_connection, admin_user) -> Scene:
    """Something of everything the API shows: a running campaign with contacts in several
    states, a finished call with answers and events, one in flight, an exclusion, a completed
    and an expired export, and a campaign nobody created (created_by null)."""
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "media")},
        },
    }
    campaign = CampaignFactory(status=CampaignStatus.RUNNING, starts_at=timezone.now())
    draft = CampaignFactory(created_by=None)
    completed = ContactFactory(
        campaign=campaign,
        state=ContactState.COMPLETED,
        email="ada@example.org",
        attempts_count=1,
        last_attempt_at=timezone.now(),
        last_outcome=CallOutcome.COMPLETED,
    )
    ContactFactory(campaign=campaign)  # pending, never tried: nulls
    ended = timezone.now()
    call = CallAttemptFactory(
        contact=completed,
        outcome=CallOutcome.COMPLETED,
        answered_at=ended - dt.timedelta(seconds=70),
        ended_at=ended,
        transcript="Q1: 8",
    )
    CallEventFactory(attempt=call)
    SurveyResponseFactory(contact=completed, answer_values={"q1": "8", "q3": "Faster, please"})
    CallAttemptFactory(contact=ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS))
    exclusion = ExclusionEntryFactory()
    # An upload's rejected rows, the admin's (only the uploader may download them).
    rejected = RejectedRows.objects.create(
        created_by=admin_user, campaign=campaign, header=["phone"], rows=[[2, ["bad"], "Nope."]]
    )

    expired = export_generate(job=ExportJobFactory(campaign=campaign))
    ExportJob.objects.filter(pk=expired.pk).update(completed_at=ended - dt.timedelta(days=400))
    export_expire_old()
    job = export_generate(job=ExportJobFactory(campaign=campaign))
    assert job.status == ExportStatus.COMPLETED, job.error_message
    failed = ExportJobFactory(campaign=draft, status=ExportStatus.FAILED, error_message="x")
    link = export_download_link(job=job)
    assert link is not None
    # An outbound webhook subscription with a delivery of the survey's event waiting.
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1"]
    subscription, _secret = webhook_subscription_create(
        actor=None,
        fields={"url": "http://127.0.0.1:9/hooks", "event_types": ["survey.completed"]},
    )
    WebhookSubscription.objects.filter(pk=subscription.pk).update(
        created_at=ended - dt.timedelta(hours=1)
    )
    SurveyEventFactory(contact=completed, campaign=campaign, call_attempt=call, created_at=ended)
    assert webhook_events_fan_out(now=timezone.now()) == 1
    return Scene(
        ids={
            "campaign_id": [str(campaign.pk), str(draft.pk)],
            "call_id": [str(call.pk)],
            "entry_id": [str(exclusion.pk)],
            "rejected_id": [str(rejected.pk)],
            "job_id": [str(job.pk), str(expired.pk), str(failed.pk)],
            "subscription_id": [str(subscription.pk)],
        },
        download_token=parse_qs(urlsplit(link.url).query)["token"][0],
    )


def _token_header(user) -> dict[str, str]:
    return {"Authorization": f"Token {AuthToken.objects.create(user=user)[1]}"}


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,  # the same cases on every run
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_answer_matches_the_schema(case, scene, admin_user):
    # Chosen by the case's content, so that runs repeat: a real object, or the made-up id.
    choice = zlib.crc32(repr(case.path_parameters).encode())
    for name, value in (case.path_parameters or {}).items():
        real = scene.ids.get(name, [])
        case.path_parameters[name] = (real + [value])[choice % (len(real) + 1)]
    response = case.call(headers=_token_header(admin_user))
    case.validate_response(response, checks=CHECKS)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.parametrize("persona", ["admin", "viewer"], indirect=True)
def test_every_read_of_real_objects_matches_the_schema(scene, persona):
    headers = _token_header(persona)
    reads = [
        operation
        for result in schema.get_all_operations()
        if (operation := result.ok()).method.upper() == "GET"
    ]
    assert len(reads) >= 15
    for operation in reads:
        path_parameters = {
            parameter.name: scene.ids[parameter.name][0] for parameter in operation.path_parameters
        }
        query = {"token": scene.download_token} if operation.path.endswith("/download") else None
        case = operation.Case(path_parameters=path_parameters, query=query)
        response = case.call(headers=headers)
        if persona.role == "admin":  # it may do everything: every read succeeds
            assert response.status_code in (200, 202), (operation.label, response.text[:300])
        case.validate_response(response, checks=CHECKS)

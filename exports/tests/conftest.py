"""Fixtures for the export tests: storage (a local folder per test, or S3 through a real
S3-speaking HTTP server), and a campaign with contacts in every state."""

from __future__ import annotations

import csv
import datetime as dt
import io
import uuid
from dataclasses import dataclass

import boto3
import pytest
from django.core.files.storage import default_storage
from moto.server import ThreadedMotoServer

from calls.tests.factories import SurveyResponseFactory
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState
from contacts.tests.factories import ContactFactory
from exports.models import ExportJob

UTC = dt.UTC


@pytest.fixture(autouse=True)
def local_storage(settings, tmp_path):
    """Every export test writes to its own folder, never to the shared MEDIA_ROOT."""
    location = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(location), "base_url": "/media/"},
        },
    }
    return location


@pytest.fixture
def broken_storage(settings, tmp_path):
    """A local storage whose folder cannot be created (a file sits where it should be)."""
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(blocker / "media")},
        },
    }


def bulk_contacts(campaign, count: int, *, state: str, id_padding: int = 0) -> list[Contact]:
    """`count` contacts in one insert; `id_padding` lengthens each row of the file."""
    return Contact.objects.bulk_create(
        Contact(
            campaign=campaign,
            external_contact_id=f"EXT-{n:06d}" + "x" * id_padding,
            phone_number=f"+39347{n:07d}",
            timezone="Europe/Rome",
            state=state,
            attempts_count=1,
        )
        for n in range(count)
    )


@pytest.fixture(scope="session")
def moto_endpoint():
    """moto's S3 server on a free port, in this process: real HTTP, real boto3."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


def _s3_client(endpoint: str):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        region_name="us-east-1",
    )


def s3_storage_settings(endpoint: str, bucket: str, expiry: int = 3600) -> dict:
    """STORAGES["default"] as settings.py builds it for AWS_STORAGE_BUCKET_NAME."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": "testing",
            "secret_key": "testing",
            "addressing_style": "path",
            "signature_version": "s3v4",
            "querystring_auth": True,
            "querystring_expire": expiry,
            "file_overwrite": False,
            "default_acl": None,
            "location": "",
        },
    }


@pytest.fixture
def s3_bucket(settings, moto_endpoint):
    """Exports go to a fresh bucket on the moto server (created here: django-storages does
    not create buckets). Gives the boto3 client and the bucket name."""
    bucket = f"exports-{uuid.uuid4().hex[:12]}"
    client = _s3_client(moto_endpoint)
    client.create_bucket(Bucket=bucket)
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage_settings(moto_endpoint, bucket, settings.EXPORT_URL_EXPIRY_SECONDS),
    }
    return client, bucket


@dataclass
class EveryState:
    campaign: object
    contacts: dict  # name -> Contact
    responses: dict  # name -> SurveyResponse


LAST_ATTEMPT = dt.datetime(2026, 11, 20, 9, 30, 15, 123456, tzinfo=UTC)
COMPLETED_AT = dt.datetime(2026, 11, 20, 9, 34, 2, tzinfo=UTC)


@pytest.fixture
def every_state(db):
    """A running campaign with contacts in every state, awkward text (commas, quotes, new
    lines, unicode, formula starts) and one contact of another campaign."""
    campaign = CampaignFactory(status=CampaignStatus.RUNNING, name="Customer survey, Q4")
    contacts = {
        "completed": ContactFactory(
            campaign=campaign,
            state=ContactState.COMPLETED,
            external_contact_id='CRM-1, "gold"',
            phone_number="+393471000001",
            attempts_count=2,
            # Given in Rome time: the file says UTC.
            last_attempt_at=LAST_ATTEMPT.astimezone(dt.timezone(dt.timedelta(hours=1))),
        ),
        "formulas": ContactFactory(
            campaign=campaign,
            state=ContactState.COMPLETED,
            external_contact_id='=HYPERLINK("http://evil.example","x")',
            phone_number="+393471000002",
            attempts_count=1,
            last_attempt_at=LAST_ATTEMPT,
        ),
        "refused": ContactFactory(
            campaign=campaign,
            state=ContactState.REFUSED,
            external_contact_id="@crm-3",
            phone_number="+393471000003",
            attempts_count=1,
            last_attempt_at=LAST_ATTEMPT,
        ),
        "not_reached": ContactFactory(
            campaign=campaign,
            state=ContactState.NOT_REACHED,
            external_contact_id="\rCRM-4",  # a carriage return first: neutralised too
            phone_number="+447700900004",
            attempts_count=3,
            last_attempt_at=LAST_ATTEMPT,
        ),
        "excluded": ContactFactory(
            campaign=campaign,
            state=ContactState.EXCLUDED,
            external_contact_id="",
            phone_number="+393471000005",
            do_not_call=True,
        ),
        "pending": ContactFactory(
            campaign=campaign, state=ContactState.PENDING, phone_number="+393471000006"
        ),
        "in_progress": ContactFactory(
            campaign=campaign,
            state=ContactState.IN_PROGRESS,
            phone_number="+393471000007",
            attempts_count=1,
            last_attempt_at=LAST_ATTEMPT,
        ),
        "other_campaign": ContactFactory(state=ContactState.COMPLETED),
    }
    responses = {
        "completed": SurveyResponseFactory(
            contact=contacts["completed"],
            answer_values={
                "q1": "8",
                "q2": "2",
                "q3": 'Faster, "friendlier" support\nand più cortesia ✓',
            },
            completed_at=COMPLETED_AT,
        ),
        "formulas": SurveyResponseFactory(
            contact=contacts["formulas"],
            answer_values={"q1": "+1", "q2": "-2", "q3": "\tcmd; \rthen =1+1"},
            completed_at=COMPLETED_AT,
        ),
        "other_campaign": SurveyResponseFactory(contact=contacts["other_campaign"]),
    }
    return EveryState(campaign=campaign, contacts=contacts, responses=responses)


def expected_rows(every: EveryState) -> dict[str, list[str]]:
    """The file's rows for `every_state`, by contact id, as Python's csv reader returns them."""
    c = every.contacts
    last, done = "2026-11-20T09:30:15Z", "2026-11-20T09:34:02Z"

    def row(contact, external_id, attempts, last_attempt, completed_at, q1, q2, q3):
        return [
            str(every.campaign.pk),
            str(contact.pk),
            external_id,
            contact.phone_number,
            contact.state,
            attempts,
            last_attempt,
            completed_at,
            q1,
            q2,
            q3,
        ]

    rows = [
        row(
            c["completed"],
            'CRM-1, "gold"',
            "2",
            last,
            done,
            "8",
            "2",
            'Faster, "friendlier" support\nand più cortesia ✓',
        ),
        row(
            c["formulas"],
            '\'=HYPERLINK("http://evil.example","x")',
            "1",
            last,
            done,
            "'+1",
            "'-2",
            "'\tcmd; \rthen =1+1",
        ),
        row(c["refused"], "'@crm-3", "1", last, "", "", "", ""),
        row(c["not_reached"], "'\rCRM-4", "3", last, "", "", "", ""),
        row(c["excluded"], "", "0", "", "", "", "", ""),
    ]
    return {r[1]: r for r in rows}


def read_csv(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


def stored_file(job: ExportJob) -> bytes:
    with default_storage.open(job.file_key, "rb") as file:
        return file.read()


def contact_order(campaign) -> list[str]:
    return [
        str(pk)
        for pk in Contact.objects.filter(
            campaign=campaign, state__in=["completed", "refused", "not_reached", "excluded"]
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)
    ]

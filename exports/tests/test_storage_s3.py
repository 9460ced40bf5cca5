"""Exports to S3 through a real S3-speaking HTTP server (moto's ThreadedMotoServer) with
django-storages and boto3: multipart upload, presigned links, the file downloaded over HTTP.

moto does not enforce presigned URL expiry or signatures (see NOTES.md), so expiry is checked
on our side: the X-Amz-Expires we sign and the url_expires_at we report."""

from __future__ import annotations

import datetime as dt
import urllib.request
from urllib.parse import parse_qs, urlsplit

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from calls.models import SurveyResponse
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from exports.models import ExportJob, ExportStatus
from exports.services import export_generate
from exports.tests.conftest import bulk_contacts, expected_rows, read_csv
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


def _http_get(url: str):
    with urllib.request.urlopen(url, timeout=10) as response:  # our test server
        return response.status, dict(response.headers), response.read()


def test_export_to_s3_and_download_through_the_presigned_url(
    s3_bucket, manager_api, every_state, settings, django_capture_on_commit_callbacks
):
    client, bucket = s3_bucket
    settings.EXPORT_URL_EXPIRY_SECONDS = 900
    with django_capture_on_commit_callbacks(execute=True):
        started = manager_api.post(f"/api/campaigns/{every_state.campaign.pk}/exports")
    job = ExportJob.objects.get(pk=started.json()["job_id"])
    assert job.status == ExportStatus.COMPLETED, job.error_message

    head = client.head_object(Bucket=bucket, Key=job.file_key)
    assert job.file_key == f"exports/{every_state.campaign.pk}/{job.pk}.csv"
    assert head["ContentType"] == "text/csv"

    before = timezone.now()
    body = manager_api.get(f"/api/exports/{job.pk}").json()
    url = urlsplit(body["download_url"])
    query = parse_qs(url.query)
    assert url.path == f"/{bucket}/{job.file_key}"
    assert query["X-Amz-Expires"] == ["900"]
    assert query["X-Amz-Signature"]
    expires = parse_datetime(body["url_expires_at"])
    assert before + dt.timedelta(seconds=899) <= expires
    assert expires <= timezone.now() + dt.timedelta(seconds=900)

    status, headers, data = _http_get(body["download_url"])
    assert status == 200
    assert headers["Content-Disposition"] == f'attachment; filename="{job.file_name}"'
    header, *rows = read_csv(data)
    assert {row[1]: row for row in rows} == expected_rows(every_state)


def test_refresh_url_signs_a_new_link(s3_bucket, manager_api, every_state):
    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    body = manager_api.post(f"/api/exports/{job.pk}/refresh-url").json()
    assert parse_qs(urlsplit(body["download_url"]).query)["X-Amz-Expires"] == ["3600"]
    assert _http_get(body["download_url"])[0] == 200


def test_a_file_bigger_than_one_part_is_uploaded_in_parts_and_complete(s3_bucket):
    """Over S3's 5 MB part size: several parts of one multipart upload, nothing lost."""
    client, bucket = s3_bucket
    campaign = CampaignFactory()
    contacts = bulk_contacts(campaign, 3000, state=ContactState.COMPLETED)
    long_answer = "a fairly long free-text answer, with commas, " * 45  # ~2 KB
    SurveyResponse.objects.bulk_create(
        SurveyResponse(contact=contact, campaign=campaign, answer_values={"q3": long_answer})
        for contact in contacts
    )

    job = export_generate(job=ExportJobFactory(campaign=campaign))

    assert job.status == ExportStatus.COMPLETED, job.error_message
    head = client.head_object(Bucket=bucket, Key=job.file_key)
    assert head["ContentLength"] > 5 * 1024 * 1024
    parts = int(head["ETag"].strip('"').rsplit("-", 1)[1])  # a multipart ETag ends in -<parts>
    assert parts >= 2
    data = client.get_object(Bucket=bucket, Key=job.file_key)["Body"].read()
    rows = read_csv(data)[1:]
    assert len(rows) == job.total_records == 3000
    assert {row[1] for row in rows} == {str(contact.pk) for contact in contacts}
    assert all(row[10] == long_answer for row in rows)


def test_a_missing_bucket_fails_the_job_with_the_error(s3_bucket, every_state):
    client, bucket = s3_bucket
    client.delete_bucket(Bucket=bucket)

    job = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    job.refresh_from_db()
    assert job.status == ExportStatus.FAILED
    assert "NoSuchBucket" in job.error_message
    assert job.file_key == ""

"""Where export files live, and the links that download them.

Files go to Django's default storage: a local folder (MEDIA_ROOT), or S3 (or an S3-compatible
store) when AWS_STORAGE_BUCKET_NAME is set (see settings.STORAGES). A link is made fresh each
time a job is read and is never stored, so it cannot go stale in the database:

- S3: a presigned GET URL from the storage, valid EXPORT_URL_EXPIRY_SECONDS.
- Local: our download view's URL with a signed token (django.core.signing) naming the job and
  the moment the link expires. The view checks the token and the caller's role; the local
  folder itself is never served.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.core import signing
from django.core.files.storage import FileSystemStorage, default_storage
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from exports.models import ExportJob, ExportStatus

_TOKEN_SALT = "exports.download"


@dataclass(frozen=True)
class DownloadLink:
    url: str
    expires_at: dt.datetime


class DownloadLinkExpired(Exception):
    pass


class DownloadLinkInvalid(Exception):
    pass


def export_file_key(job: ExportJob) -> str:
    """Storage key of a job's file: unique, since the job id is. Its extension (.csv or
    .xlsx) is what S3 reads the file's Content-Type from."""
    return f"exports/{job.campaign_id}/{job.id}.{job.export_format.extension}"


def export_file_name(job: ExportJob) -> str:
    """The name a person sees when downloading, e.g. `customer-survey-20261122-093000.csv`,
    or `customer-survey-20261122-093000-answers.xlsx` for one row per answer in Excel."""
    stem = slugify(job.campaign.name)[:80] or "campaign"
    kind = "-answers" if job.export_format.per_answer else ""
    return f"{stem}-{job.created_at:%Y%m%d-%H%M%S}{kind}.{job.export_format.extension}"


def storage_is_local() -> bool:
    return isinstance(default_storage, FileSystemStorage)


def export_download_link(
    *, job: ExportJob, request: HttpRequest | None = None, now: dt.datetime | None = None
) -> DownloadLink | None:
    """A fresh link to a completed job's file (None for any other job). With `request`, a local
    link is made absolute, as API clients need."""
    if job.status != ExportStatus.COMPLETED or not job.file_key:
        return None
    expiry = settings.EXPORT_URL_EXPIRY_SECONDS
    expires_at = (now or timezone.now()) + dt.timedelta(seconds=expiry)
    if storage_is_local():
        token = signing.dumps(
            {"job": str(job.id), "exp": int(expires_at.timestamp())}, salt=_TOKEN_SALT
        )
        url = f"{reverse('exports:download', args=[job.id])}?{urlencode({'token': token})}"
        if request is not None:
            url = request.build_absolute_uri(url)
    else:
        # S3Storage.url presigns; the response header makes the browser save the file under
        # its readable name rather than the job id. The checker sees only the base Storage,
        # whose url() takes no such keywords.
        presigned_url: Callable[..., str] = default_storage.url
        url = presigned_url(
            job.file_key,
            parameters={"ResponseContentDisposition": f'attachment; filename="{job.file_name}"'},
            expire=expiry,
        )
    return DownloadLink(url=url, expires_at=expires_at)


def export_expired_message() -> str:
    """What a link to an expired export answers (410), in the API and the download view."""
    return (
        f"This export's file was deleted after {settings.EXPORT_RETENTION_DAYS} days (the "
        "retention period). Start a new export for a fresh file."
    )


def export_download_token_check(
    *, token: str, job: ExportJob, now: dt.datetime | None = None
) -> None:
    """Raise DownloadLinkInvalid unless `token` was signed by us for this job, and
    DownloadLinkExpired when its time is up."""
    try:
        payload = signing.loads(token, salt=_TOKEN_SALT)
    except signing.BadSignature as exc:
        raise DownloadLinkInvalid from exc
    if not isinstance(payload, dict) or payload.get("job") != str(job.id):
        raise DownloadLinkInvalid
    expires = payload.get("exp")
    if not isinstance(expires, int):
        raise DownloadLinkInvalid
    if (now or timezone.now()).timestamp() > expires:
        raise DownloadLinkExpired

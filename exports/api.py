"""Export API (docs/architecture.md §8). Admins and campaign managers only: viewers get 403,
anonymous callers 401, unknown campaigns and jobs 404. Download links are made fresh on every
read."""

from __future__ import annotations

from typing import Any

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import APISettings
from rest_framework.views import APIView

from campaigns.models import Campaign
from exports.models import ExportFormat, ExportJob, ExportStatus
from exports.selectors import export_job_list
from exports.services import export_start
from exports.storage import export_download_link, export_expired_message
from voicesurvey.permissions import CanExport


class ExportStartInputSerializer(serializers.Serializer):
    format = serializers.ChoiceField(
        choices=ExportFormat.choices,
        default=ExportFormat.CSV,
        help_text="csv: one row per contact (the default); long: one row per answer; xlsx and "
        "long_xlsx: the same as Excel workbooks.",
    )


class ExportStartOutputSerializer(serializers.Serializer):
    job_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    format = serializers.ChoiceField(
        choices=ExportFormat.choices,
        help_text="The job's: an export already in flight is returned whatever its format.",
    )
    message = serializers.CharField()


class ExportJobOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    campaign_id = serializers.UUIDField()
    status = serializers.ChoiceField(choices=ExportStatus.choices)
    format = serializers.ChoiceField(choices=ExportFormat.choices)
    download_url = serializers.URLField(
        allow_null=True, help_text="Made fresh on each read; null unless completed."
    )
    url_expires_at = serializers.DateTimeField(allow_null=True)
    total_records = serializers.IntegerField(allow_null=True)
    error_message = serializers.CharField(allow_blank=True)
    created_at = serializers.DateTimeField()
    completed_at = serializers.DateTimeField(allow_null=True)
    expired_at = serializers.DateTimeField(
        allow_null=True, help_text="When the file was deleted (status expired)."
    )


class ExportListInputSerializer(serializers.Serializer):
    limit = serializers.IntegerField(min_value=1, max_value=100, default=20)


def export_job_data(job: ExportJob, request: Request) -> dict:
    link = export_download_link(job=job, request=request)
    return ExportJobOutputSerializer(
        {
            "id": job.id,
            "campaign_id": job.campaign_id,
            "status": job.status,
            "format": job.format,
            "download_url": link.url if link else None,
            "url_expires_at": link.expires_at if link else None,
            "total_records": job.total_records,
            "error_message": job.error_message,
            "created_at": job.created_at,
            "completed_at": job.completed_at,
            "expired_at": job.expired_at,
        }
    ).data


class _FormatNamesTheFile(DefaultContentNegotiation):
    """On the start endpoints `?format=` names the export's file format, not the response's
    renderer (DRF's URL_FORMAT_OVERRIDE, which would answer `?format=long` with a 404): the
    answer is JSON, chosen by the Accept header as everywhere else."""

    # None switches the override off (DRF's settings docs); the stubs know only the global
    # settings object and a str for this option.
    settings = APISettings(user_settings={"URL_FORMAT_OVERRIDE": None})  # type: ignore[assignment,arg-type]


def _start_input(request: Request) -> dict:
    """`format` from the query string or the body (the body wins). A body that cannot be read
    is a 400 (ParseError), not a CSV nobody asked for; one that is not an object (a JSON list)
    carries no format."""
    data = dict(request.query_params.items())
    body: Any = request.data
    if hasattr(body, "items"):
        data.update(body.items())
    params = ExportStartInputSerializer(data=data)
    params.is_valid(raise_exception=True)
    return params.validated_data


def _start_export(request: Request, campaign_id) -> Response:
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    export_format = ExportFormat(_start_input(request)["format"])
    # Raises ValidationError (400 on `format`) for an Excel file too large for Excel.
    job, created = export_start(campaign=campaign, actor=request.user, export_format=export_format)
    if created:
        message = f"Export started. Poll GET /api/exports/{job.pk} for its download link."
    else:
        message = (
            f"An export of this campaign is already {job.status} ({job.get_format_display()}); "
            "this is that export."
        )
    return Response(
        ExportStartOutputSerializer(
            {"job_id": job.id, "status": job.status, "format": job.format, "message": message}
        ).data,
        status=status.HTTP_202_ACCEPTED,
    )


_START_DESCRIPTION = (
    "Starts an export of the campaign: `format` (in the query string or the body) is `csv` "
    "(the default: one row per contact in a final state), `long` (one row per answer), or "
    "`xlsx` / `long_xlsx` (the same as Excel workbooks). When an export of the campaign is "
    "already pending or processing, that one is returned instead of a new one, whatever its "
    "format. 400 on `format` for an unknown format, or an Excel file with more rows than "
    "Excel's 1,048,576."
)
_FORMAT_PARAMETER = OpenApiParameter(
    "format", str, enum=ExportFormat.values, description="csv (default), long, xlsx, long_xlsx."
)


# Browsers say where a request comes from (Fetch Metadata); token clients send nothing.
_OTHER_SITES = {"cross-site", "same-site"}


class CampaignExportStartApi(APIView):
    """`GET /api/campaigns/{id}/export`: the seed's contract for starting an export.

    A GET that writes: a link or an image on another site would start an export with the
    visitor's session, and no CSRF token guards a GET. So a request the browser marks as coming
    from another site (`Sec-Fetch-Site: cross-site` or `same-site`, a sibling subdomain) is
    refused; token clients (no such header), this site's own pages and an address typed in
    (`same-origin`, `none`) are served."""

    permission_classes = [CanExport]
    content_negotiation_class = _FormatNamesTheFile

    @extend_schema(
        parameters=[_FORMAT_PARAMETER],
        responses={202: ExportStartOutputSerializer},
        description=_START_DESCRIPTION
        + " Refused (403) when a browser sends it from another site (`Sec-Fetch-Site`).",
    )
    def get(self, request, campaign_id):
        if request.headers.get("Sec-Fetch-Site", "").lower() in _OTHER_SITES:
            raise PermissionDenied(
                "This GET starts an export, so it is refused from another site. Use "
                f"POST /api/campaigns/{campaign_id}/exports from a page of this site, or call it "
                "with an API token."
            )
        return _start_export(request, campaign_id)


class CampaignExportsApi(APIView):
    """`GET /api/campaigns/{id}/exports?limit=`: the latest exports, newest first;
    `POST` starts one (as `GET …/export` does)."""

    permission_classes = [CanExport]
    content_negotiation_class = _FormatNamesTheFile

    @extend_schema(
        parameters=[
            OpenApiParameter("limit", int, description="How many exports, 1–100 (default 20).")
        ],
        responses=ExportJobOutputSerializer(many=True),
    )
    def get(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        params = ExportListInputSerializer(data=request.query_params)
        params.is_valid(raise_exception=True)
        jobs = export_job_list(campaign=campaign, limit=params.validated_data["limit"])
        return Response([export_job_data(job, request) for job in jobs])

    @extend_schema(
        parameters=[_FORMAT_PARAMETER],
        request=ExportStartInputSerializer,
        responses={202: ExportStartOutputSerializer},
        description=_START_DESCRIPTION,
    )
    def post(self, request, campaign_id):
        return _start_export(request, campaign_id)


class ExportJobApi(APIView):
    """`GET /api/exports/{job_id}`: the job, with a freshly signed download link when done."""

    permission_classes = [CanExport]

    @extend_schema(responses=ExportJobOutputSerializer)
    def get(self, request, job_id):
        job = get_object_or_404(ExportJob, pk=job_id)
        return Response(export_job_data(job, request))


class ExportRefreshUrlApi(APIView):
    """`POST /api/exports/{job_id}/refresh-url`: a new download link for a completed job."""

    permission_classes = [CanExport]

    @extend_schema(
        request=None,
        responses={
            200: ExportJobOutputSerializer,
            400: OpenApiResponse(description="The export is not completed: it has no link."),
            410: OpenApiResponse(description="The export's file was deleted (expired)."),
        },
    )
    def post(self, request, job_id):
        job = get_object_or_404(ExportJob, pk=job_id)
        if job.status == ExportStatus.EXPIRED:
            return Response({"detail": export_expired_message()}, status=status.HTTP_410_GONE)
        if job.status != ExportStatus.COMPLETED:
            return Response(
                {"detail": f"The export is {job.status}; only a completed export has a link."},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(export_job_data(job, request))

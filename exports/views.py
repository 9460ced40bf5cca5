"""Export pages: the campaign page's export panel (a partial, refreshed with htmx while a job
runs, plain forms and links without JavaScript) and the download of local export files."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.http import FileResponse, HttpRequest, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.exceptions import NotAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from exports.models import IN_FLIGHT_EXPORT_STATUSES, ExportFormat, ExportJob, ExportStatus
from exports.selectors import export_job_list
from exports.services import export_start
from exports.storage import (
    DownloadLinkExpired,
    DownloadLinkInvalid,
    export_download_link,
    export_download_token_check,
    export_expired_message,
)
from voicesurvey.htmx import is_htmx, render_partial_or_page
from voicesurvey.permissions import CanExport, Capability, require_capability, user_has_capability
from voicesurvey.services import audit_log_record
from voicesurvey.zones import page_zone

PANEL_TEMPLATE = "exports/_export_panel_content.html"
PANEL_JOBS = 10
POLL_SECONDS = 2


def export_panel_context(
    *, campaign: Campaign, request: HttpRequest, start_error: str = ""
) -> dict:
    """What the export panel shows (one query): the campaign's latest exports, the one in
    flight if any, fresh download links for those allowed to download, the formats to choose
    from, and why the last start was refused, if it was."""
    can_export = user_has_capability(request.user, Capability.EXPORT)
    jobs = list(export_job_list(campaign=campaign, limit=PANEL_JOBS))
    latest = jobs[0] if jobs else None
    return {
        "campaign": campaign,
        "zone": page_zone(campaign.timezone),  # the campaign page's
        "can_export": can_export,
        "export_rows": [
            (job, export_download_link(job=job) if can_export else None) for job in jobs
        ],
        "active_job": latest if latest and latest.status in IN_FLIGHT_EXPORT_STATUSES else None,
        "latest_job": latest,
        "poll_seconds": POLL_SECONDS,
        "retention_days": settings.EXPORT_RETENTION_DAYS,
        "export_formats": ExportFormat.choices,
        "start_error": start_error,
    }


@require_GET
@require_capability(Capability.VIEW)
def export_panel(request, campaign_id):
    """The panel alone for htmx; without htmx, a page around it (the no-JavaScript fallback)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    context = export_panel_context(campaign=campaign, request=request)
    return render_partial_or_page(
        request, partial=PANEL_TEMPLATE, page="exports/export_panel_page.html", context=context
    )


@require_POST
@require_capability(Capability.EXPORT)
def export_start_view(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    chosen = request.POST.get("format") or ExportFormat.CSV
    if chosen not in ExportFormat.values:
        return HttpResponseBadRequest("Unknown export format: choose one of the list.")
    refused = ""
    try:
        job, created = export_start(
            campaign=campaign, actor=request.user, export_format=ExportFormat(chosen)
        )
    except ValidationError as exc:  # an Excel file with more rows than Excel holds
        refused = " ".join(exc.messages)
    if is_htmx(request):
        return render(
            request,
            PANEL_TEMPLATE,
            export_panel_context(campaign=campaign, request=request, start_error=refused),
        )
    if refused:
        messages.error(request, refused)
    elif created:
        messages.success(request, "Export started. It is ready in a few seconds: reload this page.")
    else:
        messages.info(
            request,
            f"An export of this campaign is already {job.status} ({job.get_format_display()}).",
        )
    next_url = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = reverse("exports:panel", args=[campaign.pk])
    return redirect(next_url)


class ExportDownloadView(APIView):
    """`GET /exports/{job_id}/download?token=…`: a local export file, for a valid, unexpired
    link and a caller allowed to download exports. A DRF view so that API clients can follow
    the links the API hands out with their token; people come with their session."""

    permission_classes = [CanExport]

    @extend_schema(
        parameters=[OpenApiParameter("token", str, required=True, description="From the link.")],
        responses={
            (200, "text/csv"): OpenApiTypes.BINARY,
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            403: OpenApiResponse(description="Not allowed, or the link was altered."),
            404: OpenApiResponse(description="No such export, or it has no file."),
            410: OpenApiResponse(
                description="The link has expired, or the export's file was deleted at the "
                "end of the retention period."
            ),
        },
        description="Follow the `download_url` of a completed export (local storage).",
    )
    def get(self, request, job_id):
        job = get_object_or_404(ExportJob.objects.select_related("campaign"), pk=job_id)
        try:
            export_download_token_check(token=request.query_params.get("token", ""), job=job)
        except DownloadLinkExpired:
            return Response(
                {"detail": "This download link has expired. Open the export again for a new one."},
                status=status.HTTP_410_GONE,
            )
        except DownloadLinkInvalid:
            return Response(
                {"detail": "This download link is not valid for this export."},
                status=status.HTTP_403_FORBIDDEN,
            )
        if job.status == ExportStatus.EXPIRED:
            return Response({"detail": export_expired_message()}, status=status.HTTP_410_GONE)
        if job.status != ExportStatus.COMPLETED or not job.file_key:
            return Response(
                {"detail": "This export has no file."}, status=status.HTTP_404_NOT_FOUND
            )
        try:
            file = default_storage.open(job.file_key, "rb")
        except FileNotFoundError:
            return Response(
                {"detail": "The export's file is no longer available."},
                status=status.HTTP_404_NOT_FOUND,
            )
        audit_log_record(actor=request.user, action="export.download", obj=job)
        return FileResponse(
            file,
            as_attachment=True,
            filename=job.file_name,
            content_type=job.export_format.content_type,
        )

    def handle_exception(self, exc):
        # Someone following the link in a browser with an expired session signs in and comes
        # back; API clients get the usual 401: those that send an Authorization header, and
        # those that do not ask for a page (curl's */*, Accept: application/json).
        headers = self.request.headers
        is_browser = "text/html" in headers.get("Accept", "") and "Authorization" not in headers
        if isinstance(exc, NotAuthenticated) and is_browser:
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)

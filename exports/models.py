from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class ExportStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    PROCESSING = "processing", "Processing"
    COMPLETED = "completed", "Completed"
    FAILED = "failed", "Failed"
    # Completed, then its file deleted after EXPORT_RETENTION_DAYS (export_expire_old).
    EXPIRED = "expired", "Expired"


IN_FLIGHT_EXPORT_STATUSES = (ExportStatus.PENDING, ExportStatus.PROCESSING)


class ExportFormat(models.TextChoices):
    """What an export's file holds (docs/exports.md): one row per contact in a final state (the
    seed's CSV, the default) or one row per answer, as CSV or as an Excel workbook."""

    CSV = "csv", "CSV, one row per contact"
    LONG = "long", "CSV, one row per answer"
    XLSX = "xlsx", "Excel, one row per contact"
    LONG_XLSX = "long_xlsx", "Excel, one row per answer"

    @property
    def per_answer(self) -> bool:
        return self in (ExportFormat.LONG, ExportFormat.LONG_XLSX)

    @property
    def is_excel(self) -> bool:
        return self in (ExportFormat.XLSX, ExportFormat.LONG_XLSX)

    @property
    def extension(self) -> str:
        return "xlsx" if self.is_excel else "csv"

    @property
    def content_type(self) -> str:
        if self.is_excel:
            return "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        return "text/csv"


class ExportJob(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="export_jobs",
        db_index=False,  # (campaign, -created_at) below
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        max_length=20, choices=ExportStatus.choices, default=ExportStatus.PENDING
    )
    format = models.CharField(max_length=12, choices=ExportFormat.choices, default=ExportFormat.CSV)
    file_name = models.CharField(max_length=255, blank=True)
    file_key = models.CharField(max_length=512, blank=True)
    total_records = models.PositiveIntegerField(null=True, blank=True)
    error_message = models.TextField(blank=True)
    # How many times generation has started; the reaper re-queues an interrupted job only once.
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    # When the job was last handed over for generation (the reaper re-queues lost ones).
    queued_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    # While processing: the last time its worker said it is alive (every
    # EXPORT_HEARTBEAT_SECONDS); the reaper re-queues a job whose worker stopped beating.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    # When its file was deleted at the end of the retention period.
    expired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # At most one export in flight per campaign, even when two requests race, whatever
            # its format: exports of one campaign read the same rows, one at a time is enough,
            # and the panel shows the one in flight (docs/exports.md).
            models.UniqueConstraint(
                fields=["campaign"],
                condition=Q(status__in=IN_FLIGHT_EXPORT_STATUSES),
                name="exportjob_one_in_flight_per_campaign",
            ),
        ]
        indexes = [
            models.Index(fields=["campaign", "-created_at"], name="exportjob_campaign_created_idx"),
            models.Index(
                fields=["status", "started_at"],
                name="exportjob_in_flight_idx",
                condition=Q(status__in=IN_FLIGHT_EXPORT_STATUSES),
            ),
        ]

    def __str__(self) -> str:
        return f"export {self.pk} ({self.format}, {self.status})"

    @property
    def export_format(self) -> ExportFormat:
        return ExportFormat(self.format)

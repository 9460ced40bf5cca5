"""The dashboards' data in the admin: the call stats buckets, read-only. (The model is the
calls engine's, kept by its closes; it is registered here, with the dashboards that read it.)"""

from __future__ import annotations

from django.contrib import admin

from calls.models import CallStatsBucket
from voicesurvey.admin import ReadOnlyAdminMixin


@admin.register(CallStatsBucket)
class CallStatsBucketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "bucket_start",
        "campaign",
        "provider",
        "outcome",
        "attempts",
        "talk_count",
        "talk_total_us",
        "billed_minutes",
    )
    list_filter = ("outcome", "provider", "campaign")
    list_select_related = ("campaign",)
    date_hierarchy = "bucket_start"
    ordering = ("-bucket_start",)
    show_full_result_count = False

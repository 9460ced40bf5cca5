"""The dashboards' data in the admin: the call stats buckets and the results rollup, read-only.
(The models are the calls engine's, kept by its closes and survey saves; they are registered
here, with the dashboards that read them.)"""

from __future__ import annotations

from django.contrib import admin

from calls.models import CallStatsBucket, ResultsAttributeBucket, ResultsBucket
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


@admin.register(ResultsBucket)
class ResultsBucketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "hour",
        "campaign",
        "language",
        "attempt_number",
        "position",
        "status",
        "value",
        "count",
    )
    list_filter = ("language", "attempt_number", "campaign")
    list_select_related = ("campaign",)
    date_hierarchy = "hour"
    ordering = ("-hour", "position")
    show_full_result_count = False


@admin.register(ResultsAttributeBucket)
class ResultsAttributeBucketAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("campaign", "name", "attribute_value", "position", "status", "value", "count")
    list_filter = ("name", "campaign")
    list_select_related = ("campaign",)
    ordering = ("campaign", "name", "attribute_value", "position")
    show_full_result_count = False

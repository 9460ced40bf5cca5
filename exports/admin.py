from django.contrib import admin

from exports.models import ExportJob
from voicesurvey.admin import ReadOnlyAdminMixin


@admin.register(ExportJob)
class ExportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "created_at",
        "campaign",
        "status",
        "total_records",
        "requested_by",
        "completed_at",
    )
    list_filter = ("status",)
    list_select_related = ("campaign", "requested_by")

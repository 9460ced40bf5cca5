from django.contrib import admin

from campaigns.models import Campaign, EmailTemplate


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "status",
        "language",
        "timezone",
        "max_attempts",
        "starts_at",
        "created_by",
        "created_at",
    )
    list_filter = ("status", "language", "created_at")
    search_fields = ("name",)
    date_hierarchy = "created_at"
    readonly_fields = ("id", "status", "created_by", "created_at", "updated_at")
    list_select_related = ("created_by",)
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "status", "language", "timezone")}),
        (
            "Script",
            {
                "fields": (
                    "intro_script",
                    ("question_1_text", "question_1_type"),
                    ("question_2_text", "question_2_type"),
                    ("question_3_text", "question_3_type"),
                )
            },
        ),
        (
            "Dialling",
            {
                "fields": (
                    "max_attempts",
                    "retry_interval_minutes",
                    ("call_window_start", "call_window_end"),
                    "call_days",
                    "starts_at",
                )
            },
        ),
        (
            "Follow-up emails",
            {
                "fields": (
                    "completed_email_template",
                    "refused_email_template",
                    "not_reached_email_template",
                )
            },
        ),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "locale", "subject", "updated_at")
    list_filter = ("type", "locale")
    search_fields = ("name", "subject")

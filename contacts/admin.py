from django.contrib import admin

from contacts.models import Contact, ExclusionEntry


@admin.register(Contact)
class ContactAdmin(admin.ModelAdmin):
    list_display = (
        "phone_number",
        "campaign",
        "state",
        "attempts_count",
        "last_outcome",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = ("state", "last_outcome", "do_not_call", "preferred_language", "campaign")
    # Exact matches: these columns are indexed, and a contains-search would scan a million rows.
    search_fields = ("=phone_number", "=external_contact_id", "=email")
    list_select_related = ("campaign",)
    raw_id_fields = ("campaign",)
    readonly_fields = (
        "id",
        "state",
        "attempts_count",
        "last_attempt_at",
        "last_outcome",
        "next_attempt_at",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False


@admin.register(ExclusionEntry)
class ExclusionEntryAdmin(admin.ModelAdmin):
    list_display = ("phone_number", "reason", "source", "created_at")
    list_filter = ("source", "created_at")
    search_fields = ("=phone_number", "reason")
    readonly_fields = ("created_at",)

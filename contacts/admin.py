from django import forms
from django.contrib import admin, messages

from contacts.models import ExclusionEntry, ExclusionSource, RejectedRows
from contacts.phones import InvalidPhoneNumber, phone_normalize
from contacts.services.exclusions import exclusion_add, exclusion_remove


class ContactAdmin(admin.ModelAdmin):
    """The contact admin's pages. Registered by the engine (calls/admin.py), which adds its
    erasure action: deleting a number deletes its calls, which this app knows nothing of."""

    list_display = (
        "phone_number",
        "external_contact_id",
        "campaign",
        "state",
        "attempts_count",
        "last_outcome",
        "last_attempt_at",
        "next_attempt_at",
    )
    list_filter = (
        "state",
        "last_outcome",
        "do_not_call",
        "has_prior_consent",
        "preferred_language",
        "campaign",
    )
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
        # Written by the import only, by its rules (contacts/attributes.py): flat text values
        # under normalised names, which the filters and other readers rely on.
        "attributes",
        "created_at",
        "updated_at",
    )
    show_full_result_count = False

    def has_delete_permission(self, request, obj=None):
        # Deleting goes through the GDPR action: it deletes the number everywhere, recomputes
        # the statistics and writes the audit log; the stock delete would do none of that.
        return False


class ExclusionAddForm(forms.ModelForm):
    """Any notation; exclusion_add stores it in E.164 (and says why a number is not one)."""

    class Meta:
        model = ExclusionEntry
        fields = ("phone_number", "reason")

    phone_number = forms.CharField(max_length=40, help_text="Any notation, e.g. +39 347 123 4567.")

    def clean_phone_number(self):
        try:
            return phone_normalize(self.cleaned_data["phone_number"])
        except InvalidPhoneNumber as exc:
            raise forms.ValidationError(str(exc)) from exc


@admin.register(ExclusionEntry)
class ExclusionEntryAdmin(admin.ModelAdmin):
    """Entries are added with exclusion_add (the contacts that could be called with the number
    are excluded) and deleted with exclusion_remove (audit-logged); they are not edited."""

    list_display = ("phone_number", "reason", "source", "added_by_label", "campaign", "created_at")
    list_select_related = ("added_by", "campaign")
    list_filter = ("source", "created_at")
    search_fields = ("=phone_number",)
    show_full_result_count = False

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = ExclusionAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return (
            "phone_number",
            "reason",
            "source",
            "added_by",
            "campaign",
            "call_attempt_id",
            "source_detail",
            "created_at",
        )

    @admin.display(description="Added by")
    def added_by_label(self, obj):
        return obj.added_by_label

    def has_change_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        entry, created, excluded = exclusion_add(
            phone_number=obj.phone_number,
            reason=obj.reason,
            source=ExclusionSource.MANUAL,
            actor=request.user,
        )
        obj.pk, obj.source, obj.created_at = entry.pk, entry.source, entry.created_at
        obj._state.adding = False
        if created:
            self.message_user(
                request, f"{excluded} contact(s) that could still be called are now excluded."
            )
        else:
            self.message_user(request, "The number was already on the list.", messages.WARNING)

    def delete_model(self, request, obj):
        exclusion_remove(entry=obj, actor=request.user)

    def delete_queryset(self, request, queryset):
        for entry in queryset:
            exclusion_remove(entry=entry, actor=request.user)


@admin.register(RejectedRows)
class RejectedRowsAdmin(admin.ModelAdmin):
    """Uploads' rejected rows, kept a day for their uploader to download: seen (without their
    cells, which hold phone numbers) and deleted here, never written."""

    list_display = ("created_at", "created_by", "campaign", "file_name", "rows_kept", "complete")
    list_select_related = ("created_by", "campaign")
    fields = ("created_at", "created_by", "campaign", "file_name", "rows_kept", "complete")
    readonly_fields = fields

    @admin.display(description="Rows kept")
    def rows_kept(self, obj):
        return len(obj.rows)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

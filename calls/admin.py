from django import forms
from django.contrib import admin, messages

from calls.erasure import contact_forget
from calls.models import (
    Answer,
    CallAttempt,
    CallEvent,
    DialPace,
    EmailNotification,
    ProviderConfig,
    SchedulerRun,
    SurveyEvent,
    SurveyResponse,
)
from calls.services import (
    PROVIDER_CONFIG_FIELDS,
    provider_config_update,
    provider_unusable_reason,
)
from contacts.admin import ContactAdmin
from contacts.models import Contact
from voicesurvey.admin import ReadOnlyAdminMixin


class ProviderConfigForm(forms.ModelForm):
    class Meta:
        model = ProviderConfig
        fields = PROVIDER_CONFIG_FIELDS

    def clean_provider(self):
        provider = self.cleaned_data["provider"]
        if "provider" in self.changed_data and (reason := provider_unusable_reason(provider)):
            raise forms.ValidationError(reason)
        return provider


@admin.register(ProviderConfig)
class ProviderConfigAdmin(admin.ModelAdmin):
    list_display = (
        "provider",
        "outbound_number",
        "max_concurrent_calls",
        "calls_per_second",
        "cost_per_minute",
        "updated_at",
    )
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "provider",
                    "outbound_number",
                    "max_concurrent_calls",
                    "calls_per_second",
                    "cost_per_minute",
                    "dialling_paused_until",
                )
            },
        ),
        ("Retention", {"fields": ("recording_retention_days", "transcript_retention_days")}),
        (
            "Simulator",
            {
                "fields": (
                    "sim_answer_rate",
                    "sim_busy_rate",
                    "sim_no_answer_rate",
                    "sim_failure_rate",
                    "sim_consent_rate",
                    "sim_seed",
                    "sim_unavailable",
                )
            },
        ),
    )

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not ProviderConfig.objects.exists()

    def has_delete_permission(self, request, obj=None):
        return False

    form = ProviderConfigForm

    def save_model(self, request, obj, form, change):
        # Through the service, like the API: the same checks and the audit log.
        provider_config_update(
            actor=request.user,
            fields={name: form.cleaned_data[name] for name in form.changed_data},
        )


class CallEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = CallEvent
    fields = ("received_at", "status", "event_key", "payload")
    readonly_fields = fields
    extra = 0


@admin.register(CallAttempt)
class CallAttemptAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "call_id",
        "campaign",
        "attempt_number",
        "provider",
        "outcome",
        "started_at",
        "dialled_at",
        "answered_at",
        "ended_at",
        "error_code",
    )
    list_filter = ("outcome", "provider", "campaign")
    search_fields = ("=call_id", "=provider_call_id")
    list_select_related = ("campaign",)
    raw_id_fields = ("contact", "campaign")
    inlines = [CallEventInline]
    show_full_result_count = False


@admin.register(CallEvent)
class CallEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("received_at", "attempt", "status", "event_key")
    list_filter = ("status",)
    search_fields = ("=attempt__call_id",)
    show_full_result_count = False


class AnswerInline(admin.TabularInline):
    model = Answer
    fields = ("position", "key", "question_type", "status", "value", "raw", "mode", "confidence")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("contact", "campaign", "language", "completed_at")
    inlines = [AnswerInline]
    list_filter = ("campaign",)
    list_select_related = ("campaign", "contact")
    show_full_result_count = False


@admin.register(Answer)
class AnswerAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("response", "position", "key", "question_type", "status", "value")
    list_filter = ("status", "question_type")
    list_select_related = ("response",)
    show_full_result_count = False


@admin.register(SurveyEvent)
class SurveyEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "type", "campaign", "processed_at")
    list_filter = ("type", "campaign")
    list_select_related = ("campaign",)
    show_full_result_count = False


@admin.register(EmailNotification)
class EmailNotificationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "to_email", "template", "status", "attempts", "sent_at")
    list_filter = ("status",)
    search_fields = ("=to_email",)
    list_select_related = ("template",)
    show_full_result_count = False


@admin.register(SchedulerRun)
class SchedulerRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = (
        "started_at",
        "finished_at",
        "status",
        "campaigns_seen",
        "calls_placed",
        "errors",
    )
    list_filter = ("status",)
    date_hierarchy = "started_at"


@admin.register(DialPace)
class DialPaceAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    # The last dial slot any scheduler took (calls/pacing.py): to look at, never to edit.
    list_display = ("__str__", "last_dial_at")


@admin.action(description="Forget the selected contacts' numbers in every campaign (GDPR)")
def forget_numbers(modeladmin, request, queryset):
    numbers = sorted(set(queryset.values_list("phone_number", flat=True)))
    deleted = sum(contact_forget(phone_number=n, actor=request.user).contacts for n in numbers)
    modeladmin.message_user(
        request,
        f"Forgot {len(numbers)} number(s): {deleted} contact(s) deleted with their calls, "
        "answers and emails.",
        messages.SUCCESS,
    )


@admin.register(Contact)
class ContactWithErasureAdmin(ContactAdmin):
    actions = [forget_numbers]

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError

from campaigns import lifecycle
from campaigns.models import Campaign, EmailTemplate, Question
from campaigns.selectors import campaign_questionnaire_data
from campaigns.services import (
    CAMPAIGN_ACTIONS,
    CAMPAIGN_FIELDS,
    campaign_check,
    campaign_create,
    campaign_update,
)


def _lifecycle_action(action: str):
    """An admin action running the `action` service on each selected campaign, saying which
    succeeded and why the others could not."""

    def run(modeladmin, request, queryset):
        done = 0
        for campaign in queryset:
            try:
                CAMPAIGN_ACTIONS[action](campaign=campaign, actor=request.user)
            except lifecycle.TransitionError as exc:
                modeladmin.message_user(request, f"{campaign}: {exc}", messages.WARNING)
            except ValidationError as exc:
                problems = "; ".join(
                    f"{field}: {' '.join(msgs)}" for field, msgs in exc.message_dict.items()
                )
                modeladmin.message_user(
                    request, f"{campaign} cannot be activated: {problems}", messages.WARNING
                )
            else:
                done += 1
        if done:
            modeladmin.message_user(request, f"{action.capitalize()}: {done} campaign(s).")

    run.__name__ = f"campaign_{action}_action"
    return admin.action(description=f"{action.capitalize()} the selected campaigns")(run)


class CampaignAdminForm(forms.ModelForm):
    """The campaign with its questionnaire as JSON (campaigns/questionnaire.py's shape). The
    services' checks run in `clean`, so a problem is shown on the form, not raised on save."""

    questionnaire = forms.JSONField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 16, "cols": 90}),
        help_text=(
            'A list of questions: {"key": "q1", "type": "yes_no", "text": {"en": "…"}}, with '
            "min, max, nps, max_length, options and skip as the API documents them. Empty: "
            "no change."
        ),
    )

    class Meta:
        model = Campaign
        fields = CAMPAIGN_FIELDS

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            self.fields["questionnaire"].initial = campaign_questionnaire_data(self.instance)
        if lifecycle.editable_fields(self.instance.status) is not None:
            # Like the script's other fields, shown but not edited once activated (§5).
            self.fields["questionnaire"].disabled = True

    def clean(self):
        data = super().clean() or {}
        try:
            campaign_check(
                campaign=self.instance,
                fields={name: data[name] for name in CAMPAIGN_FIELDS if name in data},
                questions=data.get("questionnaire") or None,
            )
        except ValidationError as exc:
            for field, messages in exc.message_dict.items():
                self.add_error(field if field in self.fields else None, messages)
        return data


@admin.register(Campaign)
class CampaignAdmin(admin.ModelAdmin):
    form = CampaignAdminForm
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
    actions = [_lifecycle_action(action) for action in lifecycle.USER_ACTIONS]
    fieldsets = (
        (None, {"fields": ("id", "name", "description", "status", "language", "timezone")}),
        ("Script", {"fields": ("languages", "texts", "questionnaire")}),
        (
            "Dialling",
            {
                "fields": (
                    "max_attempts",
                    "retry_interval_minutes",
                    ("call_window_start", "call_window_end"),
                    "call_days",
                    "starts_at",
                    "budget",
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

    def get_readonly_fields(self, request, obj=None):
        """What the campaign's status does not let change is shown, not edited (docs/architecture.md
        §5)."""
        fixed = list(self.readonly_fields)
        editable = lifecycle.editable_fields(obj.status) if obj is not None else None
        if editable is not None:
            fixed += [name for name in CAMPAIGN_FIELDS if name not in editable]
        return fixed

    def save_model(self, request, obj, form, change):
        # Through the services, like every other way in: the same checks and the audit log.
        if change:
            fields = {
                name: form.cleaned_data[name]
                for name in form.changed_data
                if name in CAMPAIGN_FIELDS
            }
            questions = form.cleaned_data.get("questionnaire") or None
            campaign_update(campaign=obj, actor=request.user, fields=fields, questions=questions)
        else:
            fields = {
                name: value for name, value in form.cleaned_data.items() if name in CAMPAIGN_FIELDS
            }
            created = campaign_create(
                actor=request.user,
                fields=fields,
                questions=form.cleaned_data.get("questionnaire") or None,
            )
            obj.pk, obj._state.adding = created.pk, False


@admin.register(EmailTemplate)
class EmailTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "type", "locale", "subject", "updated_at")
    list_filter = ("type", "locale")
    search_fields = ("name", "subject")


@admin.register(Question)
class QuestionAdmin(admin.ModelAdmin):
    """Read-only: a campaign's questions are edited with the campaign (its questionnaire), where
    they are checked together."""

    list_display = ("campaign", "position", "key", "type")
    list_filter = ("type",)
    list_select_related = ("campaign",)
    search_fields = ("campaign__name", "key")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

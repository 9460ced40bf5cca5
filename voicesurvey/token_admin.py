"""API tokens in the admin (django-rest-knox): created for a user and shown once, listed by
their first characters and expiry, revoked by deleting them — creations and deletions go
through the services, so they are audit-logged. DRF's own token page (plain-text tokens) is
removed: its tokens moved to knox (migration 0003)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from knox import admin as knox_admin
from knox.models import AuthToken
from rest_framework.authtoken.models import TokenProxy

from voicesurvey.services import api_token_create, api_token_delete


class TokenCreateForm(forms.ModelForm):
    days = forms.IntegerField(
        min_value=0,
        max_value=3650,
        required=False,
        help_text="Days until it expires (empty: API_TOKEN_TTL_DAYS; 0: never).",
    )

    class Meta:
        model = AuthToken
        fields = ["user"]


@admin.action(description="Create an API token for each selected user (shown once)")
def tokens_create(modeladmin, request, queryset) -> None:
    for user in queryset:
        _token, text = api_token_create(user=user, actor=request.user)
        modeladmin.message_user(
            request, f"API token for {user.username} (copy it now, it is not kept): {text}"
        )


class AuthTokenAdmin(knox_admin.AuthTokenAdmin):
    list_display = ("token_key", "user", "created", "expiry")
    search_fields = ["token_key", "user__username"]
    add_form = TokenCreateForm

    def get_fields(self, request, obj=None):
        return ["user", "days"] if obj is None else ["token_key", "user", "created", "expiry"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["token_key", "user", "created", "expiry"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change) -> None:
        token, text = api_token_create(
            user=form.cleaned_data["user"], actor=request.user, days=form.cleaned_data["days"]
        )
        obj.pk, obj.digest, obj.token_key = token.pk, token.digest, token.token_key
        obj._state.adding = False
        self.message_user(
            request, f"The new API token (copy it now, it is not kept): {text}", messages.INFO
        )

    def delete_model(self, request, obj) -> None:
        api_token_delete(token=obj, actor=request.user)

    def delete_queryset(self, request, queryset) -> None:
        for token in queryset:
            api_token_delete(token=token, actor=request.user)


for model in (AuthToken, TokenProxy):
    if admin.site.is_registered(model):
        admin.site.unregister(model)
admin.site.register(AuthToken, AuthTokenAdmin)

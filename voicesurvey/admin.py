from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm

from voicesurvey import task_admin  # noqa: F401  (replaces the task cluster's pages)
from voicesurvey.models import AuditLog, User
from voicesurvey.services import user_save
from voicesurvey.token_admin import tokens_create


class ReadOnlyAdminMixin:
    """For history: staff may look, nobody may add, edit or delete through the admin."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class VoicesurveyUserCreationForm(AdminUserCreationForm):
    # The admin's own creation form: it has the "password-based authentication" choice
    # (`usable_password`, for accounts that sign in through single sign-on only), which
    # UserCreationForm lacks and UserAdmin.add_fieldsets names.
    # The stubs (django-stubs 5.2) leave out these forms' Meta classes, which Django has.
    class Meta(AdminUserCreationForm.Meta):  # type: ignore[name-defined]
        model = User
        fields = ("username", "email", "name", "role")


class VoicesurveyUserChangeForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):  # type: ignore[name-defined]  # as above
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = VoicesurveyUserChangeForm
    add_form = VoicesurveyUserCreationForm
    list_display = ("username", "name", "email", "role", "is_active", "last_login", "date_joined")
    list_filter = ("role", "is_active")
    actions = [tokens_create]
    search_fields = ("username", "name", "email")
    ordering = ("username",)
    readonly_fields = ("last_login", "date_joined", "is_staff", "is_superuser")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        ("Profile", {"fields": ("name", "email", "timezone")}),
        (
            "Access",
            {
                "fields": ("role", "is_active", "oidc_sub", "is_staff", "is_superuser"),
                "description": "The role decides access; admins are staff, other roles are not.",
            },
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": (
                    "username",
                    "name",
                    "email",
                    "role",
                    "usable_password",
                    "password1",
                    "password2",
                ),
            },
        ),
    )

    def save_model(self, request, obj, form, change):
        user_save(user=obj, actor=request.user, via="admin")


@admin.register(AuditLog)
class AuditLogAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ("created_at", "actor_username", "action", "object_type", "object_id")
    list_filter = ("action", "object_type")
    search_fields = ("=actor_username", "=object_id", "action")
    date_hierarchy = "created_at"
    readonly_fields = (
        "created_at",
        "actor",
        "actor_username",
        "action",
        "object_type",
        "object_id",
        "details",
    )
    show_full_result_count = False

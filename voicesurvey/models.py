from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models import Q

from voicesurvey.zones import validate_timezone


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    CAMPAIGN_MANAGER = "campaign_manager", "Campaign manager"
    VIEWER = "viewer", "Viewer"


class VoicesurveyUserManager(UserManager):
    def create_superuser(self, username, email=None, password=None, **extra_fields):
        # `createsuperuser` makes staff; in this product staff *is* the admin role.
        extra_fields.setdefault("role", Role.ADMIN)
        return super().create_superuser(username, email, password, **extra_fields)


class User(AbstractUser):
    """A person or service account. The role decides what they may do (docs/architecture.md §7).

    `is_staff` and `is_superuser` mirror the admin role (a check constraint keeps them in
    step) so that the Django admin and our own role checks can never disagree.
    """

    # Django's documented way to drop an inherited field; the stubs only know it as a CharField.
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    name = models.CharField(max_length=150, blank=True)
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.VIEWER)
    oidc_sub = models.CharField(
        "OIDC subject",
        max_length=255,
        unique=True,
        null=True,
        blank=True,
        help_text="The identity provider's stable id for this user (the `sub` claim).",
    )

    timezone = models.CharField(
        "time zone",
        max_length=64,
        blank=True,
        validators=[validate_timezone],
        help_text="The zone every time is shown in for this user. Empty: a campaign's pages "
        "in the campaign's zone, the other pages in TIME_ZONE.",
    )

    objects: ClassVar[VoicesurveyUserManager] = VoicesurveyUserManager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                name="user_staff_mirrors_admin_role",
                condition=(Q(role=Role.ADMIN) & Q(is_staff=True) & Q(is_superuser=True))
                | (~Q(role=Role.ADMIN) & Q(is_staff=False) & Q(is_superuser=False)),
                violation_error_message="Admins are staff and superusers; other roles are neither.",
            ),
        ]

    def __str__(self) -> str:
        return self.username

    def assign_role(self, role: str) -> None:
        """Set the role and the staff flags that mirror it (does not save)."""
        self.role = role
        self.is_staff = self.is_superuser = role == Role.ADMIN

    def get_full_name(self) -> str:
        return self.name or self.username

    def get_short_name(self) -> str:
        return self.name or self.username


class AuditLog(models.Model):
    """Who did what to which object. Append-only: nothing edits or deletes history."""

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Kept as text so the record still says who acted after the account is gone.
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64)
    object_type = models.CharField(max_length=64, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    details = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["-created_at"], name="auditlog_created_idx"),
            models.Index(fields=["object_type", "object_id"], name="auditlog_object_idx"),
            models.Index(fields=["action", "-created_at"], name="auditlog_action_idx"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.actor_username or 'system'} {self.action} {self.object_type} {self.object_id}"
        )

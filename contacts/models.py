from __future__ import annotations

import uuid

from django.db import models
from django.db.models import JSONField, Q, Value

from campaigns.contact_states import (
    DIALABLE_INDEX_CONDITION,
    DIALABLE_STATES,
    TERMINAL_STATES,
    ContactState,
    dialable_q,
)

__all__ = ["DIALABLE_STATES", "TERMINAL_STATES", "CallOutcome", "Contact", "ContactState"]


class CallOutcome(models.TextChoices):
    """How a call attempt ended. Defined here, below the engine that decides it, because the
    contacts table stores each contact's last one."""

    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Refused"
    NO_ANSWER = "no_answer", "No answer"
    BUSY = "busy", "Busy"
    FAILED = "failed", "Failed"


class ContactQuerySet(models.QuerySet):
    def dialable(self, *, max_attempts: int | None = None) -> ContactQuerySet:
        """The contacts the scheduler may take (campaigns/contact_states.py has the rule)."""
        return self.filter(dialable_q(max_attempts=max_attempts))


class PreferredLanguage(models.TextChoices):
    EN = "en", "English"
    IT = "it", "Italian"
    AUTO = "auto", "Campaign's language"


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # No index of its own: the composite indexes below all lead with campaign.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="contacts", db_index=False
    )
    external_contact_id = models.CharField(max_length=255, blank=True)
    phone_number = models.CharField(max_length=16, help_text="E.164, e.g. +393331234567")
    email = models.EmailField(max_length=254, blank=True)
    preferred_language = models.CharField(
        max_length=4, choices=PreferredLanguage.choices, default=PreferredLanguage.AUTO
    )
    timezone = models.CharField(
        max_length=64, help_text="From the number when it fixes one, else the campaign's."
    )
    has_prior_consent = models.BooleanField(default=False)
    do_not_call = models.BooleanField(default=False)
    state = models.CharField(
        max_length=20, choices=ContactState.choices, default=ContactState.PENDING
    )
    attempts_count = models.PositiveSmallIntegerField(default=0)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_outcome = models.CharField(max_length=20, choices=CallOutcome.choices, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # Set when the callee asked to be called later: next_attempt_at is then their time.
    callback_at = models.DateTimeField(null=True, blank=True)
    # The uploaded file's other columns, {name: text} (contacts/attributes.py has the rules).
    # A flat object of strings, so that a key lookup (attributes__region="north") matches and
    # groups as text. The database default serves inserts that do not name the column (COPY).
    attributes = models.JSONField(default=dict, blank=True, db_default=Value({}, JSONField()))
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ContactQuerySet.as_manager()

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "phone_number"],
                name="contact_unique_phone_per_campaign",
                violation_error_message="This phone number is already in the campaign.",
            ),
            models.CheckConstraint(
                name="contact_e164_phone",
                condition=Q(phone_number__startswith="+"),
                violation_error_message="Phone numbers are stored in E.164 (+ and digits).",
            ),
        ]
        indexes = [
            # The scheduler's pick: dialable contacts of one campaign whose zone is open, oldest
            # due first. Partial, so it stays as small as the set of contacts left to dial.
            models.Index(
                fields=["campaign", "timezone", "next_attempt_at"],
                name="contact_dialable_idx",
                condition=DIALABLE_INDEX_CONDITION,
                # Covering (PostgreSQL): the scheduler's pick and the dial queue's due count
                # filter on these too, and read them from the index instead of the table.
                include=["attempts_count", "created_at"],
            ),
            # Counts per state (stats, campaign list) and the export's terminal-state scan.
            models.Index(fields=["campaign", "state"], name="contact_campaign_state_idx"),
            # Exclusion matching and GDPR deletion look numbers up across campaigns.
            models.Index(fields=["phone_number"], name="contact_phone_idx"),
            models.Index(fields=["campaign", "last_outcome"], name="contact_campaign_outcome_idx"),
            # The contacts table: a campaign's contacts in upload order, a page at a time, and
            # its search by external id (by phone, the unique constraint's index serves).
            models.Index(
                fields=["campaign", "created_at", "id"], name="contact_campaign_order_idx"
            ),
            models.Index(
                fields=["campaign", "external_contact_id"], name="contact_campaign_ext_id_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"contact {self.pk}"


class ExclusionSource(models.TextChoices):
    IMPORT = "import", "Import"
    API = "api", "API"
    MANUAL = "manual", "Manual"
    CALLEE = "callee", "Callee, during a call"


class ExclusionEntry(models.Model):
    """A number that must never be dialled, in any campaign."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    phone_number = models.CharField(max_length=16, unique=True)
    reason = models.CharField(max_length=255, blank=True)
    source = models.CharField(
        max_length=10, choices=ExclusionSource.choices, default=ExclusionSource.MANUAL
    )
    # Provenance (all optional: entries older than these fields may know none of it).
    # Who added it (the person at the page, API or admin, or who ran the import) …
    added_by = models.ForeignKey(
        "voicesurvey.User",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # … the campaign and call it came from (the callee's "do not call me"): the call is kept
    # as its id, not a foreign key (contacts sit below calls) …
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    call_attempt_id = models.UUIDField(null=True, blank=True)
    # … and what else says where it came from: the uploaded file's name for an import.
    source_detail = models.CharField(max_length=255, blank=True, default="", db_default="")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name_plural = "exclusion entries"
        constraints = [
            models.CheckConstraint(
                name="exclusion_e164_phone",
                condition=Q(phone_number__startswith="+"),
                violation_error_message="Phone numbers are stored in E.164 (+ and digits).",
            ),
        ]
        # The exclusion list page and API: newest first, a page at a time.
        indexes = [models.Index(fields=["created_at", "id"], name="exclusion_created_idx")]

    def __str__(self) -> str:
        return f"exclusion {self.pk}"

    @property
    def added_by_label(self) -> str:
        """Who or what added the entry, in words: the person, the imported file, the callee;
        "unknown" when it was added before that was recorded."""
        if self.source == ExclusionSource.CALLEE:
            return "the callee, during a call"
        if self.added_by_id is not None:
            user = self.added_by
            return user.get_username() if user is not None else "unknown"
        if self.source == ExclusionSource.IMPORT:
            return self.source_detail or "CSV import"
        return "unknown"


class RejectedRows(models.Model):
    """The rejected rows of one CSV upload, whole (contacts/csv_import.py keeps up to
    MAX_REJECTED_ROWS), so that whoever uploaded the file can download them as a CSV with an
    `error` column, fix them and upload them again. Kept REJECTED_ROWS_KEEP_HOURS
    (contacts/services/rejected_rows.py), then deleted by the next upload."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_by = models.ForeignKey(
        "voicesurvey.User", null=True, on_delete=models.CASCADE, related_name="+"
    )
    # The campaign uploaded into; none for an exclusion list import.
    campaign = models.ForeignKey(
        "campaigns.Campaign", null=True, on_delete=models.CASCADE, related_name="+"
    )
    file_name = models.CharField(max_length=255, blank=True)
    header = models.JSONField(default=list)
    rows = models.JSONField(default=list)  # [[line, [cells…], reason], …] in file order
    complete = models.BooleanField(default=True)  # False: more rows were rejected than kept
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name_plural = "rejected rows"

    def __str__(self) -> str:
        return f"rejected rows {self.pk}"

from __future__ import annotations

import datetime
import uuid
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.template import Context, Engine

from campaigns.languages import Language
from campaigns.questionnaire import DEFAULT_FREE_TEXT_LENGTH, QuestionSpec, question_from_data
from voicesurvey.zones import validate_timezone

# Defined elsewhere, long imported from here (validate_timezone: by migration campaigns.0003).
__all__ = ["Language", "validate_timezone"]


class CampaignStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    RUNNING = "running", "Running"
    PAUSED = "paused", "Paused"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"


class QuestionType(models.TextChoices):
    """campaigns/questionnaire.py has what each type means and how it is checked."""

    YES_NO = "yes_no", "Yes / no"
    SCALE = "scale", "Scale"
    NUMBER = "number", "Number"
    SINGLE_CHOICE = "single_choice", "Single choice"
    FREE_TEXT = "free_text", "Free text"


class OutcomeType(models.TextChoices):
    """The outcomes that have a follow-up email (and a SurveyEvent)."""

    COMPLETED = "completed", "Completed"
    REFUSED = "refused", "Refused"
    NOT_REACHED = "not_reached", "Not reached"


# ISO weekday numbers, Monday = 1 … Sunday = 7 (datetime.isoweekday()).
WEEKDAYS = [(1, "Mon"), (2, "Tue"), (3, "Wed"), (4, "Thu"), (5, "Fri"), (6, "Sat"), (7, "Sun")]


MAX_ATTEMPTS_LIMIT = 5
_MAX_ATTEMPTS_MESSAGE = f"Max attempts must be between 1 and {MAX_ATTEMPTS_LIMIT}."


def default_call_days() -> list[int]:
    return [1, 2, 3, 4, 5, 6]


def validate_call_days(value) -> None:
    """A list of distinct ISO weekdays (1 = Monday … 7 = Sunday); empty is allowed in a draft
    (activation asks for at least one)."""
    if not isinstance(value, list) or not all(
        isinstance(day, int) and not isinstance(day, bool) and 1 <= day <= 7 for day in value
    ):
        raise ValidationError("Call days are ISO weekdays: 1 = Monday … 7 = Sunday.")
    if len(set(value)) != len(value):
        raise ValidationError("A call day is listed twice.")


# Follow-up emails are Django templates with the built-in tags and filters only: these engines
# have no loaders, so a template cannot read files or other templates. Text is not escaped.
EMAIL_TEXT_ENGINE = Engine(autoescape=False)
EMAIL_HTML_ENGINE = Engine()


def validate_email_template(value: str) -> None:
    """Refuse, when a template is edited, one that does not compile or cannot render (an
    include or extends names a template these engines cannot load): else it would fail only
    when the emails go out."""
    try:
        EMAIL_TEXT_ENGINE.from_string(value).render(Context({}))
    except Exception as exc:  # TemplateSyntaxError, TemplateDoesNotExist, a filter's own error
        raise ValidationError(
            "This template cannot be rendered: %(error)s", params={"error": str(exc)}
        ) from exc


def default_timezone() -> str:
    return settings.DEFAULT_CAMPAIGN_TIMEZONE


class EmailTemplate(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=20, choices=OutcomeType.choices)
    locale = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    subject = models.CharField(max_length=200, validators=[validate_email_template])
    body_text = models.TextField(
        help_text="Django template syntax: {{ campaign.name }}, "
        "{{ contact.external_contact_id }}, {{ answers.q1 }} …",
        validators=[validate_email_template],
    )
    body_html = models.TextField(blank=True, validators=[validate_email_template])
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_type_display()}, {self.locale})"


class Campaign(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    status = models.CharField(
        max_length=20, choices=CampaignStatus.choices, default=CampaignStatus.DRAFT
    )
    language = models.CharField(max_length=2, choices=Language.choices, default=Language.EN)
    timezone = models.CharField(
        max_length=64,
        default=default_timezone,
        validators=[validate_timezone],
        help_text="IANA time zone used for contacts whose number does not fix one.",
    )
    languages = models.JSONField(
        default=list,
        blank=True,
        help_text="The languages the survey is written in; `language` is the default among them.",
    )
    texts = models.JSONField(
        default=dict,
        blank=True,
        help_text=(
            "Per language: intro (who is calling, why, how long, how to opt out), consent, "
            "repeat, goodbye."
        ),
    )
    max_attempts = models.PositiveSmallIntegerField(
        default=3,
        validators=[
            MinValueValidator(1, message=_MAX_ATTEMPTS_MESSAGE),
            MaxValueValidator(MAX_ATTEMPTS_LIMIT, message=_MAX_ATTEMPTS_MESSAGE),
        ],
    )
    retry_interval_minutes = models.PositiveIntegerField(
        default=60,
        validators=[
            MinValueValidator(1, message="The retry interval must be at least one minute.")
        ],
    )
    call_window_start = models.TimeField(default=datetime.time(9, 0))
    call_window_end = models.TimeField(default=datetime.time(20, 0))
    call_days = models.JSONField(
        default=default_call_days,
        blank=True,
        validators=[validate_call_days],
        help_text="ISO weekdays on which calls may be placed: 1 = Monday … 7 = Sunday.",
    )
    starts_at = models.DateTimeField(null=True, blank=True)
    # What the campaign may spend on calls, in CALL_COST_CURRENCY: reached, the scheduler
    # pauses it (calls/spend.py). Empty: no limit.
    budget = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0, message="The budget cannot be negative.")],
        help_text="The most its calls may cost: reached, it pauses. Empty: no limit.",
    )
    completed_email_template = models.ForeignKey(
        EmailTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"type": OutcomeType.COMPLETED},
    )
    refused_email_template = models.ForeignKey(
        EmailTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"type": OutcomeType.REFUSED},
    )
    not_reached_email_template = models.ForeignKey(
        EmailTemplate,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        limit_choices_to={"type": OutcomeType.NOT_REACHED},
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                name="campaign_max_attempts_1_to_5",
                condition=Q(max_attempts__gte=1, max_attempts__lte=5),
                violation_error_message="Max attempts must be between 1 and 5.",
            ),
            models.CheckConstraint(
                name="campaign_retry_interval_positive",
                condition=Q(retry_interval_minutes__gte=1),
                violation_error_message="The retry interval must be at least one minute.",
            ),
            models.CheckConstraint(
                name="campaign_budget_not_negative",
                condition=Q(budget__isnull=True) | Q(budget__gte=0),
                violation_error_message="The budget cannot be negative.",
            ),
            models.CheckConstraint(
                name="campaign_window_start_before_end",
                condition=Q(call_window_start__lt=F("call_window_end")),
                violation_error_message="The call window must start before it ends.",
            ),
        ]
        indexes = [
            # The scheduler looks up running campaigns each tick; dashboards count per status.
            models.Index(fields=["status"], name="campaign_status_idx"),
            models.Index(fields=["-created_at"], name="campaign_created_idx"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def survey_languages(self) -> list[str]:
        """The languages the survey is written in, the default first."""
        rest = [code for code in self.languages or () if code != self.language]
        return [self.language, *rest]

    def text(self, language: str, name: str) -> str:
        """One of the campaign's own texts (intro, consent, repeat, goodbye) in a language."""
        return str((self.texts or {}).get(language, {}).get(name, "") or "")

    @property
    def call_days_label(self) -> str:
        """'Mon–Sat', 'Mon, Wed, Fri', or 'none'."""
        names = dict(WEEKDAYS)
        days = sorted(set(self.call_days or []) & set(names))
        if not days:
            return "none"
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            return f"{names[days[0]]}–{names[days[-1]]}"
        return ", ".join(names[day] for day in days)

    @property
    def is_final(self) -> bool:
        return self.status in (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED)


class Question(models.Model):
    """One question of a campaign's questionnaire, in every language of the campaign. The
    shape of `text`, `options` and `skip` is campaigns/questionnaire.py's (`question_from_data`),
    which checks them."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField()  # 1-based, as people count
    key = models.CharField(max_length=40)
    type = models.CharField(max_length=20, choices=QuestionType.choices)
    text = models.JSONField(default=dict, blank=True)  # {language: the question as said}
    min_value = models.IntegerField(null=True, blank=True)
    max_value = models.IntegerField(null=True, blank=True)
    nps = models.BooleanField(default=False)
    max_length = models.PositiveIntegerField(default=DEFAULT_FREE_TEXT_LENGTH)
    options = models.JSONField(default=list, blank=True)
    skip = models.JSONField(default=list, blank=True)

    class Meta:
        ordering = ["campaign", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "position"], name="question_position_unique"
            ),
            models.UniqueConstraint(fields=["campaign", "key"], name="question_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.position}. {self.key}"

    def as_data(self) -> dict:
        """The questionnaire's JSON shape (what the API and the form send)."""
        return {
            "key": self.key,
            "type": self.type,
            "text": self.text or {},
            "min": self.min_value,
            "max": self.max_value,
            "nps": self.nps,
            "max_length": self.max_length,
            "options": self.options or [],
            "skip": self.skip or [],
        }

    def spec(self) -> QuestionSpec:
        return question_from_data(self.as_data())

    @classmethod
    def from_data(cls, campaign: Campaign, position: int, data: Mapping[str, Any]) -> Question:
        """A row (unsaved) from the JSON shape, `as_data`'s inverse: the settings as
        `question_from_data` reads them, options and skip rules as sent."""
        spec = question_from_data(data)
        return cls(
            campaign=campaign,
            position=position,
            key=spec.key,
            type=spec.type,
            text=dict(spec.texts),
            min_value=spec.min_value,
            max_value=spec.max_value,
            nps=spec.nps,
            max_length=spec.max_length,
            options=list(data.get("options") or []),
            skip=list(data.get("skip") or []),
        )

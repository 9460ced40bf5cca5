from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone

from contacts.models import CallOutcome

__all__ = ["CallOutcome"]  # decided here, stored on the contact too (contacts/models.py)


# Outcomes after which the contact may be tried again (docs/architecture.md §5).
RETRYABLE_OUTCOMES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED)


class Provider(models.TextChoices):
    SIMULATOR = "simulator", "Simulator"
    TWILIO = "twilio", "Twilio"


class ProviderConfig(models.Model):
    """The telephony settings: one row, edited in the admin (`provider_config_get`)."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    provider = models.CharField(max_length=20, choices=Provider.choices, default=Provider.SIMULATOR)
    outbound_number = models.CharField(
        max_length=16,
        blank=True,
        help_text="Caller id in E.164; Twilio uses TWILIO_FROM_NUMBER when this is empty.",
    )
    max_concurrent_calls = models.PositiveIntegerField(default=10)
    calls_per_second = models.DecimalField(max_digits=6, decimal_places=2, default=1)
    cost_per_minute = models.DecimalField(
        max_digits=8, decimal_places=4, default=0, help_text="Billed per started minute."
    )
    recording_retention_days = models.PositiveIntegerField(default=30)
    transcript_retention_days = models.PositiveIntegerField(default=90)
    # The simulator's fake callee: how a call ends, as shares of all calls (answer + busy +
    # no answer + failure = 1), then how often an answered callee consents.
    sim_answer_rate = models.FloatField("answer rate", default=0.65)
    sim_busy_rate = models.FloatField("busy rate", default=0.1)
    sim_no_answer_rate = models.FloatField("no-answer rate", default=0.2)
    sim_failure_rate = models.FloatField("failure rate", default=0.05)
    sim_consent_rate = models.FloatField("consent rate", default=0.8)
    sim_seed = models.PositiveIntegerField("seed", default=1)
    sim_unavailable = models.BooleanField(
        "simulate an outage",
        default=False,
        help_text="Every dial fails as if the provider were down, to watch the back-off.",
    )
    # Set by the scheduler after a provider outage; clear it to resume dialling at once.
    dialling_paused_until = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "provider configuration"
        verbose_name_plural = "provider configuration"
        constraints = [
            models.CheckConstraint(name="providerconfig_singleton", condition=Q(id=1)),
            models.CheckConstraint(
                name="providerconfig_concurrency_positive", condition=Q(max_concurrent_calls__gte=1)
            ),
            models.CheckConstraint(
                name="providerconfig_rate_positive", condition=Q(calls_per_second__gt=0)
            ),
            models.CheckConstraint(
                name="providerconfig_sim_rates_0_1",
                condition=Q(sim_answer_rate__gte=0, sim_answer_rate__lte=1)
                & Q(sim_busy_rate__gte=0, sim_busy_rate__lte=1)
                & Q(sim_no_answer_rate__gte=0, sim_no_answer_rate__lte=1)
                & Q(sim_failure_rate__gte=0, sim_failure_rate__lte=1)
                & Q(sim_consent_rate__gte=0, sim_consent_rate__lte=1),
                violation_error_message="Simulator rates are between 0 and 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_provider_display()} provider"


class CallAttempt(models.Model):
    """One dial of one contact. `outcome` is null while the call is in flight."""

    call_id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # Neither foreign key gets an index of its own: unique (contact, attempt_number) and the
    # (campaign, …) indexes below lead with them.
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    # Denormalised from the contact: stats and the scheduler read attempts by campaign.
    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="attempts", db_index=False
    )
    attempt_number = models.PositiveSmallIntegerField()
    provider = models.CharField(max_length=20, choices=Provider.choices)
    provider_call_id = models.CharField(max_length=64, blank=True)
    started_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    # Null, not "", while in flight: "no outcome yet" is a state, and the partial index uses it.
    outcome = models.CharField(  # noqa: DJ001
        max_length=20, choices=CallOutcome.choices, null=True, blank=True
    )
    provider_raw_status = models.CharField(max_length=32, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    metadata = models.JSONField(default=dict, blank=True)
    dialogue_step = models.CharField(max_length=32, blank=True)
    transcript = models.TextField(blank=True, help_text="Snippet of the dialogue, for review.")
    # The tick that claimed the attempt (null for attempts made otherwise, and before 0006),
    # and when that tick handed it to the provider: set in a conditional UPDATE just before
    # `start_call`, so an attempt in flight without it was never dialled, and is given back
    # when its tick is gone (calls/scheduler_runs.py). Runs are never deleted, hence no index
    # for SET_NULL to use; the undialled ones have the partial index below.
    scheduler_run = models.ForeignKey(
        "SchedulerRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    dialled_at = models.DateTimeField(null=True, blank=True)
    # The trace id of the tick that placed the call (voicesurvey/tracing.py): its webhooks run
    # and log under it too, so it finds the call's log lines in every process. "" before 0012.
    # Both defaults: "" on a new instance (the scheduler's own INSERT sends its value), and in
    # the column for rows written by SQL that does not name it (benchmarks, raw inserts).
    trace_id = models.CharField(max_length=64, blank=True, default="", db_default="")

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["contact", "attempt_number"], name="callattempt_unique_number_per_contact"
            ),
            models.CheckConstraint(
                name="callattempt_number_positive", condition=Q(attempt_number__gte=1)
            ),
        ]
        indexes = [
            # Time series and per-campaign outcome counts.
            models.Index(fields=["campaign", "started_at"], name="attempt_campaign_started_idx"),
            models.Index(fields=["campaign", "outcome"], name="attempt_campaign_outcome_idx"),
            # Webhooks find their attempt by the provider's id. (A Meta index, not db_index=True,
            # which on PostgreSQL adds a second, LIKE-only index.)
            models.Index(fields=["provider_call_id"], name="attempt_provider_call_idx"),
            # Calls in flight: concurrency slots, reconciliation of stuck attempts.
            # (By provider: the scheduler counts its provider's calls, reconciliation closes
            # each provider's stale ones; both then read the index alone.)
            models.Index(
                fields=["provider", "started_at"],
                name="attempt_in_flight_idx",
                condition=Q(outcome__isnull=True),
            ),
            # One campaign's calls in flight, per hour: the live part of its stats (the closed
            # ones are in CallStatsBucket).
            models.Index(
                fields=["campaign", "started_at"],
                name="attempt_campaign_flight_idx",
                condition=Q(outcome__isnull=True),
            ),
            # Claimed and not dialled yet: a tick's next dials, or what a dead tick left.
            models.Index(
                fields=["scheduler_run"],
                name="attempt_undialled_idx",
                condition=Q(outcome__isnull=True, dialled_at__isnull=True),
            ),
        ]

    def __str__(self) -> str:
        return f"call {self.call_id}"

    @property
    def duration_seconds(self) -> int | None:
        if self.answered_at and self.ended_at:
            return max(0, int((self.ended_at - self.answered_at).total_seconds()))
        return None


CALL_STATS_KEY = ("campaign", "provider", "bucket_start", "outcome")


class CallStatsBucket(models.Model):
    """Closed attempts summed per campaign, provider, quarter hour of their start (UTC) and
    outcome: what the dashboards read instead of every attempt (docs/architecture.md §9). The
    attempt's close adds it here in its own transaction (`call_attempt_close`); `call_stats_rebuild`
    recomputes buckets from the attempts. Attempts in flight are not here: the dashboards count them
    live.

    A quarter hour, because every UTC offset in use since 1980 is a whole number of quarter
    hours: the local hours and days of any campaign's time zone are exact sums of buckets."""

    campaign = models.ForeignKey(  # indexed by the unique key, which it leads
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    provider = models.CharField(max_length=20, choices=Provider.choices)
    bucket_start = models.DateTimeField()
    outcome = models.CharField(max_length=20, choices=CallOutcome.choices)
    attempts = models.IntegerField()
    # Talk time, answer → end, of the calls that have one (answered, and ended no earlier), and
    # run time, start → end, of the attempts with an end. In whole microseconds: exact, summed
    # 1.6× faster than PostgreSQL's intervals, and read far faster (psycopg parses intervals
    # in Python).
    talk_count = models.IntegerField()
    talk_total_us = models.BigIntegerField()
    talk_min_us = models.BigIntegerField(null=True)
    talk_max_us = models.BigIntegerField(null=True)
    run_count = models.IntegerField()
    run_total_us = models.BigIntegerField()
    # Per call, its started minutes of talk time.
    billed_minutes = models.BigIntegerField()

    class Meta:
        verbose_name = "call stats bucket"
        # A bucket's key, and the upsert's conflict target. (Not a composite primary key: the
        # admin takes none.)
        constraints = [models.UniqueConstraint(fields=CALL_STATS_KEY, name="callstatsbucket_key")]

    def __str__(self) -> str:
        return f"{self.outcome} calls from {self.bucket_start:%Y-%m-%d %H:%M} UTC"


RESULTS_BUCKET_KEY = (
    "campaign",
    "hour",
    "language",
    "attempt_number",
    "position",
    "status",
    "value",
)
RESULTS_ATTRIBUTE_BUCKET_KEY = (
    "campaign",
    "name",
    "attribute_value",
    "position",
    "status",
    "value",
)
# The longest value a results bucket keeps: answers of the grouped types (yes / no, a number,
# an option's value) are far shorter; free text is counted, not grouped by its words.
RESULTS_BUCKET_VALUE_LENGTH = 255


class ResultsBucket(models.Model):
    """The survey results rollup (docs/architecture.md §9): completed surveys' answers counted
    per campaign, UTC hour of completion, survey language, attempt number of the completing
    call (0: unknown), question position, answer status and value (free text: ""). Position 0
    counts the surveys themselves (status and value ""). What the results read instead of every
    answer, whenever their filters are these columns; kept in the transaction that saves the
    survey (calls/results_buckets.py).

    An hour, not a day: a campaign's local days are exact sums of UTC hours in every zone of a
    whole-hour offset, whichever zone the campaign moves to; the few half-hour zones read
    the answers for a date range instead."""

    campaign = models.ForeignKey(  # indexed by the unique key, which it leads
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    hour = models.DateTimeField()
    language = models.CharField(max_length=2, blank=True)
    attempt_number = models.PositiveSmallIntegerField()
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, blank=True)
    value = models.CharField(max_length=RESULTS_BUCKET_VALUE_LENGTH, blank=True)
    count = models.BigIntegerField()

    class Meta:
        verbose_name = "results bucket"
        constraints = [
            models.UniqueConstraint(fields=RESULTS_BUCKET_KEY, name="resultsbucket_key"),
        ]

    def __str__(self) -> str:
        return f"q{self.position} {self.status} {self.value!r}: {self.count}"


class ResultsAttributeBucket(models.Model):
    """The same counts per contact attribute instead of per hour, language and attempt: one
    row set per attribute of the respondent (name, its value). What a breakdown by an
    attribute, or one attribute filter alone, reads (docs/architecture.md §9)."""

    campaign = models.ForeignKey(
        "campaigns.Campaign", on_delete=models.CASCADE, related_name="+", db_index=False
    )
    name = models.CharField(max_length=40)
    attribute_value = models.CharField(max_length=255)
    position = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=12, blank=True)
    value = models.CharField(max_length=RESULTS_BUCKET_VALUE_LENGTH, blank=True)
    count = models.BigIntegerField()

    class Meta:
        verbose_name = "results attribute bucket"
        constraints = [
            models.UniqueConstraint(
                fields=RESULTS_ATTRIBUTE_BUCKET_KEY, name="resultsattributebucket_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}={self.attribute_value} q{self.position}: {self.count}"


class CallEvent(models.Model):
    """A provider webhook event as received. Unique per (attempt, key): replays are no-ops."""

    attempt = models.ForeignKey(CallAttempt, on_delete=models.CASCADE, related_name="events")
    event_key = models.CharField(max_length=128)
    status = models.CharField(max_length=32)
    payload = models.JSONField(default=dict, blank=True)
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["received_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["attempt", "event_key"], name="callevent_unique_key"),
        ]

    def __str__(self) -> str:
        return f"{self.status} ({self.event_key})"


class SurveyResponse(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_response"
    )
    campaign = models.ForeignKey(  # indexed by (campaign, completed_at) below, which it leads
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="survey_responses",
        db_index=False,
    )
    call_attempt = models.ForeignKey(
        CallAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    language = models.CharField(max_length=2, blank=True)  # the language the survey was in
    # The answered questions' values by position, {"q1": "yes", "q3": "7"}: what exports and
    # emails read in one row; the `answers` rows hold every detail.
    answer_values = models.JSONField(default=dict, blank=True)
    consent_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        # The newest surveys of a campaign first, a page at a time: the free-text answers.
        indexes = [
            models.Index(fields=["campaign", "completed_at"], name="response_campaign_done_idx")
        ]

    def __str__(self) -> str:
        return f"response {self.pk}"


class AnswerStatus(models.TextChoices):
    ANSWERED = "answered", "Answered"
    UNANSWERED = "unanswered", "Unanswered"  # asked twice, not understood: the survey went on


class Answer(models.Model):
    """One question of a completed survey, as asked and understood. Questions a skip rule
    jumped over have no row."""

    response = models.ForeignKey(SurveyResponse, on_delete=models.CASCADE, related_name="answers")
    position = models.PositiveSmallIntegerField()  # the question's, 1-based
    key = models.CharField(max_length=40)
    question_type = models.CharField(max_length=20)
    status = models.CharField(max_length=12, choices=AnswerStatus.choices)
    value = models.TextField(blank=True)  # yes / no, a number, an option's value, the words
    raw = models.TextField(blank=True)  # the digits keyed or the words said
    mode = models.CharField(max_length=8, blank=True)  # speech | dtmf
    confidence = models.FloatField(null=True, blank=True)
    asked = models.PositiveSmallIntegerField(default=1)

    class Meta:
        ordering = ["response", "position"]
        constraints = [
            models.UniqueConstraint(fields=["response", "position"], name="answer_position_unique"),
            models.CheckConstraint(
                name="answer_confidence_0_1",
                condition=Q(confidence__isnull=True) | Q(confidence__gte=0, confidence__lte=1),
                violation_error_message="Confidence is between 0 and 1.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.key}: {self.value}"


class SurveyEventType(models.TextChoices):
    COMPLETED = "survey.completed", "Survey completed"
    REFUSED = "survey.refused", "Survey refused"
    NOT_REACHED = "survey.not_reached", "Not reached"


class SurveyEvent(models.Model):
    """Outbox: written in the same transaction as the state change it reports, then drained."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    type = models.CharField(max_length=32, choices=SurveyEventType.choices)
    campaign = models.ForeignKey(
        "campaigns.Campaign",
        on_delete=models.CASCADE,
        related_name="survey_events",
        db_index=False,  # (campaign, type) below
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_events"
    )
    call_attempt = models.ForeignKey(
        CallAttempt, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    payload = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    processed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [
            models.Index(
                fields=["created_at"],
                name="surveyevent_unprocessed_idx",
                condition=Q(processed_at__isnull=True),
            ),
            models.Index(fields=["campaign", "type"], name="surveyevent_campaign_type_idx"),
            # The outbound webhooks' fan-out reads every event after its cursor, in order
            # (integrations/fanout.py), processed by the emails' drain or not.
            models.Index(fields=["created_at"], name="surveyevent_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.pk}"


class EmailStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailNotification(models.Model):
    """One follow-up email. Unique per (event, template): an outcome is mailed at most once."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(  # indexed by unique (event, template) below
        SurveyEvent, on_delete=models.CASCADE, related_name="emails", db_index=False
    )
    contact = models.ForeignKey("contacts.Contact", on_delete=models.CASCADE, related_name="emails")
    template = models.ForeignKey(
        "campaigns.EmailTemplate", on_delete=models.PROTECT, related_name="notifications"
    )
    to_email = models.EmailField(max_length=254)
    status = models.CharField(
        max_length=10, choices=EmailStatus.choices, default=EmailStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.TextField(blank=True)
    provider_message_id = models.CharField(max_length=255, blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["event", "template"], name="email_once_per_event"),
        ]
        indexes = [
            models.Index(fields=["status"], name="email_status_idx"),
        ]

    def __str__(self) -> str:
        return f"email {self.pk} ({self.status})"


class SchedulerRunStatus(models.TextChoices):
    RUNNING = "running", "Running"
    FINISHED = "finished", "Finished"
    FAILED = "failed", "Failed"  # raised (the database went away…); details["failed"] says what
    DIED = "died", "Died"  # stopped beating while running (killed): marked by reconciliation


class SchedulerRun(models.Model):
    """One scheduler tick: what it saw and did. A tick creates its run as running and beats
    (`heartbeat_at`) while it dials; rows written otherwise (demo data) are records of
    finished ticks, hence the default."""

    started_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(
        max_length=10, choices=SchedulerRunStatus.choices, default=SchedulerRunStatus.FINISHED
    )
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    campaigns_seen = models.PositiveIntegerField(default=0)
    calls_placed = models.PositiveIntegerField(default=0)
    errors = models.PositiveIntegerField(default=0)
    details = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-started_at"]
        indexes = [
            models.Index(fields=["-started_at"], name="schedulerrun_started_idx"),
            # The ticks running now, by their last heartbeat: reconciliation finds the dead.
            models.Index(
                fields=["heartbeat_at"],
                name="schedulerrun_running_idx",
                condition=Q(status="running"),
            ),
        ]

    def __str__(self) -> str:
        return f"scheduler run {self.started_at:%Y-%m-%d %H:%M:%S}"


class DialPace(models.Model):
    """The pace of dials shared by every scheduler process and tick: one row, the time of the
    last dial slot taken (calls/pacing.py). Created on first use."""

    SINGLETON_ID = 1

    id = models.PositiveSmallIntegerField(primary_key=True, default=SINGLETON_ID, editable=False)
    last_dial_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.CheckConstraint(name="dialpace_singleton", condition=Q(id=1))]

    def __str__(self) -> str:
        return "dial pace"

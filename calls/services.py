"""Writes of the calls engine: provider events, dialogue turns, reconciliation, follow-up emails.

The scheduler lives in `calls/scheduler.py` and the outcome rules in `calls/outcomes.py`; the
functions here apply what providers tell us (through `calls/webhooks.py`) and drain the outbox.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import logging
import uuid
import zoneinfo
from decimal import ROUND_CEILING, Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import EmailMultiAlternatives, make_msgid
from django.db import connection, transaction
from django.db.models import Q
from django.template import Context
from django.utils import timezone

from calls import dialogue, outcomes
from calls.models import (
    Answer,
    CallAttempt,
    CallEvent,
    CallOutcome,
    EmailNotification,
    EmailStatus,
    Provider,
    ProviderConfig,
    SurveyEvent,
    SurveyEventType,
)
from calls.scheduler_runs import scheduler_runs_reconcile
from calls.selectors import provider_config_get
from calls.stats_buckets import call_stats_talk_add
from calls.telephony.base import (
    FINAL_STATUSES,
    MACHINE_LEFT_MESSAGE,
    STATUS_RANK,
    CallStatus,
    DialogueReply,
    ProviderNotConfigured,
    StatusEvent,
)
from calls.telephony.providers import provider_class
from calls.understanding import Callback, Reading
from campaigns.hours import calling_window, contact_zone, next_window_opening, zone_is_open
from campaigns.models import EMAIL_HTML_ENGINE, EMAIL_TEXT_ENGINE, Campaign, EmailTemplate
from campaigns.questionnaire import QuestionSpec
from campaigns.selectors import campaign_questionnaire
from contacts.models import Contact, ExclusionSource
from contacts.services.exclusions import exclusion_add
from voicesurvey import metrics
from voicesurvey.services import audit_log_record
from voicesurvey.tracing import TRACE_KEY, current_trace_id

logger = logging.getLogger(__name__)

TRANSCRIPT_MAX = 4000
_DIALOGUE_OUTCOMES = {
    dialogue.COMPLETED: CallOutcome.COMPLETED,
    dialogue.REFUSED: CallOutcome.REFUSED,
    dialogue.FAILED: CallOutcome.FAILED,
    # "Call me later": the callee was busy; the contact waits for the time they asked for.
    dialogue.CALLBACK: CallOutcome.BUSY,
}


def call_language(*, contact: Contact, campaign: Campaign) -> str:
    """The one language of a call (docs/architecture.md §6.3): the contact's preferred language
    when the survey is written in it, else the campaign's default."""
    if contact.preferred_language in campaign.survey_languages:
        return contact.preferred_language
    return campaign.language


@functools.lru_cache(maxsize=256)
def _questionnaire(campaign_id: uuid.UUID, updated_at: dt.datetime) -> tuple[QuestionSpec, ...]:
    """A campaign's questions, read once per version of the campaign: a live campaign's
    questionnaire is frozen, and any change to a draft's moves its `updated_at`."""
    return campaign_questionnaire(Campaign(pk=campaign_id))


def campaign_script(*, campaign: Campaign, language: str) -> dialogue.Script:
    """What the campaign says in `language`: its texts and questions (the dialogue and the
    rehearsal page run on it)."""
    return dialogue.Script(
        language=language,
        intro=campaign.text(language, "intro"),
        consent=campaign.text(language, "consent"),
        questions=_questionnaire(campaign.pk, campaign.updated_at),
        repeat=campaign.text(language, "repeat"),
        goodbye=campaign.text(language, "goodbye"),
    )


def dialogue_script(*, attempt: CallAttempt) -> dialogue.Script:
    campaign = attempt.campaign
    language = call_language(contact=attempt.contact, campaign=campaign)
    return campaign_script(campaign=campaign, language=language)


def callback_time(*, contact: Contact, campaign: Campaign, heard: dict | None, now: dt.datetime):
    """When to call back a callee who asked to be called later: the time they said when one was
    heard and it lies in their calling hours; else the first opening after the retry interval
    (and never before now)."""
    zone = contact_zone(contact.timezone, campaign)
    window = calling_window(campaign)
    local_now = now.astimezone(zoneinfo.ZoneInfo(zone))
    asked = Callback(**heard).resolve(local_now) if heard else None
    if asked is not None and asked > now and zone_is_open(zone, at=asked, **window):
        return asked.astimezone(dt.UTC)
    after = now + dt.timedelta(minutes=campaign.retry_interval_minutes)
    return next_window_opening(zone, after=after, **window) or after


# What a dialogue turn reads: the attempt, the campaign's script and retry rules (outcomes),
# the contact's language, number and time zone. Only these columns: compiling the full join
# of three wide tables costs more than the query on every turn of every call.
_DIALOGUE_FIELDS = (
    *(f.name for f in CallAttempt._meta.concrete_fields),
    "campaign__language",
    "campaign__languages",
    "campaign__texts",
    "campaign__updated_at",
    "campaign__timezone",
    "campaign__call_window_start",
    "campaign__call_window_end",
    "campaign__call_days",
    "campaign__max_attempts",
    "campaign__retry_interval_minutes",
    "contact__preferred_language",
    "contact__phone_number",
    "contact__timezone",
)


def _attempt_locked(*, call_id: uuid.UUID, provider: str, related: bool = False) -> CallAttempt:
    """The attempt, row-locked for this transaction: events for one call apply one at a time.
    CallAttempt.DoesNotExist when there is no such call for this provider. `related` joins
    the campaign and contact in (the dialogue needs them; a status event only when it closes
    the call, and then loads the campaign by itself: most status events are cheaper without)."""
    query = CallAttempt.objects.select_for_update(of=("self",))
    if related:
        query = query.select_related("campaign", "contact").only(*_DIALOGUE_FIELDS)
    return query.get(pk=call_id, provider=provider)


_EVENT_INSERT_SQL = """
INSERT INTO calls_callevent (attempt_id, event_key, status, payload, received_at)
VALUES (%s, %s, %s, %s, %s)
ON CONFLICT (attempt_id, event_key) DO NOTHING
RETURNING id
"""


def _event_record(*, attempt: CallAttempt, key: str, status: str, payload, now) -> bool:
    """Store a provider event once; False when its key was seen before (a replay). One
    statement, insert-unless-present, on the unique (attempt, event_key): webhooks are the
    hottest path we have, and this is one round trip where exists() + create() are two.
    The payload keeps the trace id the event was handled under (the call's, from its URL)."""
    fields = {f.name: f for f in CallEvent._meta.concrete_fields}
    payload = dict(payload)
    if trace_id := current_trace_id():
        payload[TRACE_KEY] = trace_id
    values = [
        fields["attempt"].get_db_prep_save(attempt.pk, connection),
        key[:128],
        status[:32],
        fields["payload"].get_db_prep_save(payload, connection),
        fields["received_at"].get_db_prep_save(now, connection),
    ]
    with connection.cursor() as cursor:
        cursor.execute(_EVENT_INSERT_SQL, values)
        return cursor.fetchone() is not None


def call_status_apply(*, call_id: uuid.UUID, provider: str, event: StatusEvent) -> str:
    """Apply a status event: store it, then move the attempt forward. Idempotent and
    order-tolerant: a replay changes nothing ("duplicate"), an event for a finished attempt is
    stored but changes nothing ("ignored") — except an "answered" that comes after the final
    status, which fills the answer time in ("applied", `_answered_late`) — and a live status
    older than one already seen (ringing after answered) is stored only ("late"). Returns what
    happened."""
    now = timezone.now()
    with transaction.atomic():
        attempt = _attempt_locked(call_id=call_id, provider=provider)
        if not _event_record(
            attempt=attempt,
            key=event.event_key,
            status=event.status,
            payload=event.payload,
            now=now,
        ):
            return "duplicate"
        if attempt.outcome is not None:
            if event.status == CallStatus.ANSWERED:
                return _answered_late(attempt=attempt, at=event.occurred_at or now)
            return "ignored"
        occurred = event.occurred_at or now
        changes: dict = {}
        if event.provider_call_id and not attempt.provider_call_id:
            changes["provider_call_id"] = event.provider_call_id
        if event.status in FINAL_STATUSES:
            if changes:
                CallAttempt.objects.filter(pk=attempt.pk).update(**changes)
            outcome, error_code = outcomes.call_end_outcome(
                event.status, error_code=event.error_code
            )
            outcomes.call_attempt_close(
                attempt=attempt,
                outcome=outcome,
                error_code=error_code,
                raw_status=event.raw_status,
                ended_at=occurred,
            )
            return "closed"
        rank = STATUS_RANK[event.status]
        if rank > attempt.metadata.get("status_rank", 0):
            changes["provider_raw_status"] = event.raw_status[:32]
            changes["metadata"] = {**attempt.metadata, "status_rank": rank}
            if event.status == CallStatus.ANSWERED and attempt.answered_at is None:
                changes["answered_at"] = occurred
            result = "applied"
        else:
            result = "late"
        if changes:
            CallAttempt.objects.filter(pk=attempt.pk).update(**changes)
        return result


def _answered_late(*, attempt: CallAttempt, at: dt.datetime) -> str:
    """A sign that a closed call had been answered (its "answered" event, a dialogue request),
    come after its final status: the answer time is filled in, never after the call's end, and
    its talk time added to its statistics. The outcome stands: a call over as "completed" was
    answered already by definition (`call_end_outcome`), and one the provider said nobody
    answered (busy, no answer) is not overruled by a stray event. Within the caller's
    transaction, on the locked attempt."""
    if attempt.answered_at is not None or attempt.outcome in (
        CallOutcome.BUSY,
        CallOutcome.NO_ANSWER,
    ):
        return "ignored"
    answered_at = min(at, attempt.ended_at) if attempt.ended_at else at
    CallAttempt.objects.filter(pk=attempt.pk).update(answered_at=answered_at)
    attempt.answered_at = answered_at
    call_stats_talk_add(attempt=attempt)
    return "applied"


def _describe_reply(reply: dialogue.Reply, heard: Reading) -> str:
    if reply.is_silence:
        return "callee: (silence)"
    if reply.digits.strip():
        said = f"keyed {reply.digits.strip()}"
    else:
        confidence = "" if reply.confidence is None else f" ({reply.confidence:.2f})"
        said = f"said “{reply.speech.strip()[:200]}”{confidence}"
    understood = heard.value if heard.is_answer else heard.kind.replace("_", " ")
    return f"callee: {said} → {understood}"


def call_dialogue_reply(
    *, call_id: uuid.UUID, provider: str, reply: DialogueReply
) -> dialogue.Turn:
    """Take the callee's reply to a prompt and give the next prompt (turn 0: the call was just
    answered). Idempotent: a repeated request gets the current prompt again, a reply to a
    prompt that is no longer current is ignored. When the dialogue ends, the attempt closes
    with its outcome and answers; "do not call me" puts the number on the exclusion list.
    A call the provider says a machine answered (`reply.machine`, turn 0) closes at once as
    no_answer, with that ending as its error code, and gets `dialogue.machine_turn`."""
    now = timezone.now()
    with transaction.atomic():
        attempt = _attempt_locked(call_id=call_id, provider=provider, related=True)
        script = dialogue_script(attempt=attempt)
        saved = attempt.metadata.get("dialogue")
        state = dialogue.State.from_dict(saved) if saved else None
        fresh = _event_record(
            attempt=attempt, key=reply.event_key, status="dialogue", payload=reply.payload, now=now
        )
        if attempt.outcome is not None and (state is None or not state.ended):
            # Over before the dialogue ended (hung up, timed out): nothing more to say. The
            # request still tells that the call was answered, should nothing else have.
            if fresh:
                _answered_late(attempt=attempt, at=reply.occurred_at or now)
            turn_number = state.turn if state else 0
            return dialogue.Turn(turn_number, "", script.language, expect="", hangup=True)
        if not fresh or state is not None and reply.turn != state.turn:
            # A replay, or a reply to a prompt already answered: say the current prompt again.
            return dialogue.prompt(script, state) if state else dialogue.start(script)[1]

        occurred = reply.occurred_at or now
        if state is None and reply.machine:
            return _machine_answered(attempt=attempt, script=script, reply=reply, at=occurred)
        metadata = dict(attempt.metadata)
        lines = []
        if state is None:
            before = None
            state, turn = dialogue.start(script)
        else:
            before = state
            state, turn, heard = dialogue.advance(script, state, reply.reply)
            lines.append(_describe_reply(reply.reply, heard))
        lines.append(f"{'goodbye' if state.ended else state.step}: {turn.say}")
        metadata["dialogue"] = state.to_dict()
        if state.consented and "consent_at" not in metadata:
            metadata["consent_at"] = occurred.isoformat()
        transcript = "\n".join(filter(None, [attempt.transcript, *lines]))
        changes: dict[str, Any] = {
            "metadata": metadata,
            "dialogue_step": state.step[:32],
            "transcript": transcript[:TRANSCRIPT_MAX],
        }
        if attempt.answered_at is None:
            changes["answered_at"] = occurred  # the status event may come later, or never
        CallAttempt.objects.filter(pk=attempt.pk).update(**changes)

        if state.do_not_call and not (before and before.do_not_call):
            exclusion_add(
                phone_number=attempt.contact.phone_number,
                reason="Asked not to be called again, during a survey call.",
                source=ExclusionSource.CALLEE,
                campaign=attempt.campaign,
                call_attempt_id=attempt.pk,
            )
        if state.outcome:
            consent_at = metadata.get("consent_at")
            callback_at = None
            if state.outcome == dialogue.CALLBACK:
                callback_at = callback_time(
                    contact=attempt.contact,
                    campaign=attempt.campaign,
                    heard=state.callback,
                    now=occurred,
                )
            outcomes.call_attempt_close(
                attempt=attempt,
                outcome=_DIALOGUE_OUTCOMES[state.outcome],
                error_code=state.error,
                ended_at=occurred,
                answers=state.answers if state.outcome == dialogue.COMPLETED else (),
                language=script.language,
                consent_at=dt.datetime.fromisoformat(consent_at) if consent_at else None,
                callback_at=callback_at,
            )
        return turn


def _machine_answered(
    *, attempt: CallAttempt, script: dialogue.Script, reply: DialogueReply, at: dt.datetime
) -> dialogue.Turn:
    """A machine took the call: no survey, and the outcome of a call nobody picked up
    (docs/architecture.md §4 has no other for it), so the contact is retried; the error code tells a
    machine hung up on, a message left and a fax apart."""
    turn = dialogue.machine_turn(script, leave_message=reply.machine == MACHINE_LEFT_MESSAGE)
    line = f"{reply.machine.replace('_', ' ')}: {turn.say or '(hung up)'}"
    transcript = "\n".join(filter(None, [attempt.transcript, line]))
    CallAttempt.objects.filter(pk=attempt.pk).update(transcript=transcript[:TRANSCRIPT_MAX])
    outcomes.call_attempt_close(
        attempt=attempt, outcome=CallOutcome.NO_ANSWER, error_code=reply.machine, ended_at=at
    )
    return turn


def call_attempts_reconcile(*, now: dt.datetime | None = None, limit: int = 1000) -> int:
    """Give back the attempts that scheduler ticks which died claimed and never dialled (no
    attempt used, calls/scheduler_runs.py), and close attempts left without a final event past
    their provider's timeout as failed (error_code=timeout), so no contact stays in progress
    forever. Returns how many closed."""
    now = now or timezone.now()
    closed = scheduler_runs_reconcile(now=now, limit=limit)
    for name in Provider.values:
        try:
            timeout = provider_class(name).call_timeout()
        except ProviderNotConfigured:
            timeout = dt.timedelta(minutes=settings.CALL_ATTEMPT_TIMEOUT_MINUTES)
        cutoff = now - timeout
        stale = (
            CallAttempt.objects.filter(outcome__isnull=True, provider=name, started_at__lt=cutoff)
            # Timed out from the dial, not the claim (a paced tick may dial a minute later);
            # an attempt a tick claimed and has not dialled is the tick's, or given back
            # above. (started_at first: what the index of calls in flight reads.)
            .filter(Q(dialled_at__lt=cutoff) | Q(dialled_at__isnull=True, scheduler_run=None))
            .select_related("campaign")
            .order_by("started_at")[:limit]
        )
        for attempt in stale:
            closed += outcomes.call_attempt_close(
                attempt=attempt,
                outcome=CallOutcome.FAILED,
                error_code=outcomes.TIMEOUT,
                ended_at=now,
            )
    if closed:
        logger.info("reconciliation closed %d stale call attempts", closed)
    return closed


def _dialogue_words_purged(metadata: dict) -> dict | None:
    """The attempt's metadata with the raw words of the answers in its stored dialogue state
    emptied; None when there are none."""
    state = metadata.get("dialogue") if isinstance(metadata, dict) else None
    if not isinstance(state, dict):
        return None
    answers = state.get("answers")
    if not answers or not any(isinstance(a, dict) and a.get("raw") for a in answers):
        return None
    cleared = [{**a, "raw": ""} if isinstance(a, dict) else a for a in answers]
    return {**metadata, "dialogue": {**state, "answers": cleared}}


def call_transcripts_purge(*, now: dt.datetime | None = None) -> int:
    """Retention (docs/architecture.md §10): the callee's own words, kept as a call's transcript and
    in the payloads of its dialogue events, are erased once the call ended longer ago than the
    provider configuration's `transcript_retention_days`, and so are the raw words or digits kept
    beside each answer (its Answer row, and the call's stored dialogue state). The answers (the
    survey's results) and the call's outcome and timings stay. Returns how many calls were
    purged."""
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=provider_config_get().transcript_retention_days)
    with transaction.atomic():
        old = CallAttempt.objects.filter(ended_at__lt=cutoff)
        # The raw words beside each answer in the dialogue's stored state too: read only for
        # the calls purged now (their transcript not yet emptied), in batches.
        batch: list[CallAttempt] = []
        for attempt in old.exclude(transcript="").only("pk", "metadata").iterator(chunk_size=1000):
            metadata = _dialogue_words_purged(attempt.metadata)
            if metadata is not None:
                attempt.metadata = metadata
                batch.append(attempt)
            if len(batch) >= 1000:
                CallAttempt.objects.bulk_update(batch, ["metadata"])
                batch = []
        CallAttempt.objects.bulk_update(batch, ["metadata"])
        purged = old.exclude(transcript="").update(transcript="")
        CallEvent.objects.filter(attempt__in=old, status="dialogue").exclude(payload={}).update(
            payload={}
        )
        Answer.objects.filter(response__call_attempt__in=old).exclude(raw="").update(raw="")
    if purged:
        logger.info("retention purged the transcripts of %d calls", purged)
    return purged


# --- Follow-up emails (docs/architecture.md §6.6) -------------------------------------------------

# One first try and up to three retries, waiting longer each time.
EMAIL_RETRY_DELAYS = (dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15))
MAX_EMAIL_ATTEMPTS = 1 + len(EMAIL_RETRY_DELAYS)

_TEMPLATE_FIELD: dict[str, str] = {
    SurveyEventType.COMPLETED: "completed_email_template_id",
    SurveyEventType.REFUSED: "refused_email_template_id",
    SurveyEventType.NOT_REACHED: "not_reached_email_template_id",
}


@dataclasses.dataclass
class DrainSummary:
    events: int = 0
    emails_queued: int = 0
    sent: int = 0
    failed: int = 0


def email_render(*, template: EmailTemplate, event: SurveyEvent) -> tuple[str, str, str]:
    """(subject, text body, HTML body) of a template for an event. Templates see plain values
    only, never model instances, so they cannot walk into other data."""
    contact, campaign = event.contact, event.campaign
    values = {
        "campaign": {"name": campaign.name, "language": campaign.language},
        "contact": {
            "external_contact_id": contact.external_contact_id,
            "email": contact.email,
            "language": contact.preferred_language,
        },
        "answers": event.payload.get("answers", {}),
        "attempts": event.payload.get("attempts"),
        "outcome": event.type.removeprefix("survey."),
    }
    # A Context escapes HTML unless told not to: the engine's own autoescape=False applies only
    # to templates rendered through a template backend, never to Template.render(Context(…)).
    # The subject and the text body are plain text ("L'assistenza & co" as written); only the
    # HTML body is escaped.
    text_context = Context(values, autoescape=False)
    subject = " ".join(EMAIL_TEXT_ENGINE.from_string(template.subject).render(text_context).split())
    text = EMAIL_TEXT_ENGINE.from_string(template.body_text).render(text_context)
    html = (
        EMAIL_HTML_ENGINE.from_string(template.body_html).render(Context(values, autoescape=True))
        if template.body_html
        else ""
    )
    return subject[:250], text, html


def survey_events_process(*, now: dt.datetime, batch_size: int = 200) -> tuple[int, int]:
    """Turn unprocessed outcome events into pending emails (one per event and template, by the
    unique constraint) and mark the events processed. Returns (events, emails queued)."""
    events_done = queued = 0
    while True:
        with transaction.atomic():
            events = list(
                SurveyEvent.objects.filter(processed_at__isnull=True)
                .select_related("campaign", "contact")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("created_at")[:batch_size]
            )
            if not events:
                return events_done, queued
            emails = []
            for event in events:
                template_id = getattr(event.campaign, _TEMPLATE_FIELD[event.type])
                if template_id and event.contact.email:
                    emails.append(
                        EmailNotification(
                            event=event,
                            contact=event.contact,
                            template_id=template_id,
                            to_email=event.contact.email,
                            created_at=now,
                        )
                    )
            EmailNotification.objects.bulk_create(emails, ignore_conflicts=True)
            SurveyEvent.objects.filter(pk__in=[e.pk for e in events]).update(processed_at=now)
        events_done += len(events)
        queued += len(emails)


def email_notification_send(*, notification: EmailNotification, now: dt.datetime) -> bool:
    """Render and send one claimed email; record the result. A template error fails it for
    good; a sending error leaves it pending for a retry until the attempts run out."""
    event = notification.event
    try:
        subject, text, html = email_render(template=notification.template, event=event)
    # Templates are checked when edited, but any that fails here (a syntax error, an include,
    # a filter's own error) must fail this email alone, not the drain and the emails after it.
    except Exception as exc:
        EmailNotification.objects.filter(pk=notification.pk).update(
            status=EmailStatus.FAILED, error=f"Template error: {exc}"[:1000], next_attempt_at=None
        )
        metrics.emails_total.labels(result="failed").inc()
        return False
    message_id = make_msgid(domain="voicesurvey")
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[notification.to_email],
        headers={"Message-ID": message_id},
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        message.send()
    except Exception as exc:  # any backend error (SMTP, network) is one failed try
        final = notification.attempts >= MAX_EMAIL_ATTEMPTS
        EmailNotification.objects.filter(pk=notification.pk).update(
            status=EmailStatus.FAILED if final else EmailStatus.PENDING,
            error=f"{type(exc).__name__}: {exc}"[:1000],
            next_attempt_at=None if final else notification.next_attempt_at,
        )
        metrics.emails_total.labels(result="failed" if final else "retry").inc()
        logger.warning(
            "email %s: try %d failed (%s)",
            notification.pk,
            notification.attempts,
            type(exc).__name__,
        )
        return False
    EmailNotification.objects.filter(pk=notification.pk).update(
        status=EmailStatus.SENT,
        sent_at=now,
        provider_message_id=message_id,
        error="",
        next_attempt_at=None,
    )
    metrics.emails_total.labels(result="sent").inc()
    return True


def notifications_drain(*, now: dt.datetime | None = None, batch_size: int = 100) -> DrainSummary:
    """Drain the outbox: queue the emails of new outcome events, then send the emails that are
    due. Each email is claimed first (its try counted, its next retry time set) in a short
    transaction and sent after it, so a second drainer, now or later, skips it; only a crash
    between the SMTP server's acceptance and our record could send it twice."""
    now = now or timezone.now()
    summary = DrainSummary()
    summary.events, summary.emails_queued = survey_events_process(now=now)
    while True:
        with transaction.atomic():
            claimed = list(
                EmailNotification.objects.filter(status=EmailStatus.PENDING)
                .filter(Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now))
                .select_related("template", "event__campaign", "event__contact")
                .select_for_update(skip_locked=True, of=("self",))
                .order_by("created_at")[:batch_size]
            )
            for notification in claimed:
                notification.attempts += 1
                retry_index = min(notification.attempts, len(EMAIL_RETRY_DELAYS)) - 1
                notification.next_attempt_at = now + EMAIL_RETRY_DELAYS[retry_index]
            EmailNotification.objects.bulk_update(claimed, ["attempts", "next_attempt_at"])
        if not claimed:
            return summary
        for notification in claimed:
            if email_notification_send(notification=notification, now=now):
                summary.sent += 1
            else:
                summary.failed += 1


# --- Provider configuration ---------------------------------------------------------------------

# What people may set on the provider configuration (the admin, `PUT /api/config/provider`).
PROVIDER_CONFIG_FIELDS = (
    "provider",
    "outbound_number",
    "max_concurrent_calls",
    "calls_per_second",
    "cost_per_minute",
    "recording_retention_days",
    "transcript_retention_days",
    "sim_answer_rate",
    "sim_busy_rate",
    "sim_no_answer_rate",
    "sim_failure_rate",
    "sim_consent_rate",
    "sim_seed",
    "sim_unavailable",
    "dialling_paused_until",
)


def provider_unusable_reason(name: str) -> str:
    """Why the provider `name` cannot place calls in this installation ("" when it can):
    Twilio without its settings, say. Checked before it is chosen, so that choosing it never
    stops dialling."""
    try:
        provider_class(name)(None)
    except ProviderNotConfigured as exc:
        return str(exc)
    return ""


@transaction.atomic
def provider_config_update(*, actor, fields: dict) -> ProviderConfig:
    """Change the provider configuration (ValidationError by field), audit-logged with the
    names of the fields that changed."""
    unknown = sorted(set(fields) - set(PROVIDER_CONFIG_FIELDS))
    if unknown:
        raise ValidationError({name: ["This field cannot be set."] for name in unknown})
    provider_config_get()  # the row exists
    config = ProviderConfig.objects.select_for_update().get(pk=ProviderConfig.SINGLETON_ID)
    changed = sorted(name for name, value in fields.items() if getattr(config, name) != value)
    if not changed:
        return config
    for name in changed:
        setattr(config, name, fields[name])
    config.full_clean()
    if "provider" in changed and (reason := provider_unusable_reason(config.provider)):
        raise ValidationError({"provider": [reason]})
    # A tick places whole calls: a rate below one call per tick would never place any.
    slowest = Decimal(1) / settings.SCHEDULER_TICK_SECONDS
    if "calls_per_second" in changed and config.calls_per_second < slowest:
        raise ValidationError(
            {
                "calls_per_second": [
                    f"At least one call per scheduler tick ({settings.SCHEDULER_TICK_SECONDS} s):"
                    f" {slowest.quantize(Decimal('0.01'), rounding=ROUND_CEILING)} or more."
                ]
            }
        )
    config.save()
    audit_log_record(
        actor=actor, action="provider_config.update", obj=config, details={"changed": changed}
    )
    return config

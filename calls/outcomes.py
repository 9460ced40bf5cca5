"""The outcome rules of docs/architecture.md §5, in one place.

Two small pure functions say what happens:

- `call_end_outcome`: how a call the provider reports as over ends, when our dialogue did not
  end it first (busy, no answer, hung up mid-survey…);
- `contact_move`: where the contact goes after an outcome —

    completed                         → completed, event survey.completed
    refused                           → refused,   event survey.refused
    no_answer | busy | failed:
        number excluded / do_not_call → excluded (never dialled again; no event)
        attempts left                 → pending, next_attempt_at = end + retry interval
        no attempts left              → not_reached, event survey.not_reached

and `call_attempt_close` applies them in one transaction: close the attempt (exactly once),
move the contact, write the SurveyResponse of a completed survey and the SurveyEvent (outbox),
and add the attempt to its stats bucket (calls/stats_buckets.py).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from calls.dialogue import ANSWERED
from calls.dialogue import Answer as DialogueAnswer
from calls.models import (
    RETRYABLE_OUTCOMES,
    Answer,
    CallAttempt,
    CallOutcome,
    SurveyEvent,
    SurveyEventType,
    SurveyResponse,
)
from calls.results_buckets import results_buckets_add, results_buckets_remove
from calls.stats_buckets import GIVEN_BACK_ERROR_CODES, call_stats_add
from calls.telephony.base import CallStatus
from campaigns.models import Campaign
from contacts.models import Contact, ContactState, ExclusionEntry
from voicesurvey import metrics

# Error codes we set ourselves (providers add their own).
HUNG_UP = "hung_up"
TIMEOUT = "timeout"
PROVIDER_UNAVAILABLE = "provider_unavailable"
# Claimed by a tick, never handed to the provider, given back like an outage's (no attempt
# used): the tick died first, or the contact's calling hours ended before its turn to dial.
NEVER_DIALLED = "never_dialled"
CALLING_HOURS_ENDED = "calling_hours_ended"


@dataclasses.dataclass(frozen=True)
class ContactMove:
    state: str
    event_type: str | None  # the SurveyEvent to write, if any
    retry: bool  # set next_attempt_at = end of call + retry interval


def call_end_outcome(status: str, *, error_code: str = "") -> tuple[str, str]:
    """(outcome, error code) of a call that ended without our dialogue closing it."""
    if status == CallStatus.BUSY:
        return CallOutcome.BUSY, error_code
    if status == CallStatus.NO_ANSWER:
        return CallOutcome.NO_ANSWER, error_code
    if status == CallStatus.COMPLETED:
        # Answered, then over before the survey ended: the callee hung up (or the line
        # dropped). "Completed" means answered (calls/telephony/base.py: a call nobody
        # answered ends no_answer, busy or failed), whether or not its "answered" event came
        # first: events arrive in any order, and a late one fills the answer time in.
        return CallOutcome.FAILED, error_code or HUNG_UP
    if status == CallStatus.CANCELED:
        return CallOutcome.FAILED, error_code or "canceled"
    if status == CallStatus.FAILED:
        return CallOutcome.FAILED, error_code or "provider_failed"
    raise ValueError(f"{status!r} is not a final call status.")


def contact_move(
    outcome: str, *, attempts_count: int, max_attempts: int, excluded: bool
) -> ContactMove:
    """Where a contact goes after an attempt with this outcome (`attempts_count` includes it)."""
    if outcome == CallOutcome.COMPLETED:
        return ContactMove(ContactState.COMPLETED, SurveyEventType.COMPLETED, retry=False)
    if outcome == CallOutcome.REFUSED:
        return ContactMove(ContactState.REFUSED, SurveyEventType.REFUSED, retry=False)
    if outcome not in RETRYABLE_OUTCOMES:
        raise ValueError(f"Unknown outcome {outcome!r}.")
    if excluded:
        return ContactMove(ContactState.EXCLUDED, None, retry=False)
    if attempts_count < max_attempts:
        return ContactMove(ContactState.PENDING, None, retry=True)
    return ContactMove(ContactState.NOT_REACHED, SurveyEventType.NOT_REACHED, retry=False)


def _answers_payload(answers: Sequence[DialogueAnswer]) -> dict:
    """The answers as emails and events read them: by position (q1, q2 …, the seed's names)
    and by question key. Unanswered questions are absent."""
    payload: dict[str, str] = {}
    for answer in answers:
        if answer.status == ANSWERED:
            payload[answer.key] = answer.value
    for answer in answers:
        if answer.status == ANSWERED:
            payload[f"q{answer.position}"] = answer.value
    return payload


# A callee may ask to be called later this many times without it using one of their attempts.
FREE_CALLBACKS = 2
CALLBACK_REQUESTED = "callback_requested"


def call_attempt_close(
    *,
    attempt: CallAttempt,
    outcome: str,
    error_code: str = "",
    raw_status: str = "",
    ended_at: dt.datetime | None = None,
    answers: Sequence[DialogueAnswer] = (),
    language: str = "",
    consent_at: dt.datetime | None = None,
    counts_as_attempt: bool = True,
    callback_at: dt.datetime | None = None,
) -> bool:
    """Give an attempt in flight its final outcome and apply the rules above. Returns False,
    changing nothing, when the attempt was already closed (a replay, a late event, a race).

    `counts_as_attempt=False` (provider outage) gives the contact its attempt back and returns
    it to pending without writing any event; the attempt, closed with one of
    GIVEN_BACK_ERROR_CODES, is no attempt for the statistics either.

    `callback_at` (the callee asked to be called later; outcome busy, error code
    callback_requested): the contact is pending again for that time, and the attempt is not
    one of theirs for its first FREE_CALLBACKS requests."""
    if not counts_as_attempt and error_code not in GIVEN_BACK_ERROR_CODES:
        # The statistics (their rebuild included) know a given-back attempt by its code alone.
        raise ValueError(
            f"An attempt given back needs one of {sorted(GIVEN_BACK_ERROR_CODES)} as its error "
            f"code, not {error_code!r} (calls/stats_buckets.py)."
        )
    # Part of the caller's transaction when there is one (no savepoint: nothing here is
    # meant to fail on its own), else a transaction of its own.
    with transaction.atomic(savepoint=False):
        closed = _close(
            attempt=attempt,
            outcome=outcome,
            error_code=error_code,
            raw_status=raw_status,
            ended_at=ended_at,
            answers=answers,
            language=language,
            consent_at=consent_at,
            counts_as_attempt=counts_as_attempt,
            callback_at=callback_at,
        )
        if closed and counts_as_attempt:
            # Last: concurrent closes of calls started in the same quarter hour share the
            # bucket row, so it stays locked only until the commit that follows.
            call_stats_add(attempt=attempt)
        if closed:
            # Counted when written, not at the commit: a transaction rolled back after this
            # (rare: the tick or webhook failing) over-counts one. A rate, not a ledger: the
            # ledger is the attempts table.
            if counts_as_attempt:
                metrics.call_outcomes_total.labels(outcome=outcome).inc()
            else:
                metrics.call_attempts_given_back_total.labels(reason=error_code).inc()
        return closed


def _close(
    *,
    attempt: CallAttempt,
    outcome: str,
    error_code: str,
    raw_status: str,
    ended_at: dt.datetime | None,
    answers: Sequence[DialogueAnswer],
    language: str,
    consent_at: dt.datetime | None,
    counts_as_attempt: bool,
    callback_at: dt.datetime | None,
) -> bool:
    now = timezone.now()
    ended_at = ended_at or now
    closing = {"outcome": outcome, "ended_at": ended_at, "error_code": error_code[:64]}
    if raw_status:
        closing["provider_raw_status"] = raw_status[:32]
    # One conditional UPDATE closes the attempt exactly once, whoever races us.
    if not CallAttempt.objects.filter(pk=attempt.pk, outcome__isnull=True).update(**closing):
        return False
    for name, value in closing.items():
        setattr(attempt, name, value)

    contact = Contact.objects.select_for_update().get(pk=attempt.contact_id)
    if contact.state != ContactState.IN_PROGRESS:
        return True  # moved by someone else meanwhile (e.g. deleted and re-imported): leave it
    if not counts_as_attempt:
        Contact.objects.filter(pk=contact.pk).update(
            state=ContactState.PENDING,
            attempts_count=max(0, contact.attempts_count - 1),
            updated_at=now,
        )
        return True

    campaign = attempt.campaign
    if callback_at is not None and not (
        contact.do_not_call
        or ExclusionEntry.objects.filter(phone_number=contact.phone_number).exists()
    ):
        _callback_wait(attempt=attempt, contact=contact, at=callback_at, now=now)
        return True
    # The number may have been excluded while the call was in flight (docs/architecture.md §5).
    excluded = outcome in RETRYABLE_OUTCOMES and (
        contact.do_not_call
        or ExclusionEntry.objects.filter(phone_number=contact.phone_number).exists()
    )
    move = contact_move(
        outcome,
        attempts_count=contact.attempts_count,
        max_attempts=campaign.max_attempts,
        excluded=excluded,
    )
    Contact.objects.filter(pk=contact.pk).update(
        state=move.state,
        last_outcome=outcome,
        callback_at=None,
        next_attempt_at=(
            ended_at + dt.timedelta(minutes=campaign.retry_interval_minutes) if move.retry else None
        ),
        updated_at=now,
    )

    if outcome == CallOutcome.COMPLETED:
        _response_save(
            attempt=attempt,
            contact=contact,
            answers=answers,
            language=language,
            consent_at=consent_at,
            completed_at=ended_at,
        )

    if move.event_type is None:
        return True
    if (
        move.event_type == SurveyEventType.NOT_REACHED
        and SurveyEvent.objects.filter(contact=contact, type=move.event_type).exists()
    ):
        return True  # not reached again after max_attempts was raised: reported once
    payload = {"call_id": str(attempt.pk), "outcome": outcome, "attempts": contact.attempts_count}
    if answers:
        payload["answers"] = _answers_payload(answers)
    event = SurveyEvent(
        type=move.event_type,
        campaign=campaign,
        contact=contact,
        call_attempt=attempt,
        payload=payload,
        created_at=now,
    )
    event.full_clean(
        exclude=["campaign", "contact", "call_attempt"],
        validate_unique=False,  # a fresh uuid4 key
        validate_constraints=False,
    )
    event.save(force_insert=True)
    return True


def _callback_wait(
    *, attempt: CallAttempt, contact: Contact, at: dt.datetime, now: dt.datetime
) -> None:
    """The callee asked to be called later: pending again, due at `at` (the caller chose it
    within their calling hours); the attempt is theirs only past FREE_CALLBACKS requests."""
    earlier = (
        CallAttempt.objects.filter(contact=contact, error_code=CALLBACK_REQUESTED)
        .exclude(pk=attempt.pk)
        .count()
    )
    free = earlier < FREE_CALLBACKS
    Contact.objects.filter(pk=contact.pk).update(
        state=ContactState.PENDING,
        last_outcome=attempt.outcome,
        attempts_count=max(0, contact.attempts_count - 1) if free else contact.attempts_count,
        next_attempt_at=at,
        callback_at=at,
        updated_at=now,
    )


def _response_save(
    *,
    attempt: CallAttempt,
    contact: Contact,
    answers: Sequence[DialogueAnswer],
    language: str,
    consent_at: dt.datetime | None,
    completed_at: dt.datetime,
) -> None:
    """A completed survey: its response row, `answer_values` by position, one Answer row per
    question asked, and its counts in the results rollup."""
    earlier = SurveyResponse.objects.filter(contact=contact)
    response = earlier.first()
    if response is None:
        response = SurveyResponse(contact=contact, campaign=attempt.campaign)
    else:  # completed again: its earlier counts give way to the ones added below
        results_buckets_remove(responses=earlier)
    response.call_attempt = attempt
    response.language = language[:2]
    response.answer_values = {
        f"q{answer.position}": answer.value for answer in answers if answer.status == ANSWERED
    }
    response.consent_at = consent_at
    response.completed_at = completed_at
    # Fields validated here; the foreign keys are rows we hold: validating those would cost
    # queries on every survey.
    response.full_clean(
        exclude=["contact", "campaign", "call_attempt"],
        validate_unique=False,
        validate_constraints=False,
    )
    response.save()
    Answer.objects.filter(response=response).delete()
    rows = Answer.objects.bulk_create(
        Answer(
            response=response,
            position=answer.position,
            key=answer.key[:40],
            question_type=answer.question_type[:20],
            status=answer.status,
            value=answer.value,
            raw=answer.raw[:1000],
            mode=answer.mode[:8],
            confidence=answer.confidence,
            asked=answer.asked,
        )
        for answer in answers
    )
    results_buckets_add(
        response=response,
        answers=rows,
        attempt_number=attempt.attempt_number,
        attributes=contact.attributes or {},
    )


def contacts_out_of_attempts_close(*, campaign: Campaign, batch_size: int = 5000) -> int:
    """After a running or paused campaign's max_attempts was lowered: the pending contacts
    whose attempts already reach it have none left, so they are not reached (the rule above),
    each with its survey.not_reached event — once, as when a last call ends. Contacts in a
    call meet the new limit when it ends. In batches, in the caller's transaction. Returns
    how many moved."""
    now = timezone.now()
    moved = 0
    with transaction.atomic(savepoint=False):
        while True:
            batch = list(
                Contact.objects.select_for_update()
                .filter(
                    campaign=campaign,
                    state=ContactState.PENDING,
                    attempts_count__gte=campaign.max_attempts,
                )
                .values_list("pk", "attempts_count", "last_outcome")[:batch_size]
            )
            if not batch:
                return moved
            ids = [pk for pk, _attempts, _outcome in batch]
            Contact.objects.filter(pk__in=ids).update(
                state=ContactState.NOT_REACHED, next_attempt_at=None, updated_at=now
            )
            reported = set(
                SurveyEvent.objects.filter(
                    contact_id__in=ids, type=SurveyEventType.NOT_REACHED
                ).values_list("contact_id", flat=True)
            )
            SurveyEvent.objects.bulk_create(
                SurveyEvent(
                    type=SurveyEventType.NOT_REACHED,
                    campaign=campaign,
                    contact_id=pk,
                    payload={"outcome": outcome, "attempts": attempts},
                    created_at=now,
                )
                for pk, attempts, outcome in batch
                if pk not in reported
            )
            moved += len(batch)

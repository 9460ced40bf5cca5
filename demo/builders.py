"""Demo data: a realistic, reproducible data set for `manage.py seed_demo`.

Campaigns in every status and both languages; contacts in every state across several countries
and time zones; about three call attempts per contact over the last 30 days, with durations and
outcomes that agree with each contact's state; survey responses, outcome events and follow-up
emails; some exclusions; a day of scheduler runs.

The same seed gives the same campaigns, contacts, numbers, outcomes and answers; timestamps are
relative to the moment of seeding. Rows are generated in chunks and written with COPY on
PostgreSQL (bulk inserts elsewhere), so a million contacts never sit in memory at once.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime as dt
import itertools
import random
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import Model
from django.utils import timezone

from calls.models import (
    Answer,
    CallAttempt,
    CallEvent,
    CallOutcome,
    CallStatsBucket,
    EmailNotification,
    EmailStatus,
    Provider,
    ProviderConfig,
    ResultsAttributeBucket,
    ResultsBucket,
    SchedulerRun,
    SurveyEvent,
    SurveyEventType,
    SurveyResponse,
)
from calls.results_buckets import results_buckets_rebuild
from calls.stats_buckets import call_stats_rebuild
from campaigns.models import Campaign, CampaignStatus, EmailTemplate, Language, Question
from contacts.models import Contact, ContactState, ExclusionEntry, ExclusionSource, RejectedRows
from contacts.phones import phone_time_zone
from demo.questionnaire import (
    CONSENTS,
    INTROS,
    QUESTIONS,
    DrawnAnswer,
    answers_draw,
    attributes_draw,
)
from exports.models import ExportJob
from integrations.models import WebhookDelivery, WebhookSubscription
from voicesurvey.models import Role, User
from voicesurvey.services import user_create

CHUNK_CONTACTS = 5000
# Room in the number space reserved for each campaign, so numbers never repeat across campaigns
# (an excluded number must not be dialable elsewhere). Up to 63 campaigns; slot 63 is for the
# exclusion entries that match no contact.
CAMPAIGN_SLOTS = 64
_NUMBER_SCRAMBLE = 1_000_003  # prime, coprime with every number space below


@dataclass(frozen=True)
class _Region:
    weight: float
    prefixes: tuple[str, ...]  # E.164 prefixes, each followed by `digits` subscriber digits
    digits: int
    utc_offset_hours: int  # only to place attempts inside local calling hours

    @property
    def space(self) -> int:
        return len(self.prefixes) * 10**self.digits


REGIONS = (
    _Region(0.40, tuple(f"+3934{d}" for d in range(10)), 7, 1),  # Italy, mobile 34x
    _Region(0.12, tuple(f"+4477{d}" for d in range(10)), 7, 0),  # UK, mobile 077x
    _Region(0.08, tuple(f"+49151{d}" for d in range(10)), 7, 1),  # Germany, mobile 151x
    _Region(0.08, tuple(f"+346{d}" for d in range(10)), 7, 1),  # Spain, mobile 6x
    _Region(0.16, tuple(f"+1{a}{x}" for a in (212, 646, 917) for x in range(2, 10)), 6, -5),
    _Region(0.06, tuple(f"+1{a}{x}" for a in (312, 773) for x in range(2, 10)), 6, -6),
    _Region(0.10, tuple(f"+1{a}{x}" for a in (213, 310, 323) for x in range(2, 10)), 6, -8),
)
_REGION_CUMULATIVE = list(itertools.accumulate(r.weight for r in REGIONS))


# The zone the import would take from each prefix's numbers ("" when the number fixes none).
_PREFIX_ZONES = {
    p: phone_time_zone(p + "5" * r.digits, default="") for r in REGIONS for p in r.prefixes
}

# State mix per campaign status (shares of the campaign's contacts).
_STATE_MIX: dict[str, dict[str, float]] = {
    CampaignStatus.RUNNING: {
        ContactState.PENDING: 0.28,
        ContactState.IN_PROGRESS: 0.01,
        ContactState.COMPLETED: 0.36,
        ContactState.REFUSED: 0.10,
        ContactState.NOT_REACHED: 0.19,
        ContactState.EXCLUDED: 0.06,
    },
    CampaignStatus.PAUSED: {
        ContactState.PENDING: 0.30,
        ContactState.COMPLETED: 0.36,
        ContactState.REFUSED: 0.10,
        ContactState.NOT_REACHED: 0.18,
        ContactState.EXCLUDED: 0.06,
    },
    CampaignStatus.COMPLETED: {
        ContactState.COMPLETED: 0.50,
        ContactState.REFUSED: 0.14,
        ContactState.NOT_REACHED: 0.30,
        ContactState.EXCLUDED: 0.06,
    },
    CampaignStatus.CANCELLED: {
        ContactState.PENDING: 0.40,
        ContactState.COMPLETED: 0.28,
        ContactState.REFUSED: 0.08,
        ContactState.NOT_REACHED: 0.18,
        ContactState.EXCLUDED: 0.06,
    },
    CampaignStatus.DRAFT: {ContactState.PENDING: 0.95, ContactState.EXCLUDED: 0.05},
    CampaignStatus.SCHEDULED: {ContactState.PENDING: 0.95, ContactState.EXCLUDED: 0.05},
}
# Not-yet-dialled statuses: their contacts have no attempts (their mixes hold only states that
# need none: pending and excluded).
_UNDIALLED = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


DEMO_COST_PER_MINUTE = Decimal("0.0140")  # about an outbound mobile minute, in the demo's money

# (name, language, status, share of contacts, max attempts, retry minutes)
_CampaignSpec = tuple[str, str, str, float, int, int]
_CAMPAIGN_SPECS: tuple[_CampaignSpec, ...] = (
    ("Customer satisfaction Q4", Language.EN, CampaignStatus.RUNNING, 0.30, 5, 120),
    ("Soddisfazione clienti 2026", Language.IT, CampaignStatus.RUNNING, 0.25, 5, 90),
    ("Product feedback pilot", Language.EN, CampaignStatus.COMPLETED, 0.20, 4, 60),
    ("Sondaggio qualità del servizio", Language.IT, CampaignStatus.PAUSED, 0.15, 5, 120),
    ("Onboarding follow-up (ready to activate)", Language.EN, CampaignStatus.DRAFT, 0.005, 3, 60),
    ("Indagine festività", Language.IT, CampaignStatus.SCHEDULED, 0.02, 3, 60),
    ("Churn interviews", Language.EN, CampaignStatus.CANCELLED, 0.08, 5, 60),
)

_EMAIL_TEMPLATES: dict[tuple[str, str], tuple[str, str]] = {
    ("completed", Language.EN): (
        "Thank you for your feedback",
        "Hello,\n\nthank you for answering our survey “{{ campaign.name }}”. Your answers help "
        "us improve.\n\nAcme Services",
    ),
    ("refused", Language.EN): (
        "Sorry to have disturbed you",
        "Hello,\n\nwe called about our survey “{{ campaign.name }}” and respect your choice not "
        "to take part. We will not call you about it again.\n\nAcme Services",
    ),
    ("not_reached", Language.EN): (
        "We tried to reach you",
        "Hello,\n\nwe tried to call you a few times about our short survey "
        "“{{ campaign.name }}” but could not reach you.\n\nAcme Services",
    ),
    ("completed", Language.IT): (
        "Grazie per il suo parere",
        "Buongiorno,\n\ngrazie per aver risposto al sondaggio “{{ campaign.name }}”.\n\n"
        "Acme Servizi",
    ),
    ("refused", Language.IT): (
        "Ci scusiamo per il disturbo",
        "Buongiorno,\n\nla abbiamo chiamata per il sondaggio “{{ campaign.name }}” e rispettiamo "
        "la sua scelta di non partecipare.\n\nAcme Servizi",
    ),
    ("not_reached", Language.IT): (
        "Abbiamo provato a contattarla",
        "Buongiorno,\n\nabbiamo provato a chiamarla per il breve sondaggio "
        "“{{ campaign.name }}” senza riuscirci.\n\nAcme Servizi",
    ),
}

DEMO_USERS = (
    ("admin", Role.ADMIN, "Demo Admin"),
    ("manager", Role.CAMPAIGN_MANAGER, "Demo Manager"),
    ("viewer", Role.VIEWER, "Demo Viewer"),
)

_FAILURES = (CallOutcome.NO_ANSWER, CallOutcome.BUSY, CallOutcome.FAILED)
_FAILURE_CUMULATIVE = list(itertools.accumulate((0.6, 0.25, 0.15)))


def _pick(rng: random.Random, cumulative: list[float]) -> int:
    """Index drawn with the given cumulative weights (random.choices, without its overhead)."""
    return bisect.bisect(cumulative, rng.random() * cumulative[-1])


_TWILIO_STATUS: dict[str | None, str] = {
    CallOutcome.COMPLETED: "completed",
    CallOutcome.REFUSED: "completed",
    CallOutcome.NO_ANSWER: "no-answer",
    CallOutcome.BUSY: "busy",
    CallOutcome.FAILED: "failed",
}
_EVENT_TYPE: dict[str, str] = {
    ContactState.COMPLETED: SurveyEventType.COMPLETED,
    ContactState.REFUSED: SurveyEventType.REFUSED,
    ContactState.NOT_REACHED: SurveyEventType.NOT_REACHED,
}
_DAY = 86400.0


@dataclass
class SeedSummary:
    campaigns: int = 0
    contacts: int = 0
    attempts: int = 0
    responses: int = 0
    events: int = 0
    emails: int = 0
    exclusions: int = 0
    scheduler_runs: int = 0
    users_created: list[str] = field(default_factory=list)


def _columns(names: str) -> tuple[str, ...]:
    return tuple(names.split())


# Columns written for each table, in order (attribute names; equal to the column names here).
_CONTACT_COLUMNS = _columns(
    """
    id campaign_id external_contact_id phone_number email preferred_language timezone
    has_prior_consent do_not_call state attempts_count last_attempt_at last_outcome
    next_attempt_at created_at updated_at attributes
    """
)
_ATTEMPT_COLUMNS = _columns(
    """
    call_id contact_id campaign_id attempt_number provider provider_call_id started_at
    answered_at ended_at outcome provider_raw_status error_code metadata dialogue_step
    transcript
    """
)
_RESPONSE_COLUMNS = _columns(
    """
    id contact_id campaign_id call_attempt_id language answer_values consent_at completed_at
    """
)
_ANSWER_COLUMNS = _columns(
    """
    response_id position key question_type status value raw mode confidence asked
    """
)

_EVENT_COLUMNS = _columns(
    """
    id type campaign_id contact_id call_attempt_id payload created_at processed_at
    """
)
_EMAIL_COLUMNS = _columns(
    """
    id event_id contact_id template_id to_email status attempts error provider_message_id
    next_attempt_at created_at sent_at
    """
)
_EXCLUSION_COLUMNS = ("id", "phone_number", "reason", "source", "created_at")

# A row as it is written: values in the order of its table's columns above.
_Row = tuple[Any, ...]
_Chunk = dict[str, list[_Row]]  # rows by table, keyed as in _TABLES


class _Ids:
    """Deterministic, increasing UUIDs: a per-table random prefix and a counter. Increasing keys
    append to the primary-key index instead of splitting random pages during a bulk load."""

    def __init__(self, rng: random.Random) -> None:
        self._prefix = rng.getrandbits(64) << 64
        self._next = 0

    def __call__(self) -> str:
        self._next += 1
        # 32 hex digits: COPY and Django's UUIDField both take this form, at a fraction of the
        # cost of building uuid.UUID objects by the million.
        return f"{self._prefix | self._next:032x}"


class _RowWriter:
    """COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.json: Callable[[Any], Any]
        if self.postgres:
            from psycopg.types.json import Jsonb

            self.json = Jsonb
        else:
            self.json = lambda value: value

    def write(self, model: type[Model], columns: tuple[str, ...], rows: list[_Row]) -> None:
        if not rows:
            return
        if self.postgres:
            table = connection.ops.quote_name(model._meta.db_table)
            names = ", ".join(connection.ops.quote_name(c) for c in columns)
            with (
                connection.cursor() as cursor,
                cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy,
            ):
                for row in rows:
                    copy.write_row(row)
        else:
            model._default_manager.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
            )


def _campaign_plan(count: int) -> list[_CampaignSpec]:
    plan = []
    for i in range(count):
        name, language, status, share, max_attempts, retry = _CAMPAIGN_SPECS[
            i % len(_CAMPAIGN_SPECS)
        ]
        if i >= len(_CAMPAIGN_SPECS):
            name = f"{name} #{i // len(_CAMPAIGN_SPECS) + 1}"
        plan.append((name, language, status, share, max_attempts, retry))
    return plan


def _split(total: int, shares: list[float]) -> list[int]:
    """Split `total` by `shares`: every part at least 1 when total allows, sums exactly."""
    weight = sum(shares)
    floor = 1 if total >= len(shares) else 0
    parts = [max(floor, int(total * s / weight)) for s in shares]
    # Hand out (or take back) the rounding difference, largest parts first.
    order = sorted(range(len(parts)), key=lambda i: -parts[i])
    diff, k = total - sum(parts), 0
    while diff:
        i = order[k % len(order)]
        step = 1 if diff > 0 else -1
        if parts[i] + step >= floor:
            parts[i] += step
            diff -= step
        k += 1
    return parts


def _empty_chunk() -> _Chunk:
    return {key: [] for key, _model, _columns in _TABLES}


@dataclass(frozen=True)
class _CampaignContext:
    """What every contact row of one campaign reads, fixed for the campaign."""

    id: uuid.UUID
    slot: int
    language: str
    timezone: str
    created_at: dt.datetime
    states: list[str]
    state_cumulative: list[float]
    dialled: bool
    max_attempts: int
    retry_s: int
    # The calls' first moments are spread over [window_start, window_start + window_span).
    window_start: float
    window_span: float
    templates: Mapping[str, EmailTemplate | None]  # by contact state
    empty_json: Any


@dataclass(frozen=True)
class _Identity:
    """Who a contact is, before anyone calls: drawn the same way whatever its state."""

    id: str
    index: int  # within its campaign
    region: _Region
    phone: str
    zone: str
    state: str
    email: str
    language: str
    attributes: dict[str, str]  # region and customer tier (demo/questionnaire.py)


@dataclass(frozen=True)
class _Call:
    """How one call attempt went; moments in seconds since the epoch."""

    outcome: str | None  # None: still in flight
    started: float
    answered: float | None = None
    ended: float | None = None
    error_code: str = ""
    dialogue_step: str = ""
    transcript: str = ""


@dataclass
class _Calls:
    """What a contact's row and its outcome rows read of its attempts."""

    count: int = 0
    last: _Call | None = None
    last_id: str | None = None
    last_outcome: str = ""  # of the latest call that has one: an in-flight call has none yet


# How a contact's last call ends, besides an outcome (completed, refused): it fails as the
# earlier ones did (no answer, busy or failed, drawn), or it is still in flight (no outcome yet).
_FAILS_LIKE_THE_OTHERS = "fails like the others"
_IN_FLIGHT = None

_RowsBuilder = Callable[[_CampaignContext, _Identity, _Chunk], None]


class _Generator:
    def __init__(self, *, seed: int, now: dt.datetime, json: Callable[[Any], Any]) -> None:
        self.rng = random.Random(seed)
        self.now = now
        self.now_ts = now.timestamp()
        self.json = json
        self.contact_id = _Ids(self.rng)
        self.attempt_id = _Ids(self.rng)
        self.response_id = _Ids(self.rng)
        self.event_id = _Ids(self.rng)
        self.email_id = _Ids(self.rng)
        self.exclusion_id = _Ids(self.rng)

    # -- building blocks ----------------------------------------------------------------------
    def number(self, region: _Region, slot: int, index: int) -> str:
        """A number unique to (region, campaign slot, index): a bijection of the number space."""
        per_slot = region.space // CAMPAIGN_SLOTS
        k = ((slot * per_slot + index) * _NUMBER_SCRAMBLE) % region.space
        prefix, rest = divmod(k, 10**region.digits)
        return f"{region.prefixes[prefix]}{rest:0{region.digits}d}"

    @staticmethod
    def ts(seconds: float) -> dt.datetime:
        return dt.datetime.fromtimestamp(seconds, dt.UTC)

    @staticmethod
    def in_calling_hours(seconds: float, region: _Region, jitter: float) -> float:
        """Move a moment into 09:00–20:00 local time (approximate offset; DST ignored).
        `jitter` (0–1) places moved moments across the morning. The caller always draws it,
        so the random sequence (and the data) does not depend on the time of seeding."""
        local = seconds + region.utc_offset_hours * 3600
        hour = (local % _DAY) / 3600
        if 9 <= hour < 20:
            return seconds
        day_start = local - (local % _DAY)
        if hour >= 20:
            day_start += _DAY
        return day_start + (9 + jitter * 10) * 3600 - region.utc_offset_hours * 3600

    # -- the rows of one campaign's contacts ----------------------------------------------------
    # Every piece below draws from the one random sequence, so the order of the draws is the
    # data: the same seed gives the same rows only while each piece draws what it draws, in the
    # order it draws it. Reorder nothing without accepting that every seed's data changes.
    def contacts(
        self,
        campaign: Campaign,
        slot: int,
        count: int,
        templates: Mapping[str, EmailTemplate | None],
    ) -> Iterator[_Chunk]:
        context = self._campaign_context(campaign, slot, templates)
        rows_by_state: dict[str, _RowsBuilder] = {
            ContactState.PENDING: self._pending_rows,
            ContactState.IN_PROGRESS: self._in_progress_rows,
            ContactState.COMPLETED: self._completed_rows,
            ContactState.REFUSED: self._refused_rows,
            ContactState.NOT_REACHED: self._not_reached_rows,
            ContactState.EXCLUDED: self._excluded_rows,
        }
        region_counters = [0] * len(REGIONS)
        chunk = _empty_chunk()
        for index in range(count):
            contact = self._identity(context, index, region_counters)
            rows_by_state[contact.state](context, contact, chunk)
            if len(chunk["contacts"]) >= CHUNK_CONTACTS:
                yield chunk
                chunk = _empty_chunk()
        if chunk["contacts"]:
            yield chunk

    def _campaign_context(
        self, campaign: Campaign, slot: int, templates: Mapping[str, EmailTemplate | None]
    ) -> _CampaignContext:
        mix = _STATE_MIX[campaign.status]
        return _CampaignContext(
            id=campaign.id,
            slot=slot,
            language=campaign.language,
            timezone=campaign.timezone,
            created_at=campaign.created_at,
            states=list(mix),
            state_cumulative=list(itertools.accumulate(mix.values())),
            dialled=campaign.status not in _UNDIALLED,
            max_attempts=campaign.max_attempts,
            retry_s=campaign.retry_interval_minutes * 60,
            # A finished campaign's calls happened a while ago; a live one's up to now.
            window_start=self.now_ts - 30 * _DAY,
            window_span=18 * _DAY if campaign.status == CampaignStatus.COMPLETED else 27 * _DAY,
            templates=templates,
            empty_json=self.json({}),
        )

    # One builder per contact state: each appends all of one contact's rows to the chunk.
    def _pending_rows(self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk) -> None:
        """Waiting for a call: never called yet, or a few failed tries and a retry due."""
        rng = self.rng
        tries = (
            rng.randint(1, campaign.max_attempts - 1)
            if campaign.dialled and rng.random() < 0.8
            else 0
        )
        calls = self._attempts(campaign, contact, chunk, tries)
        # The next try is due a retry interval after the last (failed, hence ended) one.
        last = calls.last
        retry_at = None
        if last is not None and last.ended is not None:
            retry_at = self.ts(last.ended + campaign.retry_s)
        chunk["contacts"].append(self._contact_row(campaign, contact, calls, next_attempt=retry_at))

    def _in_progress_rows(
        self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk
    ) -> None:
        """On a call now: earlier tries failed and the last call is still in flight."""
        calls = self._attempts(campaign, contact, chunk, self._tries(campaign), last=_IN_FLIGHT)
        chunk["contacts"].append(self._contact_row(campaign, contact, calls))

    def _completed_rows(
        self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk
    ) -> None:
        """Answered the survey on the last call: a response, an event and maybe an email."""
        calls = self._attempts(
            campaign, contact, chunk, self._tries(campaign), last=CallOutcome.COMPLETED
        )
        chunk["contacts"].append(self._contact_row(campaign, contact, calls))
        # The call's language: the contact's when the survey has it (every demo survey is in
        # English and Italian), else the campaign's.
        language = contact.language if contact.language in ("en", "it") else campaign.language
        drawn = answers_draw(self.rng, language=language, tier=contact.attributes["tier"])
        values = {f"q{a.position}": a.value for a in drawn if a.status == "answered"}
        response = self._response_row(campaign, contact, calls, values, language)
        chunk["responses"].append(response)
        chunk["answers"].extend(self._answer_rows(response[0], drawn))
        self._outcome_rows(campaign, contact, calls, chunk, answers=values)

    def _refused_rows(self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk) -> None:
        """Said no to the consent question on the last call: an event and maybe an email."""
        calls = self._attempts(
            campaign, contact, chunk, self._tries(campaign), last=CallOutcome.REFUSED
        )
        chunk["contacts"].append(self._contact_row(campaign, contact, calls))
        self._outcome_rows(campaign, contact, calls, chunk)

    def _not_reached_rows(
        self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk
    ) -> None:
        """Every allowed attempt failed: an event and maybe an email."""
        calls = self._attempts(campaign, contact, chunk, campaign.max_attempts)
        chunk["contacts"].append(self._contact_row(campaign, contact, calls))
        self._outcome_rows(campaign, contact, calls, chunk)

    def _excluded_rows(self, campaign: _CampaignContext, contact: _Identity, chunk: _Chunk) -> None:
        """Never called: flagged do-not-call on the contact, or its number on the exclusion list."""
        do_not_call = self.rng.random() < 0.5
        if not do_not_call:
            chunk["exclusions"].append(
                (
                    self.exclusion_id(),
                    contact.phone,
                    "Asked not to be called",
                    ExclusionSource.IMPORT,
                    campaign.created_at,
                )
            )
        calls = self._attempts(campaign, contact, chunk, 0)
        chunk["contacts"].append(
            self._contact_row(campaign, contact, calls, do_not_call=do_not_call)
        )

    # -- pieces the builders share ----------------------------------------------------------
    def _identity(
        self, campaign: _CampaignContext, index: int, region_counters: list[int]
    ) -> _Identity:
        rng = self.rng
        region_index = _pick(rng, _REGION_CUMULATIVE)
        region = REGIONS[region_index]
        phone = self.number(region, campaign.slot, region_counters[region_index])
        region_counters[region_index] += 1
        state = campaign.states[_pick(rng, campaign.state_cumulative)]
        contact_id = self.contact_id()
        email = f"contact{campaign.slot:02d}.{index}@example.org" if rng.random() < 0.6 else ""
        language = rng.choice(("auto", "auto", campaign.language, "en", "it"))
        attributes = attributes_draw(rng, region_index)
        return _Identity(
            id=contact_id,
            index=index,
            region=region,
            phone=phone,
            zone=_PREFIX_ZONES[phone[: len(phone) - region.digits]] or campaign.timezone,
            state=state,
            email=email,
            language=language,
            attributes=attributes,
        )

    def _tries(self, campaign: _CampaignContext) -> int:
        """Attempts of a contact who was reached in the end: the hard-to-reach take more."""
        rng = self.rng
        return max(rng.randint(1, campaign.max_attempts), rng.randint(1, campaign.max_attempts))

    def _attempts(
        self,
        campaign: _CampaignContext,
        contact: _Identity,
        chunk: _Chunk,
        count: int,
        *,
        last: str | None = _FAILS_LIKE_THE_OTHERS,
    ) -> _Calls:
        """The contact's `count` attempts, oldest first: all but the last failed (no answer,
        busy, failed); the last ends as `last` says."""
        rng = self.rng
        # Drawn for a contact never called too: dropping it would shift every later draw.
        moment = campaign.window_start + rng.random() * campaign.window_span
        calls = _Calls()
        for number in range(1, count + 1):
            moment = self.in_calling_hours(moment, contact.region, rng.random())
            outcome = last if number == count else _FAILS_LIKE_THE_OTHERS
            call = self._call(outcome, started=min(moment, self.now_ts - 600))
            attempt_id = self.attempt_id()
            chunk["attempts"].append(self._attempt_row(campaign, contact, number, attempt_id, call))
            calls.count, calls.last, calls.last_id = number, call, attempt_id
            if call.outcome is not None:
                calls.last_outcome = call.outcome
            if call.ended is not None:
                moment = call.ended + campaign.retry_s + rng.random() * 6 * 3600
        return calls

    def _call(self, outcome: str | None, *, started: float) -> _Call:
        """How a call with this outcome went (its moments and where the dialogue stopped)."""
        rng = self.rng
        if outcome is _IN_FLIGHT:
            return self._call_in_flight()
        if outcome == _FAILS_LIKE_THE_OTHERS:
            outcome = _FAILURES[_pick(rng, _FAILURE_CUMULATIVE)]
        if outcome == CallOutcome.COMPLETED:
            answered = started + 4 + rng.random() * 16
            return _Call(
                outcome,
                started,
                answered=answered,
                ended=answered + 70 + rng.random() * 190,
                dialogue_step="goodbye",
                transcript="consent: yes | q1 | q2 | q3 | goodbye",
            )
        if outcome == CallOutcome.REFUSED:
            answered = started + 4 + rng.random() * 16
            return _Call(
                outcome,
                started,
                answered=answered,
                ended=answered + 8 + rng.random() * 32,
                dialogue_step="consent",
                transcript="consent: no",
            )
        if outcome == CallOutcome.NO_ANSWER:
            return _Call(outcome, started, ended=started + 30)
        if outcome == CallOutcome.BUSY:
            return _Call(outcome, started, ended=started + 2 + rng.random() * 3)
        if rng.random() < 0.2:  # failed: answered, then the line dropped mid-survey
            answered = started + 4 + rng.random() * 16
            return _Call(
                outcome,
                started,
                answered=answered,
                ended=answered + 15 + rng.random() * 75,
                error_code="call_dropped",
                dialogue_step="q2",
            )
        ended = started + rng.random() * 3  # failed before anyone answered
        return _Call(
            outcome,
            started,
            ended=ended,
            error_code=rng.choice(("carrier_error", "unreachable")),
        )

    def _call_in_flight(self) -> _Call:
        """A call no provider will ever end: started longer ago than the simulator's call
        timeout, so the first reconciliation of `make run` closes it (as a timeout) instead of
        it holding a dialling slot. Some are already answered."""
        started = self.now_ts - 210 - self.rng.random() * 150
        if self.rng.random() < 0.5:
            return _Call(
                None, started, answered=min(started + 8, self.now_ts - 1), dialogue_step="q1"
            )
        return _Call(None, started)

    def _attempt_row(
        self,
        campaign: _CampaignContext,
        contact: _Identity,
        number: int,
        attempt_id: str,
        call: _Call,
    ) -> _Row:
        twilio = self.rng.random() < 0.25
        return (
            attempt_id,
            contact.id,
            campaign.id,
            number,
            Provider.TWILIO if twilio else Provider.SIMULATOR,
            f"CA{attempt_id}" if twilio else f"SIM-{attempt_id[-12:]}",
            self.ts(call.started),
            self.ts(call.answered) if call.answered is not None else None,
            self.ts(call.ended) if call.ended is not None else None,
            call.outcome,
            _TWILIO_STATUS.get(call.outcome, "in-progress") if twilio else "",
            call.error_code,
            campaign.empty_json,
            call.dialogue_step,
            call.transcript,
        )

    def _contact_row(
        self,
        campaign: _CampaignContext,
        contact: _Identity,
        calls: _Calls,
        *,
        do_not_call: bool = False,
        next_attempt: dt.datetime | None = None,
    ) -> _Row:
        last = calls.last
        # updated_at: when its last call ended (a call in flight has not: then its creation)
        ended = last.ended if last is not None else None
        return (
            contact.id,
            campaign.id,
            f"CRM-{campaign.slot:02d}-{contact.index:07d}",
            contact.phone,
            contact.email,
            contact.language,
            contact.zone,
            self.rng.random() < 0.3,  # has_prior_consent
            do_not_call,
            contact.state,
            calls.count,
            self.ts(last.started) if last is not None else None,
            calls.last_outcome,
            next_attempt,
            campaign.created_at,
            self.ts(ended) if ended is not None else campaign.created_at,
            self.json(contact.attributes),
        )

    def _response_row(
        self,
        campaign: _CampaignContext,
        contact: _Identity,
        calls: _Calls,
        answers: dict[str, str],
        language: str,
    ) -> _Row:
        call = calls.last
        if call is None or call.answered is None or call.ended is None:
            raise ValueError("A survey response is given on an answered call that has ended.")
        return (
            self.response_id(),
            contact.id,
            campaign.id,
            calls.last_id,
            language,
            self.json(answers),
            self.ts(call.answered + 20),
            self.ts(call.ended),
        )

    def _answer_rows(self, response_id, drawn: list[DrawnAnswer]) -> list[_Row]:
        return [
            (
                response_id,
                a.position,
                a.key,
                a.type,
                a.status,
                a.value,
                a.raw,
                a.mode,
                a.confidence,
                a.asked,
            )
            for a in drawn
        ]

    def _outcome_rows(
        self,
        campaign: _CampaignContext,
        contact: _Identity,
        calls: _Calls,
        chunk: _Chunk,
        *,
        answers: dict[str, str] | None = None,
    ) -> None:
        """The event a final state sends once its last call has ended, and the email the
        campaign's template for that state makes of it, when the contact has an address."""
        if calls.last is None or calls.last.ended is None:
            return
        event_id = self.event_id()
        happened = self.ts(calls.last.ended)
        payload: dict[str, object] = {"attempts": calls.count}
        if answers:
            payload["answers"] = answers
        chunk["events"].append(
            (
                event_id,
                _EVENT_TYPE[contact.state],
                campaign.id,
                contact.id,
                calls.last_id,
                self.json(payload),
                happened,
                happened + dt.timedelta(seconds=2),
            )
        )
        template = campaign.templates.get(contact.state)
        if contact.email and template is not None:
            chunk["emails"].append(self._email_row(contact, event_id, template, happened))

    def _email_row(
        self, contact: _Identity, event_id: str, template: EmailTemplate, happened: dt.datetime
    ) -> _Row:
        failed = self.rng.random() < 0.03
        return (
            self.email_id(),
            event_id,
            contact.id,
            template.id,
            contact.email,
            EmailStatus.FAILED if failed else EmailStatus.SENT,
            3 if failed else 1,
            "SMTP 550: mailbox unavailable" if failed else "",
            "" if failed else f"<{event_id}@demo.voicesurvey>",
            None,
            happened + dt.timedelta(seconds=2),
            None if failed else happened + dt.timedelta(seconds=3),
        )


_TABLES = (
    # (chunk key, model, columns) in foreign-key order
    ("contacts", Contact, _CONTACT_COLUMNS),
    ("attempts", CallAttempt, _ATTEMPT_COLUMNS),
    ("responses", SurveyResponse, _RESPONSE_COLUMNS),
    ("answers", Answer, _ANSWER_COLUMNS),
    ("events", SurveyEvent, _EVENT_COLUMNS),
    ("emails", EmailNotification, _EMAIL_COLUMNS),
    ("exclusions", ExclusionEntry, _EXCLUSION_COLUMNS),
)


def demo_users_ensure() -> list[str]:
    """The demo logins admin/admin, manager/manager, viewer/viewer (DEBUG only)."""
    created = []
    for username, role, name in DEMO_USERS:
        if not User.objects.filter(username=username).exists():
            user_create(
                username=username,
                role=role,
                name=name,
                password=username,
                email=f"{username}@example.org",
            )
            created.append(username)
    return created


def demo_data_exists() -> bool:
    return Campaign.objects.exists()


def demo_data_reset() -> None:
    """Remove campaigns and everything hanging off them (uploads' rejected rows too),
    exclusions, scheduler runs and the outbound webhook subscriptions with their deliveries (a
    subscription may name a campaign).
    Users, the audit log and the provider configuration stay."""
    models = (
        WebhookDelivery,
        WebhookSubscription,
        CallStatsBucket,
        ResultsBucket,
        ResultsAttributeBucket,
        CallEvent,
        EmailNotification,
        SurveyEvent,
        Answer,
        SurveyResponse,
        CallAttempt,
        ExportJob,
        RejectedRows,
        Contact,
        ExclusionEntry,
        SchedulerRun,
        Question,
        Campaign,
        EmailTemplate,
    )
    tables = [connection.ops.quote_name(m._meta.db_table) for m in models]
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("TRUNCATE " + ", ".join(tables))
        else:
            for table in tables:  # children first
                cursor.execute(f"DELETE FROM {table}")


@contextlib.contextmanager
def _postgres_bulk_load(models: tuple[type[Model], ...]) -> Iterator[None]:
    """Drop the secondary indexes, unique and foreign-key constraints of these (empty) tables,
    load, then rebuild them from their saved definitions — as pg_restore does. One sorted build
    beats millions of random B-tree inserts and row-by-row deferred foreign-key checks. Runs
    inside the caller's transaction: a failed load rolls the DDL back too."""
    tables = [m._meta.db_table for m in models]
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid), c.contype
            FROM pg_constraint c
            WHERE c.conrelid = ANY(%s::regclass[]) AND c.contype IN ('f', 'u')
            ORDER BY c.contype DESC  -- unique before foreign keys when re-adding
            """,
            [tables],
        )
        constraints = cursor.fetchall()
        cursor.execute(
            """
            SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid)
            FROM pg_index i
            WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid)
            """,
            [tables],
        )
        indexes = cursor.fetchall()
        # Deferred checks from rows written earlier in this transaction (the campaigns) must
        # run before their tables can be altered.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        for table, name, _definition, _kind in reversed(constraints):  # foreign keys first
            cursor.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
    yield
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
        for _name, definition in indexes:
            cursor.execute(definition)
        for table, name, definition, _kind in constraints:
            cursor.execute(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')


def demo_seed(
    *,
    contacts: int,
    campaigns: int,
    seed: int,
    progress: Callable[[int], object] | None = None,
    now: dt.datetime | None = None,
) -> SeedSummary:
    """Write the demo data set in one transaction. `progress(n)` is told of every n contacts."""
    if contacts < 0 or not 1 <= campaigns <= CAMPAIGN_SLOTS - 1:
        raise ValueError(f"contacts must be ≥ 0 and campaigns between 1 and {CAMPAIGN_SLOTS - 1}")
    now = (now or timezone.now()).replace(microsecond=0)
    writer = _RowWriter()
    generator = _Generator(seed=seed, now=now, json=writer.json)
    rng = generator.rng
    summary = SeedSummary()

    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # A demo load may lose its last commit in a crash; it is re-run, not recovered.
                cursor.execute("SET LOCAL synchronous_commit = off")

        templates_by_language: dict[str, dict[str, EmailTemplate]] = {}
        for (kind, language), (subject, body) in _EMAIL_TEMPLATES.items():
            template = EmailTemplate.objects.create(
                name=f"{kind.replace('_', ' ').capitalize()} ({language})",
                type=kind,
                locale=language,
                subject=subject,
                body_text=body,
            )
            templates_by_language.setdefault(language, {})[kind] = template

        # A price per minute, so that the system dashboard's budget reads as it would in
        # production. The provider configuration is the operator's: only a new one is priced.
        ProviderConfig.objects.get_or_create(
            pk=ProviderConfig.SINGLETON_ID, defaults={"cost_per_minute": DEMO_COST_PER_MINUTE}
        )

        plan = _campaign_plan(campaigns)
        sizes = _split(contacts, [spec[3] for spec in plan])
        campaign_rows = []
        for name, language, status, _share, max_attempts, retry in plan:
            templates = templates_by_language[language]
            created = now - dt.timedelta(days=31 + rng.random() * 5)
            campaign = Campaign.objects.create(
                name=name,
                description=f"Demo campaign ({status}).",
                status=status,
                language=language,
                timezone="Europe/Rome" if language == Language.IT else "Europe/London",
                # Written in both languages, the campaign's own first.
                languages=[language, "it" if language == "en" else "en"],
                texts={code: {"intro": INTROS[code], "consent": CONSENTS[code]} for code in INTROS},
                max_attempts=max_attempts,
                retry_interval_minutes=retry,
                # The draft a newcomer activates in `make run` must dial whatever the hour:
                # it calls round the clock, every day.
                call_window_start=dt.time(0, 0) if status == CampaignStatus.DRAFT else dt.time(9),
                call_window_end=dt.time(23, 59, 59)
                if status == CampaignStatus.DRAFT
                else dt.time(20),
                call_days=list(range(1, 8))
                if status == CampaignStatus.DRAFT
                else [1, 2, 3, 4, 5, 6],
                starts_at=(now + dt.timedelta(days=3))
                if status == CampaignStatus.SCHEDULED
                else None,
                completed_email_template=templates["completed"],
                refused_email_template=templates["refused"],
                not_reached_email_template=templates["not_reached"],
            )
            Question.objects.bulk_create(
                Question.from_data(campaign, position, data)
                for position, data in enumerate(QUESTIONS, start=1)
            )
            # auto_now_add ignores a given value; the demo wants campaigns a month old.
            Campaign.objects.filter(pk=campaign.pk).update(created_at=created)
            campaign.created_at = created
            campaign_rows.append(campaign)
        summary.campaigns = len(campaign_rows)

        bulk_load = (
            _postgres_bulk_load(tuple(model for _key, model, _columns in _TABLES))
            if writer.postgres
            else contextlib.nullcontext()
        )
        with bulk_load:
            for slot, (campaign, size) in enumerate(zip(campaign_rows, sizes, strict=True)):
                templates_by_state: dict[str, EmailTemplate | None] = {
                    ContactState.COMPLETED: campaign.completed_email_template,
                    ContactState.REFUSED: campaign.refused_email_template,
                    ContactState.NOT_REACHED: campaign.not_reached_email_template,
                }
                for chunk in generator.contacts(campaign, slot, size, templates_by_state):
                    for key, model, columns in _TABLES:
                        writer.write(model, columns, chunk[key])
                    summary.contacts += len(chunk["contacts"])
                    summary.attempts += len(chunk["attempts"])
                    summary.responses += len(chunk["responses"])
                    summary.events += len(chunk["events"])
                    summary.emails += len(chunk["emails"])
                    summary.exclusions += len(chunk["exclusions"])
                    if progress:
                        progress(len(chunk["contacts"]))

            # Opt-outs that match no contact (from other channels).
            standalone = [
                (
                    generator.exclusion_id(),
                    generator.number(REGIONS[0], CAMPAIGN_SLOTS - 1, i),
                    "Opted out by email",
                    ExclusionSource.MANUAL,
                    now - dt.timedelta(days=i),
                )
                for i in range(20)
            ]
            writer.write(ExclusionEntry, _EXCLUSION_COLUMNS, standalone)
            summary.exclusions += len(standalone)

        running = sum(c.status == CampaignStatus.RUNNING for c in campaign_rows)
        runs = []
        for minute in range(24 * 60, 0, -1):
            started = now - dt.timedelta(minutes=minute)
            placed = rng.randint(0, 12) if running else 0
            runs.append(
                SchedulerRun(
                    started_at=started,
                    finished_at=started + dt.timedelta(milliseconds=40 + rng.randint(0, 80)),
                    campaigns_seen=running,
                    calls_placed=placed,
                    errors=0,
                )
            )
        SchedulerRun.objects.bulk_create(runs, batch_size=500)
        summary.scheduler_runs = len(runs)

        # The attempts and surveys were written closed, not closed one by one: sum them into
        # the stats buckets and the results rollup the dashboards read, as their closes would
        # have.
        call_stats_rebuild()
        results_buckets_rebuild()

    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # Fresh statistics, or the planner guesses on a million rows it has never seen.
            cursor.execute(
                "ANALYZE "
                + ", ".join(
                    connection.ops.quote_name(m._meta.db_table)
                    for m in (
                        Campaign,
                        Contact,
                        CallAttempt,
                        CallStatsBucket,
                        ResultsBucket,
                        ResultsAttributeBucket,
                        SurveyResponse,
                        SurveyEvent,
                        EmailNotification,
                        ExclusionEntry,
                        SchedulerRun,
                    )
                )
            )
    return summary

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
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from calls.models import (
    CallAttempt,
    CallEvent,
    CallOutcome,
    CallStatsBucket,
    EmailNotification,
    EmailStatus,
    Provider,
    ProviderConfig,
    SchedulerRun,
    SurveyEvent,
    SurveyEventType,
    SurveyResponse,
)
from calls.stats_buckets import call_stats_rebuild
from campaigns.models import Campaign, CampaignStatus, EmailTemplate, Language, QuestionType
from contacts.models import Contact, ContactState, ExclusionEntry, ExclusionSource
from contacts.phones import phone_time_zone
from exports.models import ExportJob
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
_STATE_MIX = {
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
# Not-yet-dialled statuses: their contacts have no attempts.
_UNDIALLED = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)

_SCRIPTS = {
    Language.EN: {
        "intro": (
            "Hello, this is Acme Services calling with a short three-question survey about your "
            "recent experience. It takes about two minutes, and you can say stop at any time to "
            "opt out. Do you agree to take part? Press 1 or say yes; press 2 or say no."
        ),
        "questions": (
            ("On a scale from 1 to 10, how satisfied are you with our service?", "scale"),
            ("How many times did you contact our support in the last month?", "numeric"),
            ("What is the one thing we should improve?", "free_text"),
        ),
        "free_text": (
            "faster support",
            "lower prices",
            "nothing, all good",
            "clearer bills",
            "the mobile app",
            "longer opening hours",
            "friendlier staff",
            "better coverage in my area",
        ),
    },
    Language.IT: {
        "intro": (
            "Buongiorno, la chiamiamo da Acme Servizi per un breve sondaggio di tre domande sulla "
            "sua esperienza recente. Dura circa due minuti e può dire stop in qualsiasi momento. "
            "Accetta di partecipare? Prema 1 o dica sì; prema 2 o dica no."
        ),
        "questions": (
            ("Su una scala da 1 a 10, quanto è soddisfatto del nostro servizio?", "scale"),
            ("Quante volte ha contattato l'assistenza nell'ultimo mese?", "numeric"),
            ("Qual è la cosa che dovremmo migliorare?", "free_text"),
        ),
        "free_text": (
            "assistenza più rapida",
            "prezzi più bassi",
            "niente, va tutto bene",
            "bollette più chiare",
            "l'app",
            "orari più lunghi",
            "personale più cordiale",
            "copertura migliore",
        ),
    },
}

# (name, language, status, share of contacts, max attempts, retry minutes)
DEMO_COST_PER_MINUTE = Decimal("0.0140")  # about an outbound mobile minute, in the demo's money

_CAMPAIGN_SPECS = (
    ("Customer satisfaction Q4", Language.EN, CampaignStatus.RUNNING, 0.30, 5, 120),
    ("Soddisfazione clienti 2026", Language.IT, CampaignStatus.RUNNING, 0.25, 5, 90),
    ("Product feedback pilot", Language.EN, CampaignStatus.COMPLETED, 0.20, 4, 60),
    ("Sondaggio qualità del servizio", Language.IT, CampaignStatus.PAUSED, 0.15, 5, 120),
    ("Onboarding follow-up (ready to activate)", Language.EN, CampaignStatus.DRAFT, 0.005, 3, 60),
    ("Indagine festività", Language.IT, CampaignStatus.SCHEDULED, 0.02, 3, 60),
    ("Churn interviews", Language.EN, CampaignStatus.CANCELLED, 0.08, 5, 60),
)

_EMAIL_TEMPLATES = {
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


_TWILIO_STATUS = {
    CallOutcome.COMPLETED: "completed",
    CallOutcome.REFUSED: "completed",
    CallOutcome.NO_ANSWER: "no-answer",
    CallOutcome.BUSY: "busy",
    CallOutcome.FAILED: "failed",
}
_EVENT_TYPE = {
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
    next_attempt_at created_at updated_at
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
    id contact_id campaign_id call_attempt_id q1_answer q1_confidence q2_answer q2_confidence
    q3_answer q3_confidence consent_at completed_at
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


class _Ids:
    """Deterministic, increasing UUIDs: a per-table random prefix and a counter. Increasing keys
    append to the primary-key index instead of splitting random pages during a bulk load."""

    def __init__(self, rng: random.Random):
        self._prefix = rng.getrandbits(64) << 64
        self._next = 0

    def __call__(self) -> str:
        self._next += 1
        # 32 hex digits: COPY and Django's UUIDField both take this form, at a fraction of the
        # cost of building uuid.UUID objects by the million.
        return f"{self._prefix | self._next:032x}"


class _RowWriter:
    """COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self):
        self.postgres = connection.vendor == "postgresql"
        if self.postgres:
            from psycopg.types.json import Jsonb

            self.json: Callable = Jsonb
        else:
            self.json = lambda value: value

    def write(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
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
            model.objects.bulk_create(
                [model(**dict(zip(columns, row, strict=True))) for row in rows], batch_size=500
            )


def _campaign_plan(count: int) -> list[tuple]:
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


def _empty_chunk() -> dict[str, list[tuple]]:
    return {key: [] for key, _model, _columns in _TABLES}


class _Generator:
    def __init__(self, *, seed: int, now: dt.datetime, json: Callable):
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
    def contacts(
        self, campaign: Campaign, slot: int, count: int, templates: dict[str, EmailTemplate]
    ) -> Iterator[dict[str, list[tuple]]]:
        rng = self.rng
        states = list(_STATE_MIX[campaign.status])
        state_cumulative = list(itertools.accumulate(_STATE_MIX[campaign.status].values()))
        dialled = campaign.status not in _UNDIALLED
        retry_s = campaign.retry_interval_minutes * 60
        max_attempts = campaign.max_attempts
        free_text = _SCRIPTS[campaign.language]["free_text"]
        # A finished campaign's calls happened a while ago; a live one's up to now.
        window_start = self.now_ts - 30 * _DAY
        window_span = 18 * _DAY if campaign.status == CampaignStatus.COMPLETED else 27 * _DAY
        created_at = campaign.created_at
        region_counters = [0] * len(REGIONS)
        json = self.json
        empty_json = json({})

        chunk = _empty_chunk()
        for i in range(count):
            region_index = _pick(rng, _REGION_CUMULATIVE)
            region = REGIONS[region_index]
            phone = self.number(region, slot, region_counters[region_index])
            region_counters[region_index] += 1
            zone = _PREFIX_ZONES[phone[: len(phone) - region.digits]] or campaign.timezone
            state = states[_pick(rng, state_cumulative)]
            contact_id = self.contact_id()
            email = f"contact{slot:02d}.{i}@example.org" if rng.random() < 0.6 else ""
            language = rng.choice(("auto", "auto", campaign.language, "en", "it"))

            do_not_call = False
            if state == ContactState.EXCLUDED:
                if rng.random() < 0.5:
                    do_not_call = True
                else:
                    chunk["exclusions"].append(
                        (
                            self.exclusion_id(),
                            phone,
                            "Asked not to be called",
                            ExclusionSource.IMPORT,
                            created_at,
                        )
                    )

            # Attempts, oldest first; all but the last failed (no answer, busy, failed).
            if not dialled or state == ContactState.EXCLUDED:
                n = 0
            elif state == ContactState.NOT_REACHED:
                n = max_attempts
            elif state == ContactState.PENDING:
                n = rng.randint(1, max_attempts - 1) if rng.random() < 0.8 else 0
            else:  # completed, refused, in progress: the hard-to-reach take more tries
                n = max(rng.randint(1, max_attempts), rng.randint(1, max_attempts))

            t = window_start + rng.random() * window_span
            last_attempt_id = None
            last_started = last_ended = last_answered = None
            last_outcome = ""
            for number in range(1, n + 1):
                t = self.in_calling_hours(t, region, rng.random())
                started = min(t, self.now_ts - 600)
                is_last = number == n
                if is_last and state == ContactState.COMPLETED:
                    outcome = CallOutcome.COMPLETED
                elif is_last and state == ContactState.REFUSED:
                    outcome = CallOutcome.REFUSED
                elif is_last and state == ContactState.IN_PROGRESS:
                    # A call no provider will ever end: started longer ago than the
                    # simulator's call timeout, so the first reconciliation of `make run`
                    # closes it (as a timeout) instead of it holding a dialling slot.
                    outcome = None
                    started = self.now_ts - 210 - rng.random() * 150
                else:
                    outcome = _FAILURES[_pick(rng, _FAILURE_CUMULATIVE)]

                answered = ended = None
                error_code = dialogue_step = transcript = ""
                if outcome == CallOutcome.COMPLETED:
                    answered = started + 4 + rng.random() * 16
                    ended = answered + 70 + rng.random() * 190
                    dialogue_step = "goodbye"
                    transcript = "consent: yes | q1 | q2 | q3 | goodbye"
                elif outcome == CallOutcome.REFUSED:
                    answered = started + 4 + rng.random() * 16
                    ended = answered + 8 + rng.random() * 32
                    dialogue_step = "consent"
                    transcript = "consent: no"
                elif outcome == CallOutcome.NO_ANSWER:
                    ended = started + 30
                elif outcome == CallOutcome.BUSY:
                    ended = started + 2 + rng.random() * 3
                elif outcome == CallOutcome.FAILED:
                    if rng.random() < 0.2:  # answered, then the line dropped mid-survey
                        answered = started + 4 + rng.random() * 16
                        ended = answered + 15 + rng.random() * 75
                        error_code, dialogue_step = "call_dropped", "q2"
                    else:
                        ended = started + rng.random() * 3
                        error_code = rng.choice(("carrier_error", "unreachable"))
                elif rng.random() < 0.5:  # in flight: some already answered
                    answered = min(started + 8, self.now_ts - 1)
                    dialogue_step = "q1"

                twilio = rng.random() < 0.25
                attempt_id = self.attempt_id()
                chunk["attempts"].append(
                    (
                        attempt_id,
                        contact_id,
                        campaign.id,
                        number,
                        Provider.TWILIO if twilio else Provider.SIMULATOR,
                        f"CA{attempt_id}" if twilio else f"SIM-{attempt_id[-12:]}",
                        self.ts(started),
                        self.ts(answered) if answered else None,
                        self.ts(ended) if ended else None,
                        outcome,
                        _TWILIO_STATUS.get(outcome, "in-progress") if twilio else "",
                        error_code,
                        empty_json,
                        dialogue_step,
                        transcript,
                    )
                )
                last_attempt_id, last_started = attempt_id, started
                last_answered, last_ended = answered, ended
                if outcome is not None:
                    last_outcome = outcome
                if ended is not None:
                    t = ended + retry_s + rng.random() * 6 * 3600

            next_attempt = None
            if state == ContactState.PENDING and n > 0:
                next_attempt = self.ts(last_ended + retry_s)

            chunk["contacts"].append(
                (
                    contact_id,
                    campaign.id,
                    f"CRM-{slot:02d}-{i:07d}",
                    phone,
                    email,
                    language,
                    zone,
                    rng.random() < 0.3,
                    do_not_call,
                    state,
                    n,
                    self.ts(last_started) if last_started else None,
                    last_outcome,
                    next_attempt,
                    created_at,
                    self.ts(last_ended) if last_ended else created_at,
                )
            )

            answers = None
            if state == ContactState.COMPLETED:
                answers = {
                    "q1": str(min(10, max(1, round(rng.gauss(7.4, 1.8))))),
                    "q2": str(min(20, int(rng.expovariate(0.6)))),
                    "q3": rng.choice(free_text),
                }
                chunk["responses"].append(
                    (
                        self.response_id(),
                        contact_id,
                        campaign.id,
                        last_attempt_id,
                        answers["q1"],
                        round(0.75 + rng.random() * 0.24, 2),
                        answers["q2"],
                        round(0.7 + rng.random() * 0.29, 2),
                        answers["q3"],
                        round(0.55 + rng.random() * 0.44, 2),
                        self.ts(last_answered + 20),
                        self.ts(last_ended),
                    )
                )

            event_type = _EVENT_TYPE.get(state)
            if event_type and n > 0:
                event_id = self.event_id()
                happened = self.ts(last_ended)
                payload = {"attempts": n}
                if answers:
                    payload["answers"] = answers
                chunk["events"].append(
                    (
                        event_id,
                        event_type,
                        campaign.id,
                        contact_id,
                        last_attempt_id,
                        json(payload),
                        happened,
                        happened + dt.timedelta(seconds=2),
                    )
                )
                template = templates.get(state)
                if email and template is not None:
                    failed = rng.random() < 0.03
                    chunk["emails"].append(
                        (
                            self.email_id(),
                            event_id,
                            contact_id,
                            template.id,
                            email,
                            EmailStatus.FAILED if failed else EmailStatus.SENT,
                            3 if failed else 1,
                            "SMTP 550: mailbox unavailable" if failed else "",
                            "" if failed else f"<{event_id}@demo.voicesurvey>",
                            None,
                            happened + dt.timedelta(seconds=2),
                            None if failed else happened + dt.timedelta(seconds=3),
                        )
                    )

            if len(chunk["contacts"]) >= CHUNK_CONTACTS:
                yield chunk
                chunk = _empty_chunk()
        if chunk["contacts"]:
            yield chunk


_TABLES = (
    # (chunk key, model, columns) in foreign-key order
    ("contacts", Contact, _CONTACT_COLUMNS),
    ("attempts", CallAttempt, _ATTEMPT_COLUMNS),
    ("responses", SurveyResponse, _RESPONSE_COLUMNS),
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
    """Remove campaigns and everything hanging off them, exclusions and scheduler runs.
    Users, the audit log and the provider configuration stay."""
    models = (
        CallStatsBucket,
        CallEvent,
        EmailNotification,
        SurveyEvent,
        SurveyResponse,
        CallAttempt,
        ExportJob,
        Contact,
        ExclusionEntry,
        SchedulerRun,
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
def _postgres_bulk_load(models: tuple) -> Iterator[None]:
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
    progress: Callable[[int], None] | None = None,
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

        templates_by_language = {}
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
            script = _SCRIPTS[language]
            (q1, t1), (q2, t2), (q3, t3) = script["questions"]
            templates = templates_by_language[language]
            created = now - dt.timedelta(days=31 + rng.random() * 5)
            campaign = Campaign.objects.create(
                name=name,
                description=f"Demo campaign ({status}).",
                status=status,
                language=language,
                timezone="Europe/Rome" if language == Language.IT else "Europe/London",
                intro_script=script["intro"],
                question_1_text=q1,
                question_1_type=QuestionType(t1),
                question_2_text=q2,
                question_2_type=QuestionType(t2),
                question_3_text=q3,
                question_3_type=QuestionType(t3),
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
                templates = {
                    ContactState.COMPLETED: campaign.completed_email_template,
                    ContactState.REFUSED: campaign.refused_email_template,
                    ContactState.NOT_REACHED: campaign.not_reached_email_template,
                }
                for chunk in generator.contacts(campaign, slot, size, templates):
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

        # The attempts were written closed, not closed one by one: sum them into the stats
        # buckets the dashboards read, as their closes would have.
        call_stats_rebuild()

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
                        SurveyResponse,
                        SurveyEvent,
                        EmailNotification,
                        ExclusionEntry,
                        SchedulerRun,
                    )
                )
            )
    return summary

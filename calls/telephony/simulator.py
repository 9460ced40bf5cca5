"""The simulator provider: a fake telephone network with a deterministic callee.

`start_call` hands the call to a fake callee, seeded per contact and attempt, whose behaviour
follows the rates in `ProviderConfig` (answer, busy, no answer, failure, consent). The callee
then acts like a real provider: it sends signed status webhooks (initiated, ringing, answered,
completed/busy/no-answer/failed) and, once answered, talks with our dialogue through signed
dialogue webhooks, answering each prompt plausibly for its question type and language. Every
event goes through `calls.webhooks.webhook_receive` — the code the HTTP endpoints run — so the
simulator exercises signature checks, event storage, the dialogue and the outcome rules
exactly as a real provider does.

Two ways to run a callee:
- live (the default): each step is a django-q task (`calls.tasks.simulator_callee_step`) that
  waits its step's delay (scaled by SIMULATOR_DELAY_SCALE, at most MAX_STEP_SLEEP seconds),
  sends one webhook and enqueues the next step. Events carry the real time. The first steps
  of the calls a scheduler tick places are queued together (`hold_calls` / `release_calls`):
  one round trip to the broker, each still a task of its own.
- inline (`SimulatorProvider(run_callee=calls.callee.callee_run_inline)`, used by
  `manage.py simulate`): the whole call runs inside `start_call`, without waiting; events are
  dated `started_at` + the simulated delays, so a simulated campaign has realistic durations on
  its own clock.

This module is the provider and the callee's behaviour (`callee_plan`, `callee_reply`: pure
functions of a seed); the steps that send the callee's webhooks are in calls/callee.py, above
the webhook handler they drive.

Webhooks are signed with HMAC-SHA256 over the body (header X-Simulator-Signature:
sha256=<hex>), keyed by SIMULATOR_WEBHOOK_SECRET, or by a key derived from SECRET_KEY.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import hmac
import json
import random
import uuid
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.crypto import salted_hmac
from django.utils.dateparse import parse_datetime

from calls.dialogue import Reply, Turn
from calls.models import Provider
from calls.telephony.base import (
    CallRejected,
    CallStatus,
    DialogueReply,
    OutgoingCall,
    ProviderUnavailable,
    StatusEvent,
    TelephonyProvider,
    WebhookPayloadError,
    WebhookRequest,
    WebhookResponse,
)
from campaigns.questionnaire import (
    DEFAULT_FREE_TEXT_LENGTH,
    NUMBER,
    SCALE,
    SINGLE_CHOICE,
    YES_NO,
)
from voicesurvey.parsers import json_depth_exceeds

SIGNATURE_HEADER = "X-Simulator-Signature"
# Longest real wait of one live step: the demo stays lively with two workers.
MAX_STEP_SLEEP = 3.0
# A live simulated call is over well within this; reconciliation may close it after.
CALL_TIMEOUT = dt.timedelta(minutes=3)

# The simulator's own status words (Twilio's, as it happens) onto ours.
RAW_STATUSES = {
    "initiated": CallStatus.INITIATED,
    "ringing": CallStatus.RINGING,
    "answered": CallStatus.ANSWERED,
    "completed": CallStatus.COMPLETED,
    "busy": CallStatus.BUSY,
    "no-answer": CallStatus.NO_ANSWER,
    "failed": CallStatus.FAILED,
    "canceled": CallStatus.CANCELED,
}


def webhook_secret() -> bytes:
    if settings.SIMULATOR_WEBHOOK_SECRET:
        return settings.SIMULATOR_WEBHOOK_SECRET.encode()
    # Derived, never a literal: salted with a purpose string so it differs from other
    # SECRET_KEY uses (sessions, signing).
    return (
        salted_hmac("calls.telephony.simulator.webhook", "webhook-secret", algorithm="sha256")
        .hexdigest()
        .encode()
    )


def sign(body: bytes) -> str:
    return "sha256=" + hmac.new(webhook_secret(), body, hashlib.sha256).hexdigest()


class SimulatorProvider(TelephonyProvider):
    name = Provider.SIMULATOR
    supports_dialogue = True

    def __init__(self, config=None, *, run_callee: Callable[[dict], None] | None = None):
        super().__init__(config)
        # Inline mode (`manage.py simulate`): the whole call runs inside `start_call`, by this
        # function (calls.callee.callee_run_inline, which drives the webhooks above us).
        self.run_callee = run_callee
        self._held: list[dict] | None = None  # first steps of the calls held (`hold_calls`)

    @classmethod
    def call_timeout(cls) -> dt.timedelta:
        return min(super().call_timeout(), CALL_TIMEOUT)

    def start_call(self, call: OutgoingCall) -> str:
        config = self.config
        if config.sim_unavailable:
            raise ProviderUnavailable("The simulated provider is down (simulate an outage is on).")
        rates = Rates.from_config(config)
        seed = f"{config.sim_seed}:{call.contact_id or call.to}:{call.attempt_number}"
        plan = callee_plan(seed, rates)
        if plan.ending == REJECTED:
            raise CallRejected(
                "Simulated: the network cannot reach this number.", code="unreachable"
            )
        provider_call_id = "SIM-" + uuid.UUID(call.call_id).hex[:20]
        step = {
            "call_id": call.call_id,
            "provider_call_id": provider_call_id,
            "seed": seed,
            "rates": dataclasses.astuple(rates),
            "started_at": call.started_at.isoformat(),
            "virtual": self.run_callee is not None,
            "action": "initiated",
            "sequence": 1,
            "elapsed": 0.0,
            "turn": None,
            # Sent back in its webhooks' URLs, as a real provider does (`status_url`).
            "trace_id": call.trace_id,
        }
        if self.run_callee is not None:
            self.run_callee(step)
        elif self._held is not None:
            self._held.append(step)
        else:
            transaction.on_commit(lambda: callee_enqueue(step))
        return provider_call_id

    def hold_calls(self) -> None:
        if self.run_callee is None and self._held is None:
            self._held = []

    def release_calls(self) -> None:
        steps, self._held = self._held or [], None
        if steps:
            # After the commit, as one by one: a callee never calls back before its attempt
            # exists. (The scheduler dials outside any transaction: that is now.)
            transaction.on_commit(lambda: callees_enqueue(steps))

    # -- webhooks -------------------------------------------------------------------------------
    def verify_webhook(self, request: WebhookRequest, *, call_id: str) -> bool:
        signature = request.header(SIGNATURE_HEADER)
        if not signature or not hmac.compare_digest(signature, sign(request.body)):
            return False
        # The signature covers the body, so the body names its call: a genuine event replayed
        # against another call's URL is refused too.
        try:
            named = json.loads(request.body).get("call_id")
        except (ValueError, AttributeError, RecursionError):
            return True  # signed but unreadable: parse_* explains (400)
        return named == call_id

    def parse_status(self, request: WebhookRequest) -> StatusEvent:
        data = _json_object(request)
        raw = data.get("status")
        if raw not in RAW_STATUSES:
            raise WebhookPayloadError(
                f"status: {raw!r} is not one of {', '.join(sorted(RAW_STATUSES))}."
            )
        sequence = _int_field(data, "sequence")
        return StatusEvent(
            event_key=f"status:{raw}:{sequence}",
            status=RAW_STATUSES[raw],
            raw_status=raw,
            provider_call_id=_str_field(data, "provider_call_id", 64),
            occurred_at=_time_field(data),
            error_code=_str_field(data, "error_code", 64),
            payload=data,
        )

    def parse_dialogue(self, request: WebhookRequest) -> DialogueReply:
        data = _json_object(request)
        turn = _int_field(data, "turn")
        confidence = data.get("confidence")
        if confidence is not None and (
            isinstance(confidence, bool)
            or not isinstance(confidence, int | float)
            or not 0 <= confidence <= 1
        ):
            raise WebhookPayloadError("confidence: a number from 0 to 1, or null.")
        return DialogueReply(
            event_key=f"dialogue:{turn}",
            turn=turn,
            reply=Reply(
                digits=_str_field(data, "digits", 32),
                speech=_str_field(data, "speech", 1000),
                confidence=confidence,
            ),
            provider_call_id=_str_field(data, "provider_call_id", 64),
            occurred_at=_time_field(data),
            payload=data,
        )

    def render_turn(self, turn: Turn, *, call_id: str) -> WebhookResponse:
        return WebhookResponse.json(dataclasses.asdict(turn))


_TOO_DEEP = "The body is nested too deeply."


def _json_object(request: WebhookRequest) -> dict:
    try:
        data = json.loads(request.body)
    except ValueError as exc:
        raise WebhookPayloadError("The body is not JSON.") from exc
    # Python's decoder gives up on deep nesting with RecursionError; shallower, the payload is
    # still stored and re-encoded later. No event of ours nests more than a level or two.
    except RecursionError:
        raise WebhookPayloadError(_TOO_DEEP) from None
    if json_depth_exceeds(data):
        raise WebhookPayloadError(_TOO_DEEP)
    if not isinstance(data, dict):
        raise WebhookPayloadError("The body must be a JSON object.")
    return data


def _int_field(data: dict, name: str) -> int:
    value = data.get(name)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10_000:
        raise WebhookPayloadError(f"{name}: a whole number from 0 to 10000 is required.")
    return value


def _str_field(data: dict, name: str, max_length: int) -> str:
    value = data.get(name) or ""
    if not isinstance(value, str) or len(value) > max_length:
        raise WebhookPayloadError(f"{name}: a string of at most {max_length} characters.")
    return value


def _time_field(data: dict) -> dt.datetime | None:
    value = data.get("timestamp")
    if value is None:
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None or parsed.tzinfo is None:
        raise WebhookPayloadError("timestamp: an ISO 8601 date and time with a UTC offset.")
    return parsed


# --- The callee ----------------------------------------------------------------------------------

ANSWER, BUSY, NO_ANSWER, FAILED, REJECTED = "answer", "busy", "no_answer", "failed", "rejected"


@dataclasses.dataclass(frozen=True)
class Rates:
    answer: float
    busy: float
    no_answer: float
    failure: float
    consent: float

    @classmethod
    def from_config(cls, config) -> Rates:
        return cls(
            config.sim_answer_rate,
            config.sim_busy_rate,
            config.sim_no_answer_rate,
            config.sim_failure_rate,
            config.sim_consent_rate,
        )


@dataclasses.dataclass(frozen=True)
class CalleePlan:
    ending: str  # answer | busy | no_answer | failed (after ringing) | rejected (at dial)
    consents: bool  # would take part
    asks_not_to_be_called: bool  # when refusing
    hangs_up_at_turn: int | None  # hangs up instead of answering this prompt
    ring_seconds: float
    network_replays_ringing: bool  # networks resend events: the ringing event comes twice
    asks_callback: bool  # would take part, but not now: answers the consent with "call me later"


# How often a callee who would take part asks to be called later instead.
CALLBACK_SHARE = 0.04
# How often a reply is noise, so that the dialogue's re-asks and its "unanswered" path run.
SILENCE_SHARE = 0.03
REPEAT_SHARE = 0.03
OUT_OF_RANGE_SHARE = 0.03  # numbers and scales (an unbounded number: a vague "a few")
MUMBLE_SHARE = 0.02  # choices (a mumble), yes/no (a hedge: "not sure")
KEYED_SHARE = 0.4  # of the answers that can be keyed


def callee_plan(seed: str, rates: Rates) -> CalleePlan:
    """How this callee will behave on this attempt: the same seed, the same callee."""
    rng = random.Random(seed)
    shares = (rates.answer, rates.busy, rates.no_answer, rates.failure)
    draw = rng.random() * (sum(shares) or 1)
    ending = ANSWER
    for name, share in zip((ANSWER, BUSY, NO_ANSWER, FAILED), shares, strict=True):
        if draw < share:
            ending = name
            break
        draw -= share
    if ending == FAILED and rng.random() < 0.5:
        ending = REJECTED  # half the failures happen at dial time
    consents = rng.random() < rates.consent
    return CalleePlan(
        ending=ending,
        consents=consents,
        asks_not_to_be_called=not consents and rng.random() < 0.15,
        hangs_up_at_turn=rng.choice((3, 4)) if rng.random() < 0.04 else None,
        ring_seconds=round(rng.uniform(3, 12), 1),
        network_replays_ringing=rng.random() < 0.05,
        # Drawn last (keyword arguments are evaluated in order): every earlier draw, and so a
        # seed's other fields, stay what they were before callees could ask for a callback.
        asks_callback=consents and rng.random() < CALLBACK_SHARE,
    )


# What a callee says, per language. Every phrase is read by calls/understanding.py as meant:
# calls/tests/test_simulator.py feeds the replies to its parser.
_SAYINGS: dict[str, dict[str, Any]] = {
    "en": {
        "yes": ("yes", "yes, sure", "okay", "of course", "yeah, go ahead"),
        "no": ("no", "no thanks", "not interested", "no, sorry"),
        "do_not_call": ("please do not call me again", "stop calling me", "remove my number"),
        "callback": (
            "I'm busy, call me tomorrow",
            "not now, call me back in an hour",
            "can you call me after six?",
            "in a meeting, call me this evening",
            "I'm driving, call me back later",
        ),
        "repeat": ("sorry, can you repeat?", "what?", "pardon?"),
        "yes_answer": ("yes", "yeah", "yes, sure", "I did", "definitely", "yes, I think so"),
        "no_answer": ("no", "nope", "not really", "I don't think so", "no, not at all"),
        "unsure": ("I'm not sure", "hard to say", "I don't know"),
        "numbers": (
            "zero",
            "one",
            "two",
            "three",
            "four",
            "five",
            "six",
            "seven",
            "eight",
            "nine",
            "ten",
            "eleven",
            "twelve",
            "thirteen",
            "fourteen",
            "fifteen",
            "sixteen",
            "seventeen",
            "eighteen",
            "nineteen",
        ),
        "tens": ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"),
        "hundred": "a hundred",
        "compound_tens": False,  # twenty-one
        "none": ("none", "never"),
        "number": ("{n}", "about {n}", "{n}, I think", "I'd say {n}", "roughly {n}"),
        "score": ("{n}", "I'd say {n}", "{n} out of {top}", "probably {n}", "about {n}"),
        "vague": ("a few", "lots"),
        "option": ("{name}", "{name}, please", "I'd say {name}"),
        "option_number": ("number {n}", "option {n}"),
        "mumble": ("um, hmm", "I'd have to think about it", "no idea"),
        "free_text": (
            "faster support",
            "lower prices",
            "nothing, all good",
            "clearer bills",
            "the mobile app crashes a lot",
            "longer opening hours",
            "friendlier staff on the phone",
            "better coverage in my area",
        ),
    },
    "it": {
        "yes": ("sì", "sì, certo", "va bene", "d'accordo", "certo, prego"),
        "no": ("no", "no grazie", "non mi interessa", "no, non ho tempo"),
        "do_not_call": ("non chiamatemi più", "non mi chiami più per favore", "cancellatemi"),
        # Not "non ora, tra un'ora": the phrase book hears no "call me later" in it (a no).
        "callback": (
            "sono occupato, richiamami domani",
            "richiamami dopo le sei",
            "non ora, mi richiami tra un'ora",
            "sto guidando, mi richiami stasera",
            "ora non posso, richiamatemi più tardi",
        ),
        "repeat": ("scusi, può ripetere?", "come?", "non ho capito"),
        "yes_answer": ("sì", "sì, direi di sì", "certo", "penso di sì", "esatto"),
        "no_answer": ("no", "non credo", "direi di no", "no, per niente", "assolutamente no"),
        "unsure": ("non saprei", "non sono sicuro", "boh"),
        "numbers": (
            "zero",
            "uno",
            "due",
            "tre",
            "quattro",
            "cinque",
            "sei",
            "sette",
            "otto",
            "nove",
            "dieci",
            "undici",
            "dodici",
            "tredici",
            "quattordici",
            "quindici",
            "sedici",
            "diciassette",
            "diciotto",
            "diciannove",
        ),
        "tens": (
            "venti",
            "trenta",
            "quaranta",
            "cinquanta",
            "sessanta",
            "settanta",
            "ottanta",
            "novanta",
        ),
        "hundred": "cento",
        "compound_tens": True,  # ventuno, trentotto, quarantatré
        "none": ("nessuno", "mai"),
        "number": ("{n}", "circa {n}", "{n}, credo", "direi {n}", "più o meno {n}"),
        "score": ("{n}", "direi {n}", "{n} su {top}", "forse {n}", "circa {n}"),
        "vague": ("tante", "parecchie"),
        "option": ("{name}", "{name}, grazie", "direi {name}"),
        "option_number": ("numero {n}", "la {n}"),
        "mumble": ("ehm, boh", "non saprei", "mah"),
        "free_text": (
            "assistenza più rapida",
            "prezzi più bassi",
            "niente, va tutto bene",
            "bollette più chiare",
            "l'app si blocca spesso",
            "orari più lunghi",
            "personale più cordiale al telefono",
            "copertura migliore nella mia zona",
        ),
    },
}
# What callees say to an open question, per language: the demo's free-text answers too.
FREE_TEXT_ANSWERS: dict[str, tuple[str, ...]] = {
    language: sayings["free_text"] for language, sayings in _SAYINGS.items()
}


def callee_reply(seed: str, plan: CalleePlan, turn: dict) -> Reply:
    """The callee's reply to one prompt (`turn`: the dialogue's Turn as JSON), in the turn's
    language: mostly a plausible answer for the question, keyed or said; sometimes silence, a
    request to repeat, a number out of range or a mumble, so that the dialogue's re-asks and
    its "unanswered" path get used."""
    expect = turn["expect"]
    if not expect:
        return Reply()  # a goodbye: nothing to answer
    rng = random.Random(f"{seed}:turn:{turn['turn']}")
    language = turn["language"] if turn["language"] in _SAYINGS else "en"
    words = _SAYINGS[language]
    mood = rng.random()
    if mood < SILENCE_SHARE:
        return Reply()
    if mood < SILENCE_SHARE + REPEAT_SHARE:
        return Reply(speech=rng.choice(words["repeat"]), confidence=0.9)
    confidence = round(rng.uniform(0.6, 0.99), 2)
    keyed = rng.random() < KEYED_SHARE
    if expect == "consent":
        return _consent_reply(rng, words, plan, keyed=keyed, confidence=confidence)
    question = turn.get("question") or {}
    if expect == YES_NO:
        return _yes_no_reply(rng, words, keyed=keyed, confidence=confidence)
    if expect == SCALE:
        return _scale_reply(rng, words, question, keyed=keyed, confidence=confidence)
    if expect == NUMBER:
        return _number_reply(rng, words, question, keyed=keyed, confidence=confidence)
    if expect == SINGLE_CHOICE:
        return _choice_reply(rng, language, question, keyed=keyed, confidence=confidence)
    # Free text, or a prompt this callee does not know: a few words.
    max_length = question.get("max_length") or DEFAULT_FREE_TEXT_LENGTH
    return Reply(speech=rng.choice(words["free_text"])[:max_length], confidence=confidence)


def _consent_reply(
    rng: random.Random, words: dict, plan: CalleePlan, *, keyed: bool, confidence: float
) -> Reply:
    """The answer to the consent question the plan decided: yes, no, do not call me, or call
    me later (said, never keyed: the keypad has no "later")."""
    if plan.asks_callback:
        return Reply(speech=rng.choice(words["callback"]), confidence=confidence)
    if plan.consents:
        if keyed:
            return Reply(digits="1")
        return Reply(speech=rng.choice(words["yes"]), confidence=confidence)
    if plan.asks_not_to_be_called:
        return Reply(speech=rng.choice(words["do_not_call"]), confidence=confidence)
    if keyed:
        return Reply(digits="2")
    return Reply(speech=rng.choice(words["no"]), confidence=confidence)


def _yes_no_reply(rng: random.Random, words: dict, *, keyed: bool, confidence: float) -> Reply:
    if rng.random() < MUMBLE_SHARE:
        return Reply(speech=rng.choice(words["unsure"]), confidence=confidence)
    yes = rng.random() < 0.6
    if keyed:
        return Reply(digits="1" if yes else "2")
    said = rng.choice(words["yes_answer"] if yes else words["no_answer"])
    return Reply(speech=said, confidence=confidence)


def _scale_reply(
    rng: random.Random, words: dict, question: dict, *, keyed: bool, confidence: float
) -> Reply:
    low, high = question.get("min_value"), question.get("max_value")
    if low is None or high is None:
        low, high = 1, 10  # a scale always has both; a turn without its question
    if rng.random() < OUT_OF_RANGE_SHARE:
        value = _out_of_range(rng, low, high)
    else:
        # Skewed high, as satisfaction scores are: about three quarters up the scale.
        value = min(high, max(low, round(low + rng.gauss(0.74, 0.18) * (high - low))))
    return _number_said_or_keyed(
        rng, words, value, words["score"], keyed=keyed, confidence=confidence, top=high
    )


def _number_reply(
    rng: random.Random, words: dict, question: dict, *, keyed: bool, confidence: float
) -> Reply:
    low, high = question.get("min_value"), question.get("max_value")
    odd = rng.random() < OUT_OF_RANGE_SHARE
    # Mostly small counts ("how many times…"), as a count of 0–20 drawn like this always was.
    count = min(20, int(rng.expovariate(0.6)))
    if low is not None and high is not None:
        value = round(rng.triangular(low, high, low + (high - low) / 5))
    elif high is not None:
        value = min(high, count)
    else:
        value = (low or 0) + count
    if odd:
        if low is None and high is None:
            return Reply(speech=rng.choice(words["vague"]), confidence=confidence)  # no number
        value = _out_of_range(rng, low, high)
    # No one keys or says a minus sign here: a range below zero gets zero, out of range.
    value = max(0, value)
    if value == 0 and not keyed and rng.random() < 0.5:
        return Reply(speech=rng.choice(words["none"]), confidence=confidence)
    return _number_said_or_keyed(
        rng, words, value, words["number"], keyed=keyed, confidence=confidence, top=high
    )


def _out_of_range(rng: random.Random, low: int | None, high: int | None) -> int:
    """A number just outside the range (above it, or below a lowest value above zero)."""
    span = (high - low) if low is not None and high is not None else 10
    step = rng.randint(1, max(1, span // 2))
    if high is None or (low is not None and low > 0 and rng.random() < 0.3):
        return max(0, (low or 0) - step)
    return high + step


def _number_said_or_keyed(
    rng: random.Random,
    words: dict,
    value: int,
    phrases: tuple[str, ...],
    *,
    keyed: bool,
    confidence: float,
    top: int | None,
) -> Reply:
    if keyed:
        return Reply(digits=str(value))  # the gather ends at "#": the digits alone
    in_words = rng.random() < 0.5
    said = _number_words(value, words) if in_words else str(value)
    if top is None:
        phrases = tuple(p for p in phrases if "{top}" not in p)
    shown_top = "" if top is None else _number_words(top, words) if in_words else str(top)
    return Reply(speech=rng.choice(phrases).format(n=said, top=shown_top), confidence=confidence)


def _number_words(number: int, words: dict) -> str:
    """0–100 in words; other numbers in digits, as speech recognition writes them anyway."""
    if not 0 <= number <= 100:
        return str(number)
    if number < 20:
        return words["numbers"][number]
    if number == 100:
        return words["hundred"]
    tens, unit = divmod(number, 10)
    tens_word = words["tens"][tens - 2]
    if not unit:
        return tens_word
    unit_word = words["numbers"][unit]
    if not words["compound_tens"]:
        return f"{tens_word}-{unit_word}"
    if unit_word[0] in "aeiou":
        tens_word = tens_word[:-1]  # ventuno, trentotto: the tens' vowel drops
    return tens_word + ("tré" if unit_word == "tre" else unit_word)


def _choice_reply(
    rng: random.Random, language: str, question: dict, *, keyed: bool, confidence: float
) -> Reply:
    words = _SAYINGS[language]
    options = question.get("options") or ()
    if not options or rng.random() < MUMBLE_SHARE:
        return Reply(speech=rng.choice(words["mumble"]), confidence=confidence)
    option = rng.choice(options)
    if keyed:
        return Reply(digits=option["digit"])
    label = (option.get("labels") or {}).get(language, "")
    synonyms = list((option.get("synonyms") or {}).get(language, ()))
    way = rng.random()
    if label and (way < 0.55 or (way < 0.85 and not synonyms)):
        name = label
    elif synonyms and way < 0.85:
        name = rng.choice(synonyms)
    else:  # "number two": its keypad digit, said
        digit = _number_words(int(option["digit"]), words)
        return Reply(
            speech=rng.choice(words["option_number"]).format(n=digit), confidence=confidence
        )
    return Reply(speech=rng.choice(words["option"]).format(name=name), confidence=confidence)


@functools.cache
def _broker(queue: str):
    # One broker (one Redis connection pool) per process and queue: django-q makes a new one,
    # with a new connection, for every task otherwise. A cache for speed only; redis-py
    # re-opens its connections after a fork.
    from django_q.brokers import get_broker

    return get_broker(queue)


_CALLEE_TASK = "calls.tasks.simulator_callee_step"


def callee_enqueue(step: dict) -> None:
    from django_q.tasks import async_task

    # The bulk queue, as every callee step: a campaign's calls make thousands of them, which
    # must not delay the scheduler's tick or reconciliation (docs/operations.md).
    async_task(
        _CALLEE_TASK, step, task_name="simulated callee", broker=_broker(settings.Q_BULK_CLUSTER)
    )


class _PackageCollector:
    """Stands in for the broker in `async_task`, which builds, signs and hands each task package
    to its broker: kept here instead, to be pushed together. (Not a list: `async_task` takes an
    empty, falsy one for no broker at all.)"""

    def __init__(self, list_key: str):
        self.list_key = list_key
        self.packages: list[str] = []

    def enqueue(self, package: str) -> None:
        self.packages.append(package)


# Packages per RPUSH: a tick's calls in one command, a huge tick in a few (one MULTI/EXEC).
_PUSH_CHUNK = 1000


def callees_enqueue(steps: list[dict]) -> None:
    """Queue these callees' steps, each as a django-q task of its own (each callee then runs on
    its own, as if queued alone), in one round trip to a Redis broker, all or none. The ORM
    broker takes them in one transaction (all or none too), others one at a time."""
    from django_q.brokers.orm import ORM
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf
    from django_q.tasks import async_task

    broker = _broker(settings.Q_BULK_CLUSTER)  # as callee_enqueue's
    collector = _PackageCollector(broker.list_key)
    for step in steps:
        async_task(_CALLEE_TASK, step, task_name="simulated callee", broker=collector)
    packages = collector.packages
    if not packages:
        return  # sync mode (tests): async_task ran each callee itself
    if isinstance(broker, Redis):
        with broker.connection.pipeline(transaction=True) as pipe:
            for i in range(0, len(packages), _PUSH_CHUNK):
                pipe.rpush(broker.list_key, *packages[i : i + _PUSH_CHUNK])
            pipe.execute()
        return
    if isinstance(broker, ORM):
        with transaction.atomic(using=Conf.ORM):
            for package in packages:
                broker.enqueue(package)
        return
    for package in packages:
        broker.enqueue(package)

"""The simulator provider: a deterministic callee that follows the configured rates and goes
through the real webhooks, dialogue and outcome rules — live through django-q tasks, or inline."""

import collections
import dataclasses
import datetime as dt
import json
import statistics

import pytest
from django.conf import settings
from django_q.models import Failure

from calls.callee import callee_run_inline
from calls.models import CallAttempt, CallEvent, SurveyEvent, SurveyResponse
from calls.scheduler import scheduler_tick
from calls.telephony.base import CallRejected, OutgoingCall, ProviderUnavailable
from calls.telephony.simulator import (
    ANSWER,
    BUSY,
    FAILED,
    NO_ANSWER,
    REJECTED,
    Rates,
    SimulatorProvider,
    callee_plan,
    callee_reply,
    webhook_secret,
)
from calls.understanding import read_answer, read_consent
from campaigns.questionnaire import (
    FREE_TEXT,
    NUMBER,
    SCALE,
    SINGLE_CHOICE,
    YES_NO,
    OptionSpec,
    QuestionSpec,
)
from campaigns.tests.factories import CampaignFactory
from contacts.models import ExclusionEntry
from contacts.tests.factories import ContactFactory

DEFAULT_RATES = Rates(answer=0.65, busy=0.1, no_answer=0.2, failure=0.05, consent=0.8)
NOW = dt.datetime(2026, 11, 23, 15, 0, tzinfo=dt.UTC)


def test_the_same_seed_gives_the_same_callee():
    assert callee_plan("1:contact-a:1", DEFAULT_RATES) == callee_plan(
        "1:contact-a:1", DEFAULT_RATES
    )
    plans = {callee_plan(f"1:contact-{i}:1", DEFAULT_RATES) for i in range(50)}
    assert len(plans) > 10  # and different callees behave differently


def test_endings_follow_the_configured_rates():
    endings = collections.Counter(
        callee_plan(f"7:{i}:1", DEFAULT_RATES).ending for i in range(4000)
    )
    shares = {k: v / 4000 for k, v in endings.items()}
    assert shares[ANSWER] == pytest.approx(0.65, abs=0.03)
    assert shares[BUSY] == pytest.approx(0.10, abs=0.02)
    assert shares[NO_ANSWER] == pytest.approx(0.20, abs=0.02)
    assert shares[FAILED] + shares[REJECTED] == pytest.approx(0.05, abs=0.015)
    consents = sum(callee_plan(f"7:{i}:1", DEFAULT_RATES).consents for i in range(4000))
    assert consents / 4000 == pytest.approx(0.8, abs=0.03)


def test_a_rate_of_zero_never_happens_and_one_always_does():
    rates = Rates(answer=0, busy=1, no_answer=0, failure=0, consent=1)
    assert {callee_plan(str(i), rates).ending for i in range(200)} == {BUSY}


# --- what the callee says ------------------------------------------------------------------------
# Each reply goes through the parser the dialogue uses (calls/understanding.py), with the same
# question, sent as the dialogue sends it: `dataclasses.asdict(turn)` as JSON.

SEEDS = 300
TEXTS = {"en": "A question?", "it": "Una domanda?"}
QUESTIONS = {
    "yes_no": QuestionSpec(key="renewed", type=YES_NO, texts=TEXTS),
    "nps": QuestionSpec(
        key="recommend", type=SCALE, texts=TEXTS, min_value=0, max_value=10, nps=True
    ),
    "scale_1_5": QuestionSpec(key="support", type=SCALE, texts=TEXTS, min_value=1, max_value=5),
    "number_0_100": QuestionSpec(
        key="visits", type=NUMBER, texts=TEXTS, min_value=0, max_value=100
    ),
    "number_18_99": QuestionSpec(key="age", type=NUMBER, texts=TEXTS, min_value=18, max_value=99),
    "number_open": QuestionSpec(key="calls", type=NUMBER, texts=TEXTS),
    "choice": QuestionSpec(
        key="contact_by",
        type=SINGLE_CHOICE,
        texts=TEXTS,
        options=(
            OptionSpec(
                "phone",
                "1",
                {"en": "Phone", "it": "Telefono"},
                {"en": ("telephone", "mobile"), "it": ("cellulare", "telefonata")},
            ),
            OptionSpec(
                "email", "2", {"en": "Email", "it": "Email"}, {"it": ("posta elettronica",)}
            ),
            OptionSpec("letter", "3", {"en": "Letter", "it": "Lettera"}, {"en": ("post",)}),
        ),
    ),
    "free_text": QuestionSpec(key="improve", type=FREE_TEXT, texts=TEXTS, max_length=20),
}
# Besides silence and "repeat", the noise each question hears, rarely: a number out of range, a
# vague "a few" for a number without bounds, a mumble for a choice, a hedge for yes or no.
NOISE = {
    "yes_no": {"unsure"},
    "nps": {"out_of_range"},
    "scale_1_5": {"out_of_range"},
    "number_0_100": {"out_of_range"},
    "number_18_99": {"out_of_range"},
    "number_open": {"unclear"},
    "choice": {"unclear"},
    "free_text": set(),
}


def question_turn(question, language, number=2):
    """The prompt as the simulator receives it: the dialogue's Turn, through JSON."""
    turn = {
        "turn": number,
        "say": question.text(language),
        "language": language,
        "expect": question.type,
        "hangup": False,
        "hints": [],
        "question": dataclasses.asdict(question),
    }
    return json.loads(json.dumps(turn))


def consent_turn(language):
    return {
        "turn": 1,
        "say": "…",
        "language": language,
        "expect": "consent",
        "hangup": False,
        "hints": [],
        "question": None,
    }


def readings(question, language):
    """What the parser reads from each of SEEDS callees' reply to the question."""
    turn = question_turn(question, language)
    read = []
    for i in range(SEEDS):
        seed = f"3:{i}:1"
        reply = callee_reply(seed, callee_plan(seed, DEFAULT_RATES), turn)
        read.append(read_answer(reply, question, language))
    return read


def is_valid(question, value):
    if question.type == YES_NO:
        return value in {"yes", "no"}
    if question.type in (SCALE, NUMBER):
        number = int(value)
        low, high = question.min_value, question.max_value
        return (low is None or number >= low) and (high is None or number <= high)
    if question.type == SINGLE_CHOICE:
        return value in {option.value for option in question.options}
    return 0 < len(value) <= question.max_length


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("name", list(QUESTIONS))
def test_the_callee_answers_every_question_type_plausibly(name, language):
    question = QUESTIONS[name]
    read = readings(question, language)
    kinds = collections.Counter(reading.kind for reading in read)
    answers = [reading for reading in read if reading.is_answer]
    # Mostly answers, each one the question can take.
    assert kinds["answer"] / SEEDS >= 0.85, kinds
    assert [a.value for a in answers if not is_valid(question, a.value)] == []
    # Keyed and said (free text is only said).
    modes = collections.Counter(a.mode for a in answers)
    assert modes["speech"] > 0
    assert (modes["dtmf"] > 0) == (question.type != FREE_TEXT), modes
    # Some noise of each kind the question can hear, rarely; and nothing else (no callback,
    # no "do not call", no low confidence in the middle of a survey).
    noise = {"silence", "repeat"} | NOISE[name]
    assert set(kinds) == {"answer"} | noise, kinds
    for kind in noise:
        assert 0 < kinds[kind] / SEEDS <= 0.06, (kind, kinds)


@pytest.mark.parametrize("language", ["en", "it"])
@pytest.mark.parametrize("name", ["nps", "number_0_100", "number_18_99", "number_open"])
def test_numbers_are_said_in_digits_and_in_words(name, language):
    said = [r for r in readings(QUESTIONS[name], language) if r.is_answer and r.mode == "speech"]
    in_words = [r for r in said if not any(c.isdigit() for c in r.raw)]
    assert 0.3 < len(in_words) / len(said) < 0.7
    if name in ("number_0_100", "number_18_99"):
        # Tens and units in words, read back right: "forty-two", "quarantadue", "ventotto".
        compounds = [r for r in in_words if int(r.value) > 20 and int(r.value) % 10]
        assert compounds, [r.raw for r in in_words]


def test_scores_are_skewed_high_and_counts_low():
    scores = [int(r.value) for r in readings(QUESTIONS["nps"], "en") if r.is_answer]
    assert 6.5 < statistics.mean(scores) < 8.5
    assert max(scores) == 10
    counts = [int(r.value) for r in readings(QUESTIONS["number_open"], "it") if r.is_answer]
    assert statistics.median(counts) <= 3
    assert max(counts) <= 20


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_choice_is_keyed_or_named_by_its_label_a_synonym_or_its_number(language):
    question = QUESTIONS["choice"]
    labels = {option.labels[language].lower() for option in question.options}
    synonyms = {s for option in question.options for s in option.synonyms.get(language, ())}
    said = [r.raw.lower() for r in readings(question, language) if r.mode == "speech"]
    by_label = [raw for raw in said if any(label in raw for label in labels)]
    by_synonym = [raw for raw in said if any(synonym in raw for synonym in synonyms)]
    by_number = [raw for raw in said if raw.startswith(("number", "option", "numero", "la "))]
    assert by_label
    assert by_synonym
    assert by_number


def test_free_text_fits_the_question():
    values = [r.value for r in readings(QUESTIONS["free_text"], "en") if r.is_answer]
    assert max(len(value) for value in values) == 20  # some were cut to max_length
    assert len(set(values)) > 4


@pytest.mark.parametrize("language", ["en", "it"])
def test_the_same_seed_gives_the_same_reply(language):
    for question in QUESTIONS.values():
        turn = question_turn(question, language)
        replies = set()
        for i in range(40):
            seed = f"4:{i}:1"
            plan = callee_plan(seed, DEFAULT_RATES)
            reply = callee_reply(seed, plan, turn)
            assert callee_reply(seed, plan, json.loads(json.dumps(turn))) == reply
            replies.add(reply)
        assert len(replies) > 5  # and different callees say different things
    # A later prompt of the same call is another draw.
    seed = "4:0:1"
    plan = callee_plan(seed, DEFAULT_RATES)
    question = QUESTIONS["number_0_100"]
    later = {callee_reply(seed, plan, question_turn(question, language, n)) for n in range(2, 12)}
    assert len(later) > 3


def test_a_goodbye_gets_no_reply():
    turn = {"turn": 5, "say": "Goodbye.", "language": "en", "expect": "", "hangup": True}
    for i in range(50):
        seed = f"6:{i}:1"
        assert callee_reply(seed, callee_plan(seed, DEFAULT_RATES), turn).is_silence


def test_some_callees_who_would_take_part_ask_to_be_called_later():
    plans = [callee_plan(f"8:{i}:1", DEFAULT_RATES) for i in range(4000)]
    consenting = [plan for plan in plans if plan.consents]
    asking = [plan for plan in plans if plan.asks_callback]
    assert set(asking) <= set(consenting)
    assert len(asking) / len(consenting) == pytest.approx(0.04, abs=0.015)


@pytest.mark.parametrize("language", ["en", "it"])
def test_consent_replies_follow_the_plan(language):
    kinds = collections.Counter()
    for i in range(SEEDS):
        seed = f"5:{i}:1"
        plan = callee_plan(seed, DEFAULT_RATES)
        kind = read_consent(callee_reply(seed, plan, consent_turn(language)), language).kind
        if plan.asks_callback:
            expected = "callback"
        elif plan.consents:
            expected = "yes"
        else:
            expected = "do_not_call" if plan.asks_not_to_be_called else "no"
        assert kind in {expected, "silence", "repeat"}, (plan, kind)
        kinds[kind] += 1
    assert kinds["yes"] / SEEDS > 0.6
    assert kinds["no"] > 0
    assert kinds["do_not_call"] > 0


@pytest.mark.parametrize("language", ["en", "it"])
def test_a_callee_who_asks_to_be_called_later_says_when_mostly(language):
    read = []
    for i in range(SEEDS):
        seed = f"5:{i}:1"
        plan = dataclasses.replace(
            callee_plan(seed, DEFAULT_RATES), consents=True, asks_callback=True
        )
        read.append(read_consent(callee_reply(seed, plan, consent_turn(language)), language))
    kinds = collections.Counter(reading.kind for reading in read)
    assert set(kinds) == {"callback", "silence", "repeat"}, kinds
    callbacks = [reading.callback for reading in read if reading.kind == "callback"]
    assert len(callbacks) / SEEDS >= 0.9
    with_a_time = [callback for callback in callbacks if callback.heard_a_time]
    assert 0.6 <= len(with_a_time) / len(callbacks) < 1  # mostly a time; sometimes just "later"


def test_the_webhook_key_is_derived_from_the_secret_key_unless_set(settings):
    settings.SIMULATOR_WEBHOOK_SECRET = ""
    settings.SECRET_KEY = "one-secret-key-for-this-test-only"
    derived = webhook_secret()
    assert derived != settings.SECRET_KEY.encode()
    assert len(derived) == 64
    settings.SECRET_KEY = "another-secret-key-for-this-test"
    assert webhook_secret() != derived
    settings.SIMULATOR_WEBHOOK_SECRET = "explicit"
    assert webhook_secret() == b"explicit"


def outgoing(contact, attempt_number=1):
    return OutgoingCall(
        call_id="0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a",
        to=contact.phone_number,
        from_="",
        language="en",
        started_at=NOW,
        status_url="",
        dialogue_url="",
        contact_id=str(contact.pk),
        attempt_number=attempt_number,
    )


@pytest.mark.django_db
def test_an_outage_switch_makes_every_dial_fail_as_unavailable(provider_config):
    provider_config.sim_unavailable = True
    with pytest.raises(ProviderUnavailable):
        SimulatorProvider(provider_config).start_call(outgoing(ContactFactory()))


@pytest.mark.django_db
def test_some_failures_happen_at_dial_time(provider_config):
    provider_config.sim_answer_rate = provider_config.sim_busy_rate = 0
    provider_config.sim_no_answer_rate, provider_config.sim_failure_rate = 0, 1
    contact = ContactFactory()
    rejected_codes = []
    for attempt_number in range(1, 41):
        try:
            SimulatorProvider(provider_config).start_call(outgoing(contact, attempt_number))
        except CallRejected as exc:
            rejected_codes.append(exc.code)
    assert set(rejected_codes) <= {"unreachable"}
    assert 8 < len(rejected_codes) < 32  # about half


def finish(attempt):
    attempt.refresh_from_db()
    events = list(attempt.events.order_by("id").values_list("status", flat=True))
    return (
        attempt.outcome,
        attempt.error_code,
        attempt.metadata.get("dialogue", {}).get("answers"),
        events,
    )


@pytest.mark.django_db
def test_a_live_call_runs_through_django_q_tasks(
    provider_config, open_campaign, django_capture_on_commit_callbacks
):
    provider_config.sim_answer_rate, provider_config.sim_consent_rate = 1, 1  # answers, agrees
    provider_config.sim_busy_rate = provider_config.sim_no_answer_rate = 0
    provider_config.sim_failure_rate = 0
    contact = ContactFactory(campaign=open_campaign)
    # A seed under which this callee takes the whole survey now: no "call me later", no
    # hanging up half-way (either ends the call after the consent, on one callee in 25 each).
    rates = Rates.from_config(provider_config)
    plans = ((seed, callee_plan(f"{seed}:{contact.id}:1", rates)) for seed in range(1, 1000))
    provider_config.sim_seed = next(
        seed for seed, plan in plans if not plan.asks_callback and plan.hangs_up_at_turn is None
    )
    provider_config.save()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        run = scheduler_tick(now=NOW, provider=SimulatorProvider())
    assert run.calls_placed == 1
    attempt = CallAttempt.objects.get()
    outcome, _error, _answers, events = finish(attempt)
    # Each step was a task that queued the next: initiated, ringing, answered, the dialogue
    # turns, and the end of the call.
    assert len(callbacks) >= 7
    assert len(events) >= 7
    assert events[:3] == ["initiated", "ringing", "answered"]
    assert "dialogue" in events
    assert outcome is not None  # the call ran to its end
    assert not Failure.objects.exists()  # and no task failed on the way
    contact.refresh_from_db()
    assert contact.state != "in_progress"


@pytest.mark.django_db
def test_live_and_inline_calls_of_the_same_callee_end_the_same(
    provider_config, open_campaign, django_capture_on_commit_callbacks
):
    """Deterministic per contact and attempt: run the same contacts both ways."""
    contacts = [ContactFactory(campaign=open_campaign) for _ in range(6)]
    with django_capture_on_commit_callbacks(execute=True):
        scheduler_tick(now=NOW, provider=SimulatorProvider())
    live = {a.contact_id: finish(a) for a in CallAttempt.objects.all()}

    # Forget the calls, and dial the same contacts again, inline this time.
    for model in (CallAttempt, SurveyEvent, SurveyResponse, ExclusionEntry):
        model.objects.all().delete()
    for contact in contacts:
        contact.state, contact.attempts_count, contact.next_attempt_at = "pending", 0, None
        contact.save()
    scheduler_tick(now=NOW, provider=SimulatorProvider(run_callee=callee_run_inline))
    inline = {a.contact_id: finish(a) for a in CallAttempt.objects.all()}
    assert inline == live
    assert CallEvent.objects.count() > 6 * 3


def queued_packages(broker):
    """Take the task packages queued on the broker (Redis, or the ORM broker's table)."""
    from django_q.brokers.redis_broker import Redis
    from django_q.models import OrmQ

    if isinstance(broker, Redis):
        packages = broker.connection.lrange(broker.list_key, 0, -1)
        broker.connection.delete(broker.list_key)
        return [p.decode() if isinstance(p, bytes) else p for p in packages]
    queued = OrmQ.objects.filter(key=broker.list_key)
    packages = list(queued.values_list("payload", flat=True))
    queued.delete()
    return packages


@pytest.mark.django_db
def test_a_tick_queues_every_callee_as_a_task_of_its_own(
    provider_config, open_campaign, monkeypatch, django_capture_on_commit_callbacks
):
    """Queued together (one round trip to Redis), yet each callee is its own task: each runs
    on its own, through the webhooks, to the end of its call. On the bulk queue: they must not
    wait in front of the scheduler's ticks (docs/operations.md)."""
    from django.utils.module_loading import import_string
    from django_q.conf import Conf
    from django_q.signing import SignedPackage

    from calls.telephony.simulator import _broker

    provider_config.sim_answer_rate, provider_config.sim_consent_rate = 1, 1
    provider_config.sim_busy_rate = provider_config.sim_no_answer_rate = 0
    provider_config.sim_failure_rate = 0
    provider_config.save()
    for _ in range(4):
        ContactFactory(campaign=open_campaign)
    broker, default_queue = _broker(settings.Q_BULK_CLUSTER), _broker(settings.Q_CLUSTER["name"])
    queued_packages(broker)  # an empty queue to start with
    queued_packages(default_queue)
    monkeypatch.setattr(Conf, "SYNC", False)  # queued for a cluster, as in production
    with django_capture_on_commit_callbacks(execute=True):
        run = scheduler_tick(now=NOW, provider=SimulatorProvider())
    assert run.calls_placed == 4

    tasks = [SignedPackage.loads(package) for package in queued_packages(broker)]
    assert [(t["func"], len(t["args"])) for t in tasks] == [
        ("calls.tasks.simulator_callee_step", 1)
    ] * 4
    assert {t["args"][0]["call_id"] for t in tasks} == {
        str(pk) for pk in CallAttempt.objects.values_list("pk", flat=True)
    }
    assert len({t["id"] for t in tasks}) == 4
    assert queued_packages(default_queue) == []

    # A cluster runs each task (its later steps inline here: sync mode again).
    monkeypatch.setattr(Conf, "SYNC", True)
    for task in tasks:
        with django_capture_on_commit_callbacks(execute=True):
            import_string(task["func"])(*task["args"], **task["kwargs"])
    for attempt in CallAttempt.objects.all():
        outcome, _error, _answers, events = finish(attempt)
        assert outcome is not None
        assert events[:3] == ["initiated", "ringing", "answered"]
    assert not Failure.objects.exists()


class DownBroker:
    """A broker whose every enqueue fails (Redis or the database behind it is down)."""

    list_key = "django_q:test:q"

    def enqueue(self, package):
        raise ConnectionError("Error 111 connecting to the broker")


@pytest.mark.django_db(transaction=True)  # the callees are queued at commit: a real one here
def test_callees_that_cannot_be_queued_are_given_back_not_lost(provider_config, monkeypatch):
    from django_q.conf import Conf

    from calls.telephony import simulator

    provider_config.sim_failure_rate = 0
    provider_config.save()
    campaign = CampaignFactory(
        status="running",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    contacts = [ContactFactory(campaign=campaign) for _ in range(3)]
    monkeypatch.setattr(Conf, "SYNC", False)
    monkeypatch.setattr(simulator, "_broker", lambda queue: DownBroker())
    run = scheduler_tick(now=NOW, provider=SimulatorProvider())
    assert (run.calls_placed, run.errors) == (0, 1)
    assert run.details["outage"].startswith("ConnectionError")
    assert set(CallAttempt.objects.values_list("outcome", "error_code")) == {
        ("failed", "provider_unavailable")
    }
    for contact in contacts:
        contact.refresh_from_db()
        assert (contact.state, contact.attempts_count) == ("pending", 0)


class RecordingRedisConnection:
    """What `callees_enqueue` asks of redis-py, recorded: each pipeline's commands, as sent."""

    def __init__(self):
        self.round_trips = []

    def pipeline(self, transaction=True):
        connection = self

        class Pipeline:
            def __init__(self):
                self.commands = []

            def __enter__(self):
                return self

            def __exit__(self, *exc):
                return False

            def rpush(self, key, *values):
                self.commands.append(("RPUSH", key, values))

            def execute(self):
                connection.round_trips.append((transaction, self.commands))

        return Pipeline()


def test_callees_go_to_redis_in_one_round_trip(monkeypatch):
    from django_q.brokers.redis_broker import Redis
    from django_q.conf import Conf
    from django_q.signing import SignedPackage

    from calls.telephony import simulator

    class RecordingRedis(Redis):
        @staticmethod
        def get_connection(list_key=None):
            return RecordingRedisConnection()

    broker = RecordingRedis()
    monkeypatch.setattr(simulator, "_broker", lambda queue: broker)
    monkeypatch.setattr(Conf, "SYNC", False)
    steps = [{"call_id": f"call-{i}", "action": "initiated"} for i in range(3)]
    simulator.callees_enqueue(steps)
    [(atomic, commands)] = broker.connection.round_trips  # one MULTI/EXEC: all or none
    [(command, key, packages)] = commands
    assert atomic
    assert (command, key) == ("RPUSH", broker.list_key)
    assert [SignedPackage.loads(p)["args"] for p in packages] == [(step,) for step in steps]

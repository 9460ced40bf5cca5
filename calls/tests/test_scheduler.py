"""The scheduler tick (calls/scheduler.py): who is dialled, when, how many, and what a tick
records. The network is stood in for (tests/conftest.py) unless the test is about the
simulator's outage."""

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.utils import timezone

from calls.candidates import dialable_zones_by_campaign
from calls.models import CallAttempt, SchedulerRun
from calls.scheduler import scheduler_tick
from calls.telephony.base import CallRejected, ProviderUnavailable
from calls.tests.conftest import ALL_DAYS, NetworkStandIn
from calls.tests.factories import CallAttemptFactory
from campaigns.models import CampaignStatus
from campaigns.tests.factories import INTROS, CampaignFactory, questions_save, three_questions
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory

pytestmark = pytest.mark.django_db

UTC = dt.UTC
# Monday 23 November 2026.
MONDAY_09_UTC = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # Rome 10:00, New York 04:00
MONDAY_22_UTC = dt.datetime(2026, 11, 23, 22, 0, tzinfo=UTC)  # Rome 23:00, New York 17:00
MONDAY_15_UTC = dt.datetime(2026, 11, 23, 15, 0, tzinfo=UTC)  # Rome 16:00, New York 10:00


def tick(network, at=MONDAY_15_UTC, **kwargs):
    return scheduler_tick(now=at, provider=network, **kwargs)


def test_a_new_york_and_a_rome_contact_under_the_same_window(network, provider_config):
    campaign = CampaignFactory(status="running", timezone="Europe/Rome")
    rome = ContactFactory(campaign=campaign, timezone="Europe/Rome", phone_number="+393471110001")
    new_york = ContactFactory(
        campaign=campaign, timezone="America/New_York", phone_number="+12125550101"
    )
    tick(network, at=MONDAY_09_UTC)
    assert network.dialled == [rome.phone_number]
    tick(network, at=MONDAY_22_UTC)
    assert network.dialled == [rome.phone_number, new_york.phone_number]


def test_a_contact_without_a_zone_follows_the_campaigns(network, provider_config):
    campaign = CampaignFactory(status="running", timezone="America/New_York")
    contact = ContactFactory(campaign=campaign, timezone="")
    tick(network, at=MONDAY_09_UTC)  # New York 04:00
    assert network.dialled == []
    tick(network, at=MONDAY_15_UTC)  # New York 10:00
    assert network.dialled == [contact.phone_number]


def test_a_contact_in_an_unknown_zone_is_skipped_and_reported(network, provider_config):
    campaign = CampaignFactory(status="running")
    ContactFactory(campaign=campaign, timezone="Mars/Olympus_Mons")
    run = tick(network)
    assert network.dialled == []
    assert run.details["unknown_time_zones"] == ["Mars/Olympus_Mons"]


def test_each_campaigns_dialable_zones_come_from_one_query(django_assert_num_queries):
    with_zones, one_zone, none_left = (CampaignFactory(status="running") for _ in range(3))
    for zone in ("Europe/Rome", "America/New_York", "", "Asia/Tokyo", "Europe/Rome"):
        ContactFactory(campaign=with_zones, timezone=zone)
    # Not dialable: their zones are not the campaign's to dial.
    ContactFactory(campaign=with_zones, timezone="Europe/Berlin", state=ContactState.COMPLETED)
    ContactFactory(campaign=with_zones, timezone="Europe/London", do_not_call=True)
    ContactFactory(campaign=one_zone, timezone="Europe/Rome")
    ContactFactory(campaign=none_left, state=ContactState.REFUSED)
    with django_assert_num_queries(1):
        zones = dialable_zones_by_campaign([with_zones.pk, one_zone.pk, none_left.pk])
    assert zones == {
        with_zones.pk: ["", "America/New_York", "Asia/Tokyo", "Europe/Rome"],
        one_zone.pk: ["Europe/Rome"],
        none_left.pk: [],
    }


# --- Who is eligible -----------------------------------------------------------------------------


def test_retry_interval_through_next_attempt_at(network, provider_config, open_campaign):
    later = ContactFactory(
        campaign=open_campaign,
        attempts_count=1,
        next_attempt_at=MONDAY_15_UTC + dt.timedelta(minutes=30),
    )
    tick(network)
    assert network.dialled == []
    tick(network, at=MONDAY_15_UTC + dt.timedelta(minutes=30))
    assert network.dialled == [later.phone_number]


def test_due_retries_go_before_new_contacts_oldest_first(network, open_campaign):
    from calls.selectors import provider_config_get

    config = provider_config_get()
    config.calls_per_second, config.max_concurrent_calls = 1000, 2
    config.save()
    ContactFactory(campaign=open_campaign)  # never called
    due_second = ContactFactory(
        campaign=open_campaign, attempts_count=1, next_attempt_at=MONDAY_15_UTC
    )
    due_first = ContactFactory(
        campaign=open_campaign,
        attempts_count=1,
        next_attempt_at=MONDAY_15_UTC - dt.timedelta(hours=1),
    )
    tick(network)
    assert network.dialled == [due_first.phone_number, due_second.phone_number]


def test_attempts_must_be_left(network, provider_config, open_campaign):
    ContactFactory(campaign=open_campaign, state=ContactState.NOT_REACHED, attempts_count=3)
    retry = ContactFactory(
        campaign=open_campaign, state=ContactState.NOT_REACHED, attempts_count=2
    )  # max_attempts was raised: still dialable
    tick(network)
    assert network.dialled == [retry.phone_number]


@pytest.mark.parametrize(
    "state",
    [ContactState.COMPLETED, ContactState.REFUSED, ContactState.EXCLUDED, ContactState.IN_PROGRESS],
)
def test_contacts_in_other_states_are_not_dialled(network, provider_config, open_campaign, state):
    ContactFactory(campaign=open_campaign, state=state, attempts_count=1)
    tick(network)
    assert network.dialled == []


def test_excluded_and_do_not_call_are_never_dialled(network, provider_config, open_campaign):
    ContactFactory(campaign=open_campaign, state=ContactState.EXCLUDED)
    ContactFactory(campaign=open_campaign, do_not_call=True)  # flagged, whatever its state
    # On the exclusion list, but the contact was not updated (an entry seconds old): the dial
    # time check catches it.
    listed = ContactFactory(campaign=open_campaign)
    ExclusionEntryFactory(phone_number=listed.phone_number)
    ok = ContactFactory(campaign=open_campaign)
    run = tick(network)
    assert network.dialled == [ok.phone_number]
    listed.refresh_from_db()
    assert listed.state == ContactState.EXCLUDED
    assert not listed.attempts.exists()
    assert run.details["excluded_at_dial_time"] == 1
    assert CallAttempt.objects.count() == 1


@pytest.mark.parametrize("status", ["draft", "scheduled", "paused", "completed", "cancelled"])
def test_only_running_campaigns_are_dialled(network, provider_config, status):
    ContactFactory(
        campaign=CampaignFactory(status=status, call_days=[1, 2, 3, 4, 5, 6, 7]),
    )
    tick(network)
    assert network.dialled == []


def test_a_scheduled_campaign_starts_when_due_and_is_dialled(network, provider_config):
    campaign = CampaignFactory(
        status="scheduled", starts_at=MONDAY_15_UTC - dt.timedelta(minutes=1)
    )
    contact = ContactFactory(campaign=campaign)
    tick(network)
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert network.dialled == [contact.phone_number]


# --- What a dial does ----------------------------------------------------------------------------


def test_a_dial_creates_the_attempt_and_sets_the_contact_in_progress(
    network, provider_config, open_campaign
):
    # The survey is written in Italian too, so the contact's preferred language is the call's.
    open_campaign.languages = ["en", "it"]
    open_campaign.texts = {lang: {"intro": INTROS[lang]} for lang in ("en", "it")}
    open_campaign.save()
    questions_save(open_campaign, three_questions(("en", "it")))
    contact = ContactFactory(campaign=open_campaign, preferred_language="it")
    run = tick(network)
    attempt = CallAttempt.objects.get()
    contact.refresh_from_db()
    assert (contact.state, contact.attempts_count, contact.last_attempt_at) == (
        ContactState.IN_PROGRESS,
        1,
        MONDAY_15_UTC,
    )
    assert (attempt.attempt_number, attempt.outcome, attempt.started_at) == (1, None, MONDAY_15_UTC)
    assert attempt.provider_call_id == "NET-1"
    # Handed to the provider by this tick, at its time (a tick as of a time does not wait).
    assert (attempt.scheduler_run_id, attempt.dialled_at) == (run.pk, MONDAY_15_UTC)
    [call] = network.calls
    assert call.call_id == str(attempt.pk)
    assert call.language == "it"
    # The tick's trace id, kept on the attempt, rides back in the webhook URLs.
    trace = attempt.trace_id
    assert len(trace) == 32
    assert call.trace_id == trace
    assert call.status_url.endswith(
        f"/webhooks/telephony/simulator/{attempt.pk}/status?trace={trace}"
    )
    assert call.dialogue_url.endswith(
        f"/webhooks/telephony/simulator/{attempt.pk}/dialogue?turn=0&trace={trace}"
    )
    assert (run.campaigns_seen, run.calls_placed, run.errors) == (1, 1, 0)
    assert run.finished_at >= run.started_at == MONDAY_15_UTC
    assert run.status == "finished"


def test_concurrency_counts_calls_in_flight_everywhere(network, provider_config, open_campaign):
    provider_config.max_concurrent_calls = 3
    provider_config.save()
    CallAttemptFactory(contact=ContactFactory(state=ContactState.IN_PROGRESS))  # another campaign
    for _ in range(5):
        ContactFactory(campaign=open_campaign)
    run = tick(network)
    assert len(network.dialled) == 2
    assert run.details["in_flight"] == 1
    assert run.details["budget"] == 2
    tick(network)
    assert len(network.dialled) == 2  # all three slots busy now


def test_a_ticks_statements_do_not_grow_with_campaigns_and_zones(network, provider_config):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    provider_config.max_concurrent_calls = 100
    provider_config.save()

    def campaign_calling(zones):
        campaign = CampaignFactory(
            status="running",
            call_window_start=dt.time(0, 0),
            call_window_end=dt.time(23, 59, 59),
            call_days=[1, 2, 3, 4, 5, 6, 7],
        )
        for zone in zones:
            ContactFactory(campaign=campaign, timezone=zone)
        return campaign

    one = campaign_calling(["Europe/Rome"])
    many = [campaign_calling(["Europe/Rome", "Europe/London", "America/New_York"]) for _ in "abc"]
    assert network.config  # loaded on first use, once
    with CaptureQueriesContext(connection) as small:
        assert tick(network, campaign_ids=[one.pk]).calls_placed == 1
    with CaptureQueriesContext(connection) as large:
        assert tick(network, campaign_ids=[c.pk for c in many]).calls_placed == 9
    # Zones found, contacts chosen and locked, attempts created: so many statements per tick.
    assert len(large) == len(small)


def test_the_provider_rate_caps_a_tick(network, provider_config, open_campaign, settings):
    settings.SCHEDULER_TICK_SECONDS = 60
    provider_config.calls_per_second = "0.05"  # three calls a minute
    provider_config.save()
    for _ in range(5):
        ContactFactory(campaign=open_campaign)
    assert tick(network).calls_placed == 3


def test_fair_share_across_running_campaigns(network, provider_config):
    provider_config.max_concurrent_calls = 6
    provider_config.save()
    big = [CampaignFactory(status="running", call_days=list(range(1, 8))) for _ in range(2)]
    small = CampaignFactory(status="running", call_days=list(range(1, 8)))
    for campaign in big:
        for _ in range(10):
            ContactFactory(campaign=campaign)
    ContactFactory(campaign=small)
    tick(network)
    # Six slots: the small campaign uses the one it can, the big ones share the other five.
    assert small.attempts.count() == 1
    assert sorted(c.attempts.count() for c in big) == [2, 3]


def test_a_rejected_number_fails_its_attempt_and_counts(provider_config, open_campaign):
    bad = ContactFactory(campaign=open_campaign, attempts_count=2)  # last attempt (max 3)
    good = ContactFactory(campaign=open_campaign)
    network = NetworkStandIn(reject={bad.phone_number})
    run = tick(network)
    assert network.dialled == [good.phone_number]
    assert (run.calls_placed, run.errors) == (1, 1)
    attempt = bad.attempts.get()
    assert (attempt.outcome, attempt.error_code, attempt.attempt_number) == (
        "failed",
        "unreachable",
        3,
    )
    bad.refresh_from_db()
    assert (bad.state, bad.attempts_count) == (ContactState.NOT_REACHED, 3)


def test_a_provider_outage_uses_no_attempt_and_backs_off(provider_config, open_campaign, settings):
    from calls.telephony.simulator import SimulatorProvider

    settings.PROVIDER_OUTAGE_BACKOFF_SECONDS = 300
    provider_config.sim_unavailable = True
    provider_config.save()
    contacts = [ContactFactory(campaign=open_campaign) for _ in range(3)]
    run = scheduler_tick(now=MONDAY_15_UTC, provider=SimulatorProvider())
    assert (run.calls_placed, run.errors) == (0, 1)
    assert "down" in run.details["outage"]
    for contact in contacts:
        contact.refresh_from_db()
        assert (contact.state, contact.attempts_count) == (ContactState.PENDING, 0)
    assert set(CallAttempt.objects.values_list("outcome", "error_code")) == {
        ("failed", "provider_unavailable")
    }
    provider_config.refresh_from_db()
    assert provider_config.dialling_paused_until == MONDAY_15_UTC + dt.timedelta(seconds=300)

    # The provider is back, but dialling waits for the back-off to pass.
    provider_config.sim_unavailable = False
    provider_config.save()
    network = NetworkStandIn()
    paused = tick(network, at=MONDAY_15_UTC + dt.timedelta(seconds=299))
    assert network.dialled == []
    assert "paused_until" in paused.details
    tick(network, at=MONDAY_15_UTC + dt.timedelta(seconds=300))
    assert sorted(network.dialled) == sorted(c.phone_number for c in contacts)
    # The attempt given back keeps its row: the next one is number 2, the first that counts.
    attempt = contacts[0].attempts.get(outcome__isnull=True)
    contacts[0].refresh_from_db()
    assert (attempt.attempt_number, contacts[0].attempts_count) == (2, 1)


def test_each_tick_records_one_scheduler_run(network, provider_config, open_campaign):
    ContactFactory(campaign=open_campaign)
    tick(network)
    tick(network)
    runs = list(SchedulerRun.objects.order_by("started_at", "id"))
    assert [(r.campaigns_seen, r.calls_placed, r.errors) for r in runs] == [(1, 1, 0), (1, 0, 0)]
    assert all(r.finished_at is not None for r in runs)


def test_a_campaign_with_nothing_left_completes(network, provider_config, open_campaign):
    ContactFactory(campaign=open_campaign, state=ContactState.COMPLETED, attempts_count=1)
    tick(network)
    open_campaign.refresh_from_db()
    assert open_campaign.status == CampaignStatus.COMPLETED


def test_a_campaign_whose_last_dial_is_rejected_completes_in_that_tick(
    provider_config, open_campaign
):
    # Nothing is left in flight when the network rejects the last attempt of the last contact.
    contact = ContactFactory(campaign=open_campaign, attempts_count=open_campaign.max_attempts - 1)
    run = tick(NetworkStandIn(reject=[contact.phone_number]))
    assert (run.calls_placed, run.errors) == (0, 1)
    contact.refresh_from_db()
    open_campaign.refresh_from_db()
    assert contact.state == ContactState.NOT_REACHED
    assert open_campaign.status == CampaignStatus.COMPLETED


def test_a_campaign_with_contacts_outside_calling_hours_does_not_complete(network, provider_config):
    campaign = CampaignFactory(status="running")
    ContactFactory(campaign=campaign, timezone="Europe/Rome")
    tick(network, at=MONDAY_22_UTC)  # Rome 23:00
    campaign.refresh_from_db()
    assert campaign.status == CampaignStatus.RUNNING
    assert network.dialled == []


def test_a_live_tick_reads_the_clock(network, provider_config, open_campaign):
    ContactFactory(campaign=open_campaign)
    before = timezone.now()
    run = scheduler_tick(provider=network)
    assert run.started_at >= before
    assert run.calls_placed == 1


def test_a_provider_not_available_dials_nobody_and_says_why(
    provider_config, open_campaign, settings
):
    provider_config.provider = "twilio"  # selected, but its credentials are missing
    provider_config.save()
    settings.TWILIO_ACCOUNT_SID = "AC" + "0" * 32
    settings.TWILIO_AUTH_TOKEN = ""
    settings.TWILIO_FROM_NUMBER = "+15005550006"
    settings.PUBLIC_BASE_URL = ""
    contact = ContactFactory(campaign=open_campaign)
    run = scheduler_tick(now=MONDAY_15_UTC)
    assert (run.calls_placed, run.errors) == (0, 1)
    assert run.details["provider"].startswith(
        "Twilio is selected but not configured: TWILIO_AUTH_TOKEN, PUBLIC_BASE_URL are not set."
    )
    assert not CallAttempt.objects.exists()
    contact.refresh_from_db()
    assert (contact.state, contact.attempts_count) == (ContactState.PENDING, 0)


def test_a_provider_fault_is_treated_as_an_outage(provider_config, open_campaign, caplog):
    class Broken(NetworkStandIn):
        def start_call(self, call):
            raise RuntimeError("socket closed while calling +393470000000")

    contact = ContactFactory(campaign=open_campaign)
    run = tick(Broken())
    assert (run.calls_placed, run.errors) == (0, 1)
    assert run.details["outage"].startswith("RuntimeError")
    contact.refresh_from_db()
    assert (contact.state, contact.attempts_count) == (ContactState.PENDING, 0)
    assert "failed to start a call: RuntimeError" in caplog.text
    assert "+39347" not in caplog.text  # the provider's message quoted a number: not logged


# --- Calls held and placed together ----------------------------------------------------------


class HoldingNetwork(NetworkStandIn):
    """A network that, like the simulator, holds the calls it accepts between `hold_calls` and
    `release_calls`, and places them at the release (or fails to, if told to)."""

    def __init__(self, reject=(), down_from_call=None, release_fails=False):
        super().__init__(reject)
        self.held, self.releases = None, []
        self.accepted = 0
        self.down_from_call = down_from_call
        self.release_fails = release_fails

    def hold_calls(self):
        if self.held is None:
            self.held = []

    def start_call(self, call):
        if call.to in self.reject:
            raise CallRejected("unreachable", code="unreachable")
        self.accepted += 1
        if self.down_from_call and self.accepted >= self.down_from_call:
            raise ProviderUnavailable("the network is down")
        if self.held is None:
            self.calls.append(call)
        else:
            self.held.append(call)
        return f"NET-{self.accepted}"

    def release_calls(self):
        held, self.held = self.held or [], None
        if self.release_fails and held:
            raise ConnectionError("the queue is down")
        self.calls += held
        self.releases.append(len(held))


def test_held_calls_are_placed_together_when_the_tick_has_dialled(provider_config, open_campaign):
    contacts = [ContactFactory(campaign=open_campaign) for _ in range(3)]
    network = HoldingNetwork()
    run = tick(network)
    assert network.releases == [3]
    assert sorted(network.dialled) == sorted(c.phone_number for c in contacts)
    assert run.calls_placed == 3
    assert set(CallAttempt.objects.values_list("outcome", flat=True)) == {None}
    assert sorted(CallAttempt.objects.values_list("provider_call_id", flat=True)) == [
        "NET-1",
        "NET-2",
        "NET-3",
    ]


def test_calls_that_fail_to_be_placed_use_no_attempt_and_back_off(
    provider_config, open_campaign, settings, caplog
):
    settings.PROVIDER_OUTAGE_BACKOFF_SECONDS = 300
    contacts = [ContactFactory(campaign=open_campaign) for _ in range(3)]
    run = tick(HoldingNetwork(release_fails=True))
    # Not silently lost: the attempts are closed as the provider's outage and given back.
    assert (run.calls_placed, run.errors) == (0, 1)
    assert run.details["outage"].startswith("ConnectionError")
    assert set(CallAttempt.objects.values_list("outcome", "error_code")) == {
        ("failed", "provider_unavailable")
    }
    for contact in contacts:
        contact.refresh_from_db()
        assert (contact.state, contact.attempts_count) == (ContactState.PENDING, 0)
    provider_config.refresh_from_db()
    assert provider_config.dialling_paused_until == MONDAY_15_UTC + dt.timedelta(seconds=300)
    assert "failed to start a call: ConnectionError" in caplog.text


def test_calls_accepted_before_an_outage_are_placed(provider_config, open_campaign):
    for _ in range(3):
        ContactFactory(campaign=open_campaign)
    network = HoldingNetwork(down_from_call=2)
    run = tick(network)
    assert network.releases == [1]
    assert len(network.dialled) == 1
    assert (run.calls_placed, run.errors) == (1, 1)
    assert sorted(CallAttempt.objects.values_list("error_code", flat=True)) == [
        "",
        "provider_unavailable",
        "provider_unavailable",
    ]


def test_a_live_tick_places_what_it_holds_before_each_wait(provider_config, open_campaign):
    provider_config.calls_per_second = 20  # a dial every 50 ms
    provider_config.save()
    for _ in range(3):
        ContactFactory(campaign=open_campaign)
    network = HoldingNetwork()
    run = scheduler_tick(provider=network)
    # Pacing holds back no call that was accepted: each is placed before the wait for the next.
    assert network.releases == [1, 1, 1]
    assert run.calls_placed == 3


def test_a_tick_that_fails_still_places_the_calls_held(provider_config, open_campaign, monkeypatch):
    from calls import scheduler

    for _ in range(3):
        ContactFactory(campaign=open_campaign)
    network = HoldingNetwork()
    build_call = scheduler._outgoing_call

    def database_goes_away(attempt, contact, provider):
        if network.accepted == 2:
            raise RuntimeError("the database went away")
        return build_call(attempt, contact, provider)

    monkeypatch.setattr(scheduler, "_outgoing_call", database_goes_away)
    with pytest.raises(RuntimeError):
        tick(network)
    # The calls accepted before the failure were placed (their attempts exist).
    assert len(network.calls) == 2
    assert network.held is None
    run = SchedulerRun.objects.get()
    assert (run.status, run.details["failed"]) == ("failed", "RuntimeError")


def test_attempts_are_inserted_as_bulk_create_would_insert_them(provider_config):
    from calls.scheduler import _attempts_insert

    contacts = [ContactFactory() for _ in range(4)]

    def attempt(contact, **fields):
        fields = {
            "attempt_number": 1,
            "provider": "simulator",
            "started_at": MONDAY_15_UTC,
            **fields,
        }
        return CallAttempt(contact=contact, campaign=contact.campaign, **fields)

    _attempts_insert([attempt(c) for c in contacts[:3]])  # PostgreSQL: INSERT … FROM unnest()
    CallAttempt.objects.bulk_create([attempt(contacts[3])])
    columns = [f.attname for f in CallAttempt._meta.concrete_fields if f.attname != "call_id"]
    rows = {c.pk: CallAttempt.objects.filter(contact=c).values(*columns).get() for c in contacts}
    for contact in contacts[:3]:
        assert rows[contact.pk] == {
            **rows[contacts[3].pk],
            "contact_id": contact.pk,
            "campaign_id": contact.campaign_id,
        }
    # Attempts that differ in another column too: each keeps its own value.
    _attempts_insert(
        [
            attempt(contacts[0], attempt_number=2, dialogue_step="q1"),
            attempt(contacts[1], attempt_number=2),
        ]
    )
    steps = CallAttempt.objects.filter(attempt_number=2).values_list("dialogue_step", flat=True)
    assert sorted(steps) == ["", "q1"]


# --- Live ticks: the shared pace, calling hours at dial time ---------------------------------


def test_live_ticks_one_after_another_keep_to_one_pace(provider_config):
    provider_config.calls_per_second = 10  # a dial every 100 ms, whichever tick makes it
    provider_config.save()
    first, second = (
        CampaignFactory(
            status="running",
            call_window_start=dt.time(0, 0),
            call_window_end=dt.time(23, 59, 59),
            call_days=ALL_DAYS,
        )
        for _ in "ab"
    )
    for campaign in (first, second):
        for _ in range(3):
            ContactFactory(campaign=campaign)
    runs = [scheduler_tick(provider=NetworkStandIn(), campaign_ids=[c.pk]) for c in (first, second)]
    assert [r.calls_placed for r in runs] == [3, 3]
    dials = list(
        CallAttempt.objects.order_by("dialled_at").values_list("dialled_at", "scheduler_run")
    )
    # The second tick's first dial waited for the first tick's last slot to be 100 ms old.
    assert [run for _, run in dials] == [runs[0].pk] * 3 + [runs[1].pk] * 3
    gaps = [later - earlier for (earlier, _), (later, _) in itertools.pairwise(dials)]
    assert min(gaps) >= dt.timedelta(milliseconds=100)
    assert {r.status for r in runs} == {"finished"}


def test_calling_hours_are_checked_again_at_each_dial(provider_config):
    """A live tick whose pacing crosses the end of the contacts' window gives the contacts it
    had no time for back, undialled and with no attempt used."""
    provider_config.calls_per_second = 1
    provider_config.save()
    zone = next(  # a zone where the window below does not cross midnight
        z
        for z in ("Europe/Rome", "America/New_York", "Asia/Tokyo")
        if 1 <= timezone.now().astimezone(zoneinfo.ZoneInfo(z)).hour <= 22
    )
    local_now = timezone.now().astimezone(zoneinfo.ZoneInfo(zone))
    closes = local_now + dt.timedelta(seconds=2.5)
    campaign = CampaignFactory(
        status="running",
        timezone=zone,
        call_window_start=dt.time(0, 0),
        call_window_end=closes.time(),
        call_days=ALL_DAYS,
    )
    contacts = [ContactFactory(campaign=campaign, timezone=zone) for _ in range(6)]
    network = NetworkStandIn()
    run = scheduler_tick(provider=network)
    # All claimed while the window was open; dialled one a second until it closed.
    assert CallAttempt.objects.count() == 6
    dialled = CallAttempt.objects.filter(dialled_at__isnull=False)
    assert 1 <= dialled.count() == len(network.calls) == run.calls_placed < 6
    assert max(dialled.values_list("dialled_at", flat=True)) < closes
    given_back = CallAttempt.objects.filter(dialled_at__isnull=True)
    assert given_back.count() == 6 - run.calls_placed == run.details["calling_hours_ended"]
    assert set(given_back.values_list("outcome", "error_code")) == {
        ("failed", "calling_hours_ended")
    }
    for contact in contacts:
        contact.refresh_from_db()
    assert sorted((c.state, c.attempts_count) for c in contacts) == sorted(
        [(ContactState.IN_PROGRESS, 1)] * run.calls_placed
        + [(ContactState.PENDING, 0)] * (6 - run.calls_placed)
    )


def test_an_attempt_given_back_meanwhile_is_not_dialled(provider_config, open_campaign):
    """Reconciliation took the tick for dead (stalled past its heartbeat) and gave back what it
    had not dialled: the tick, going on, skips those attempts instead of dialling them."""
    from calls.scheduler_runs import STALE_AFTER, scheduler_runs_reconcile

    provider_config.calls_per_second = 20
    provider_config.save()
    for _ in range(3):
        ContactFactory(campaign=open_campaign)

    class StallingNetwork(NetworkStandIn):
        def start_call(self, call):
            if not self.calls:  # the tick stalls during its first dial
                SchedulerRun.objects.update(status="died")
                later = timezone.now() + STALE_AFTER
                assert scheduler_runs_reconcile(now=later) == 2
            return super().start_call(call)

    network = StallingNetwork()
    run = scheduler_tick(provider=network)
    assert len(network.calls) == run.calls_placed == 1
    assert run.details["given_back_before_dial"] == 2
    assert sorted(CallAttempt.objects.values_list("error_code", flat=True)) == [
        "",
        "never_dialled",
        "never_dialled",
    ]

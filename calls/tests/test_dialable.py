"""One rule, many spellings: a dialable contact (campaigns/contact_states.py) is read by the ORM
(`Contact.objects.dialable()`, `dialable_q`), the partial index's predicate, the scheduler's raw
SQL (calls/candidates.py) and the dashboard's dial queue. Each is run here on the same rows —
every state, with and without do-not-call, below and at the attempts limit, due and not — and
must agree with the ORM."""

import datetime as dt
import itertools
import zoneinfo

import pytest
from django.db import connection

from calls.candidates import _candidates, _lock, dialable_zones
from campaigns.contact_states import DIALABLE_INDEX_CONDITION, DIALABLE_SQL, ContactState
from campaigns.services import campaign_has_dialable_contact
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact
from contacts.tests.factories import ContactFactory
from dashboard.selectors import dial_queue_due

pytestmark = pytest.mark.django_db

NOON = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
# Real zones, one per contact, so that the zone-walking SQL can be compared contact by contact;
# every one is open at noon UTC under a window that spans the whole day, every day.
ZONES = sorted(z for z in zoneinfo.available_timezones() if "/" in z and "Etc" not in z)


@pytest.fixture
def rows():
    campaign = CampaignFactory(
        status="running",
        max_attempts=3,
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=[1, 2, 3, 4, 5, 6, 7],
    )
    combos = itertools.product(
        ContactState.values,
        (False, True),  # do_not_call
        (0, 2, 3),  # attempts: none, some, the limit
        (None, NOON - dt.timedelta(hours=1), NOON + dt.timedelta(hours=1)),  # next attempt
    )
    for n, (state, do_not_call, attempts, next_at) in enumerate(combos):
        ContactFactory(
            campaign=campaign,
            state=state,
            do_not_call=do_not_call,
            attempts_count=attempts,
            next_attempt_at=next_at,
            timezone=ZONES[n],
        )
    return campaign


def ids(queryset):
    return set(queryset.values_list("pk", flat=True))


def test_the_orm_rule_is_the_index_predicate_plus_the_attempts_limit(rows):
    dialable = ids(Contact.objects.dialable())
    by_hand = {
        c.pk
        for c in Contact.objects.all()
        if c.state in ("pending", "not_reached") and not c.do_not_call and c.attempts_count < 3
    }
    assert dialable == by_hand
    assert len(dialable) == 2 * 2 * 3  # two states, two attempt counts below 3, three times
    at_the_limit = {
        c.pk
        for c in Contact.objects.filter(attempts_count=3, do_not_call=False)
        if c.state in ("pending", "not_reached")
    }
    assert ids(Contact.objects.filter(DIALABLE_INDEX_CONDITION)) == by_hand | at_the_limit


def test_the_raw_sql_predicate_selects_the_index_rows(rows):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM contacts_contact WHERE {DIALABLE_SQL}")
        raw = {Contact._meta.pk.to_python(row[0]) for row in cursor.fetchall()}
    assert raw == ids(Contact.objects.filter(DIALABLE_INDEX_CONDITION))


def test_the_zone_walk_finds_the_zones_of_the_index_rows(rows):
    expected = set(
        Contact.objects.filter(DIALABLE_INDEX_CONDITION).values_list("timezone", flat=True)
    )
    assert set(dialable_zones(rows)) == expected


@pytest.mark.parametrize("due", [False, True])
def test_the_candidate_ranges_pick_the_dialable_contacts(rows, due):
    zones = {rows.pk: dialable_zones(rows)}
    found = _candidates({rows.pk: 1000}, {rows.pk: rows}, zones, NOON, set(), due=due)
    when = {"next_attempt_at__lte": NOON} if due else {"next_attempt_at__isnull": True}
    assert set(found[rows.pk]) == ids(Contact.objects.dialable().filter(**when))


def test_the_lock_keeps_the_index_rows(rows):
    every = list(Contact.objects.values_list("pk", flat=True))
    assert {c.pk for c in _lock(every)} == ids(Contact.objects.filter(DIALABLE_INDEX_CONDITION))


def test_the_dial_queue_counts_the_dialable_contacts_due(rows):
    due, _since = dial_queue_due(now=NOON)
    expected = Contact.objects.dialable().exclude(next_attempt_at__gt=NOON)
    assert due == expected.count()
    assert due == 2 * 2 * 2  # two states, two attempt counts, due or never tried


def test_activation_sees_a_dialable_contact_by_the_same_rule(rows):
    assert campaign_has_dialable_contact(rows)
    Contact.objects.dialable().update(state=ContactState.EXCLUDED)
    assert not campaign_has_dialable_contact(rows)

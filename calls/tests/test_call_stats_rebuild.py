"""`call_stats_rebuild` and `manage.py rebuild_call_stats`: the buckets recomputed from the
attempts are the buckets the closes kept, one campaign or all; and closes racing a rebuild
on PostgreSQL are each counted once."""

import datetime as dt
import io
import threading

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from calls.models import CallAttempt, CallOutcome, CallStatsBucket, Provider
from calls.outcomes import call_attempt_close
from calls.stats_buckets import call_stats_rebuild
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

UTC = dt.UTC
START = dt.datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def snapshot(campaign=None) -> list[tuple]:
    buckets = CallStatsBucket.objects.order_by("campaign", "provider", "bucket_start", "outcome")
    if campaign is not None:
        buckets = buckets.filter(campaign=campaign)
    # Every column but the id (a rebuild writes new rows).
    return list(buckets.values_list(*(f.name for f in CallStatsBucket._meta.fields[1:])))


def in_flight(campaign, started, provider=Provider.SIMULATOR):
    contact = ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS, attempts_count=1)
    return CallAttemptFactory(
        contact=contact, campaign=campaign, started_at=started, provider=provider
    )


OUTCOMES = list(CallOutcome)


def closes(campaign, count: int, *, offset: int = 0) -> None:
    """A mix of closes: every outcome, both providers, talk times from none to minutes (some
    zero, some answered then failed), across a day of quarter hours; a few left in flight."""
    for i in range(offset, offset + count):
        started = START + dt.timedelta(minutes=7 * i, microseconds=i)
        attempt = in_flight(campaign, started, Provider.TWILIO if i % 3 == 0 else "simulator")
        if i % 11 == 0:
            continue  # in flight
        outcome = OUTCOMES[i % len(OUTCOMES)]
        ended = started + dt.timedelta(seconds=5 + (i * 37) % 300)
        if i % 2 == 0:
            talk = dt.timedelta(seconds=(i * 13) % 200) if i % 4 else dt.timedelta(0)
            CallAttempt.objects.filter(pk=attempt.pk).update(answered_at=ended - talk)
        assert call_attempt_close(attempt=attempt, outcome=outcome, ended_at=ended)


@pytest.mark.django_db
def test_the_rebuild_recomputes_what_the_closes_kept():
    campaign = CampaignFactory(status="running")
    closes(campaign, 120)
    kept = snapshot()
    assert len(kept) > 50  # many buckets, some with several attempts
    assert sum(b.attempts for b in CallStatsBucket.objects.all()) == 120 - 11

    assert call_stats_rebuild() == len(kept)
    assert snapshot() == kept
    assert call_stats_rebuild() == len(kept)  # again: the same, not twice as much
    assert snapshot() == kept


@pytest.mark.django_db
def test_a_campaign_rebuild_leaves_the_others_alone():
    campaign, other = CampaignFactory(status="running"), CampaignFactory(status="running")
    closes(campaign, 30)
    closes(other, 30)
    mine, theirs = snapshot(campaign), snapshot(other)
    CallStatsBucket.objects.filter(campaign=other).update(attempts=999)  # to see it untouched
    CallStatsBucket.objects.filter(campaign=campaign).delete()

    call_stats_rebuild(campaign=campaign)

    assert snapshot(campaign) == mine
    assert {b.attempts for b in CallStatsBucket.objects.filter(campaign=other)} == {999}
    call_stats_rebuild(campaign=other)
    assert snapshot(other) == theirs


@pytest.mark.django_db
def test_a_rebuild_after_deleting_attempts_forgets_them():
    """What a contact's erasure must do: its attempts go, and so must their share of the
    buckets."""
    campaign = CampaignFactory(status="running")
    attempt = in_flight(campaign, START)
    call_attempt_close(attempt=attempt, outcome=CallOutcome.BUSY, ended_at=START)
    closes(campaign, 10, offset=1)
    before = sum(b.attempts for b in CallStatsBucket.objects.all())

    attempt.contact.delete()
    assert sum(b.attempts for b in CallStatsBucket.objects.all()) == before  # stale

    call_stats_rebuild(campaign=campaign)
    assert sum(b.attempts for b in CallStatsBucket.objects.all()) == before - 1


@pytest.mark.django_db
def test_the_command_rebuilds_one_campaign_or_all():
    campaign, other = CampaignFactory(status="running"), CampaignFactory(status="running")
    closes(campaign, 12)
    closes(other, 12)
    kept = snapshot()
    CallStatsBucket.objects.all().delete()

    out = io.StringIO()
    call_command("rebuild_call_stats", str(campaign.pk), stdout=out)
    assert snapshot() == snapshot(campaign) != []
    assert f"results buckets rebuilt for campaign {campaign.pk}" in out.getvalue()

    out = io.StringIO()
    call_command("rebuild_call_stats", stdout=out)
    assert snapshot() == kept
    assert out.getvalue().startswith(f"{len(kept)} stats buckets and ")
    assert "results buckets rebuilt for all campaigns" in out.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize("key", ["not-a-uuid", "7d4c2c5e-4a59-4f4e-9a43-4d0c4c1d9a10"])
def test_the_command_refuses_an_unknown_campaign(key):
    with pytest.raises(CommandError, match="No campaign with the id"):
        call_command("rebuild_call_stats", key)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_closes_racing_each_other_and_a_rebuild_are_each_counted_once():
    """Four threads, each with its own connection, close calls that all land in the same few
    buckets while a fifth rebuilds them: the upserts and the rebuild's table lock do the work."""
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: SQLite lets one writer in at a time")
    campaign = CampaignFactory(status="running")
    attempts = [in_flight(campaign, START + dt.timedelta(seconds=i)) for i in range(400)]
    errors = []

    def run(work):
        try:
            work()
        except Exception as exc:  # reported below: an assert in a thread would be lost
            errors.append(exc)
        finally:
            connection.close()

    def close_share(share):
        for attempt in share:
            call_attempt_close(
                attempt=attempt,
                outcome=CallOutcome.BUSY if attempt.started_at.second % 2 else CallOutcome.FAILED,
                ended_at=attempt.started_at + dt.timedelta(seconds=3),
            )

    def rebuild_again_and_again():
        for _ in range(5):
            call_stats_rebuild(campaign=campaign)

    threads = [
        threading.Thread(target=run, args=(lambda share=attempts[i::4]: close_share(share),))
        for i in range(4)
    ] + [threading.Thread(target=run, args=(rebuild_again_and_again,))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []

    kept = snapshot()
    assert sum(row.attempts for row in CallStatsBucket.objects.all()) == 400
    call_stats_rebuild()
    assert snapshot() == kept

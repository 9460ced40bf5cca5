"""The results rollup kept by the survey's save (calls/results_buckets.py): exactly what a
rebuild from the answers counts, through a whole simulated campaign, a survey completed again,
and an erasure; and the results read from it agree with the results read from the answers."""

import datetime as dt

import pytest

from calls.dialogue import Answer as DialogueAnswer
from calls.erasure import contact_forget
from calls.models import CallOutcome, ResultsAttributeBucket, ResultsBucket
from calls.outcomes import call_attempt_close
from calls.results_buckets import results_buckets_rebuild
from calls.simulation import campaign_simulate
from calls.tests.factories import CallAttemptFactory
from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from dashboard.results import ResultsFilters, campaign_results

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
REGIONS = ("north", "south", "east")


def rollup(campaign) -> tuple[set, set]:
    """Both rollups of a campaign as sets of (key…, count), the rows counting nothing left out
    (a survey taken away leaves its rows at 0)."""
    hours = {
        (r.hour, r.language, r.attempt_number, r.position, r.status, r.value, r.count)
        for r in ResultsBucket.objects.filter(campaign=campaign, count__gt=0)
    }
    attributes = {
        (r.name, r.attribute_value, r.position, r.status, r.value, r.count)
        for r in ResultsAttributeBucket.objects.filter(campaign=campaign, count__gt=0)
    }
    return hours, attributes


def assert_rollup_matches_a_rebuild(campaign) -> tuple[set, set]:
    kept = rollup(campaign)
    results_buckets_rebuild(campaign=campaign)
    assert rollup(campaign) == kept
    return kept


@pytest.fixture
def simulated(provider_config):
    provider_config.max_concurrent_calls = 30
    provider_config.save()
    campaign = CampaignFactory(
        status=CampaignStatus.RUNNING,
        language="en",
        languages=["en", "it"],
        texts=TEXTS,
        questions=seven_questions(),
        max_attempts=3,
        retry_interval_minutes=60,
        call_days=[0, 1, 2, 3, 4, 5, 6],
    )
    for i in range(90):
        ContactFactory(
            campaign=campaign,
            preferred_language=("en", "it", "auto")[i % 3],
            attributes={"region": REGIONS[i % 3], "tier": "gold"} if i % 5 else {},
        )
    campaign_simulate(campaign=campaign)
    return campaign


@pytest.mark.slow
def test_a_simulated_campaign_keeps_the_rollup_a_rebuild_would_count(simulated):
    hours, attributes = assert_rollup_matches_a_rebuild(simulated)
    surveys = simulated.survey_responses.count()
    assert surveys > 20
    assert sum(n for *_, position, _s, _v, n in hours if position == 0) == surveys
    assert {name for name, *_ in attributes} == {"region", "tier"}

    for filters, by in [
        (ResultsFilters(), None),
        (ResultsFilters(language="it"), None),
        (ResultsFilters(attempt=1), None),
        (ResultsFilters(attributes={"region": "south"}), None),
        (ResultsFilters(), "region"),
    ]:
        from_rollup = campaign_results(campaign=simulated, filters=filters, by=by, now=NOW)
        from_answers = campaign_results(
            campaign=simulated, filters=filters, by=by, now=NOW, rollup=False
        )
        assert from_rollup == from_answers, (filters, by)
        assert from_rollup["responses"] > 0


def answer(position: int, value: str, question_type: str, status: str = "answered"):
    return DialogueAnswer(
        key=f"q{position}",
        position=position,
        status=status,
        value=value,
        raw=value,
        mode="speech",
        confidence=0.9,
        asked=1,
        question_type=question_type,
    )


def complete(contact, attempt_number: int, answers, *, at: dt.datetime, language: str = "en"):
    contact.__class__.objects.filter(pk=contact.pk).update(
        state=ContactState.IN_PROGRESS, attempts_count=attempt_number
    )
    attempt = CallAttemptFactory(
        contact=contact, campaign=contact.campaign, attempt_number=attempt_number, started_at=at
    )
    assert call_attempt_close(
        attempt=attempt,
        outcome=CallOutcome.COMPLETED,
        ended_at=at + dt.timedelta(minutes=3),
        answers=answers,
        language=language,
    )


def test_a_survey_completed_again_replaces_its_counts(provider_config):
    campaign = CampaignFactory(status="running", questions=seven_questions(), max_attempts=3)
    contact = ContactFactory(campaign=campaign, attributes={"region": "north"})
    first = dt.datetime(2026, 11, 2, 10, 20, tzinfo=dt.UTC)
    complete(contact, 1, [answer(1, "yes", "yes_no"), answer(6, "slow", "free_text")], at=first)
    second = dt.datetime(2026, 11, 3, 15, 5, tzinfo=dt.UTC)
    complete(contact, 2, [answer(1, "no", "yes_no")], at=second, language="it")

    hours, attributes = assert_rollup_matches_a_rebuild(campaign)
    hour = dt.datetime(2026, 11, 3, 15, tzinfo=dt.UTC)
    assert hours == {(hour, "it", 2, 0, "", "", 1), (hour, "it", 2, 1, "answered", "no", 1)}
    assert attributes == {
        ("region", "north", 0, "", "", 1),
        ("region", "north", 1, "answered", "no", 1),
    }


def test_an_erased_number_leaves_the_rollup(provider_config):
    campaign = CampaignFactory(status="running", questions=seven_questions(), max_attempts=3)
    kept, erased = (
        ContactFactory(campaign=campaign, attributes={"region": "north"}, phone_number=number)
        for number in ("+393471000001", "+393471000002")
    )
    at = dt.datetime(2026, 11, 2, 10, 20, tzinfo=dt.UTC)
    complete(kept, 1, [answer(1, "yes", "yes_no"), answer(2, "9", "scale")], at=at)
    complete(erased, 1, [answer(1, "no", "yes_no"), answer(6, "words", "free_text")], at=at)

    contact_forget(phone_number=erased.phone_number, actor=None)

    hours, attributes = assert_rollup_matches_a_rebuild(campaign)
    assert {(position, value, n) for *_, position, _s, value, n in hours} == {
        (0, "", 1),
        (1, "yes", 1),
        (2, "9", 1),
    }
    results = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region", now=NOW)
    assert results["responses"] == 1
    assert results["questions"][0]["breakdown"][0]["yes"]["count"] == 1


def test_rebuilding_every_campaign_at_once_counts_what_their_saves_kept(provider_config):
    at = dt.datetime(2026, 11, 2, 10, 20, tzinfo=dt.UTC)
    campaigns = [
        CampaignFactory(status="running", questions=seven_questions(), max_attempts=3)
        for _ in range(2)
    ]
    for n, campaign in enumerate(campaigns):
        for i in range(3):
            contact = ContactFactory(
                campaign=campaign,
                attributes={"region": REGIONS[i]} if n == 0 else {"tier": "gold"},
            )
            value = ("yes", "no")[i % 2]
            complete(contact, 1 + i % 2, [answer(1, value, "yes_no")], at=at)
    kept = [rollup(campaign) for campaign in campaigns]

    assert results_buckets_rebuild() > 0

    assert [rollup(campaign) for campaign in campaigns] == kept
    assert {name for name, *_ in kept[0][1]} == {"region"}
    assert {name for name, *_ in kept[1][1]} == {"tier"}

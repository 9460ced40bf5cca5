import datetime as dt
from collections import Counter
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.db.models import Count, Max, Min, Q
from django.test import RequestFactory
from django.utils import timezone

from calls.models import (
    CallAttempt,
    EmailNotification,
    ProviderConfig,
    SurveyEvent,
    SurveyResponse,
)
from campaigns.models import Campaign, CampaignStatus
from contacts.models import Contact, ContactState, ExclusionEntry
from contacts.phones import phone_time_zone
from dashboard.results import ResultsFilters, campaign_results
from dashboard.selectors import system_campaigns
from demo.builders import DEMO_COST_PER_MINUTE, demo_data_reset, demo_seed
from integrations.models import WebhookSubscription
from voicesurvey.models import User

pytestmark = pytest.mark.django_db(transaction=False)


@pytest.fixture
def seeded():
    return demo_seed(contacts=900, campaigns=7, seed=3)


def test_counts_and_variety(seeded):
    assert Campaign.objects.count() == 7
    assert Contact.objects.count() == 900
    assert set(Campaign.objects.values_list("status", flat=True)) == set(CampaignStatus.values)
    assert set(Campaign.objects.values_list("language", flat=True)) == {"en", "it"}
    assert set(Contact.objects.values_list("state", flat=True)) == set(ContactState.values)
    assert Contact.objects.values("timezone").distinct().count() >= 5
    attempts = CallAttempt.objects.count()
    assert attempts == seeded.attempts
    assert 2.2 <= attempts / 900 <= 3.6
    assert set(CallAttempt.objects.values_list("outcome", flat=True)) == {
        None,
        "completed",
        "refused",
        "no_answer",
        "busy",
        "failed",
    }
    assert ExclusionEntry.objects.count() == seeded.exclusions > 20


def test_each_contact_agrees_with_its_attempts(seeded):
    contacts = Contact.objects.annotate(
        n=Count("attempts"),
        top=Max("attempts__attempt_number"),
        low=Min("attempts__attempt_number"),
        in_flight=Count("attempts", filter=Q(attempts__outcome__isnull=True)),
        successes=Count("attempts", filter=Q(attempts__outcome__in=["completed", "refused"])),
    ).select_related("campaign")
    for c in contacts:
        assert c.attempts_count == c.n
        if c.n:
            assert (c.low, c.top) == (1, c.n)
        if c.state == ContactState.EXCLUDED or c.campaign.status in ("draft", "scheduled"):
            assert c.n == 0
        if c.state == ContactState.IN_PROGRESS:
            assert c.in_flight == 1
            assert c.successes == 0
        else:
            assert c.in_flight == 0
        if c.state in (ContactState.COMPLETED, ContactState.REFUSED):
            last = c.attempts.get(attempt_number=c.n)
            assert last.outcome == c.state
            assert c.successes == 1
            assert c.last_outcome == c.state
        if c.state == ContactState.NOT_REACHED:
            assert c.n == c.campaign.max_attempts
            assert c.successes == 0
        if c.state == ContactState.PENDING:
            assert c.successes == 0
            assert c.n < c.campaign.max_attempts
            assert (c.next_attempt_at is None) == (c.n == 0)


def test_responses_events_and_emails_match_outcomes(seeded):
    completed = Contact.objects.filter(state=ContactState.COMPLETED)
    assert SurveyResponse.objects.count() == completed.count()
    assert not completed.filter(survey_response__isnull=True).exists()
    skipped = 0
    for response in SurveyResponse.objects.select_related("contact", "campaign").prefetch_related(
        "answers"
    )[:300]:
        # In the contact's language when the survey has it (every demo survey is in both).
        preferred = response.contact.preferred_language
        expected = preferred if preferred in ("en", "it") else response.campaign.language
        assert response.language == expected
        answers = {answer.key: answer for answer in response.answers.all()}
        assert response.answer_values == {
            key: a.value for key, a in answers.items() if a.status == "answered"
        }
        # The skip rule: "no" to q1 jumps over q2–q4.
        if answers["q1"].value == "no":
            skipped += 1
            assert set(answers) == {"q1", "q5", "q6", "q7"}
        else:
            assert set(answers) == {f"q{n}" for n in range(1, 8)}
        for answer in answers.values():
            if answer.status == "unanswered":
                assert (answer.value, answer.asked) == ("", 2)
                continue
            assert answer.confidence is not None
            assert 0 <= answer.confidence <= 1
            if answer.key in ("q2", "q3", "q7"):
                low, high = {"q2": (0, 10), "q3": (0, 20), "q7": (1, 5)}[answer.key]
                assert low <= int(answer.value) <= high
            if answer.key == "q4":
                assert answer.value in ("phone", "email", "app", "letter")
    assert skipped > 0
    # Every contact has a region and a customer tier, as a real study's file would.
    tiers = Counter(Contact.objects.values_list("attributes__tier", flat=True))
    assert set(tiers) == {"bronze", "silver", "gold", "platinum"}
    assert not Contact.objects.filter(attributes__region__isnull=True).exists()
    events = Counter(SurveyEvent.objects.values_list("type", flat=True))
    final = Counter(Contact.objects.filter(attempts_count__gt=0).values_list("state", flat=True))
    assert events == {
        "survey.completed": final["completed"],
        "survey.refused": final["refused"],
        "survey.not_reached": final["not_reached"],
    }
    assert not SurveyEvent.objects.filter(processed_at__isnull=True).exists()
    assert not EmailNotification.objects.filter(to_email="").exists()
    assert EmailNotification.objects.count() == seeded.emails > 0


def test_excluded_contacts_are_flagged_or_listed_and_nothing_else_is(seeded):
    listed = set(ExclusionEntry.objects.values_list("phone_number", flat=True))
    for c in Contact.objects.all():
        blocked = c.do_not_call or c.phone_number in listed
        assert blocked == (c.state == ContactState.EXCLUDED)


def test_times_lie_in_the_last_month_and_durations_make_sense(seeded):
    now = timezone.now()
    bounds = CallAttempt.objects.aggregate(first=Min("started_at"), last=Max("started_at"))
    assert bounds["first"] >= now - dt.timedelta(days=31)
    assert bounds["last"] <= now
    for a in CallAttempt.objects.exclude(outcome=None)[:500]:
        assert a.ended_at >= a.started_at
        if a.answered_at:
            assert a.started_at <= a.answered_at <= a.ended_at
        if a.outcome in ("completed", "refused"):
            assert a.answered_at is not None


def test_contact_time_zones_are_what_an_import_would_give(seeded):
    for c in Contact.objects.select_related("campaign")[:300]:
        assert c.timezone == phone_time_zone(c.phone_number, default=c.campaign.timezone)


def test_same_seed_same_data_whatever_the_hour():
    def snapshot():
        rows = Contact.objects.order_by("campaign__name", "external_contact_id").values_list(
            "campaign__name",
            "phone_number",
            "state",
            "attempts_count",
            "survey_response__answer_values__q3",
        )
        return list(rows)

    demo_seed(contacts=300, campaigns=7, seed=11, now=timezone.now())
    first = snapshot()
    from demo.builders import demo_data_reset

    demo_data_reset()
    demo_seed(contacts=300, campaigns=7, seed=11, now=timezone.now() + dt.timedelta(hours=7))
    assert snapshot() == first
    demo_data_reset()
    demo_seed(contacts=300, campaigns=7, seed=12)
    assert snapshot() != first


def test_command_if_empty_reset_and_refusal(settings, capsys):
    settings.DEBUG = False
    call_command("seed_demo", contacts=50, campaigns=3, verbosity=0)
    assert Contact.objects.count() == 50
    assert not User.objects.exists()
    call_command("seed_demo", contacts=80, if_empty=True, verbosity=0)
    assert Contact.objects.count() == 50
    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", contacts=80, verbosity=0)
    # A webhook subscription naming a campaign goes with it, its deliveries too.
    WebhookSubscription.objects.create(
        url="https://crm.example.org/hooks", campaign=Campaign.objects.first(), secret="whsec_x"
    )
    call_command("seed_demo", contacts=80, campaigns=2, reset=True, verbosity=1)
    assert not WebhookSubscription.objects.exists()
    assert Contact.objects.count() == 80
    assert Campaign.objects.count() == 2
    assert "Seeded 2 campaigns, 80 contacts" in capsys.readouterr().out


def test_demo_logins_only_with_debug(settings, client):
    settings.DEBUG = True
    call_command("seed_demo", contacts=10, campaigns=1, verbosity=0)
    assert set(User.objects.values_list("username", "role")) == {
        ("admin", "admin"),
        ("manager", "campaign_manager"),
        ("viewer", "viewer"),
    }
    # With a request, as django-axes (login throttling) needs one to count failures.
    login = RequestFactory().post("/accounts/login/")
    assert client.login(request=login, username="manager", password="manager")


@pytest.mark.parametrize(("contacts", "campaigns"), [(-1, 3), (10, 0), (10, 64)])
def test_command_rejects_bad_arguments(contacts, campaigns):
    with pytest.raises(CommandError):
        call_command("seed_demo", contacts=contacts, campaigns=campaigns, verbosity=0)


def test_the_draft_to_activate_dials_at_any_hour_of_any_day(seeded):
    draft = Campaign.objects.get(status=CampaignStatus.DRAFT)
    assert (draft.call_window_start, draft.call_window_end) == (dt.time(0), dt.time(23, 59, 59))
    assert draft.call_days == [1, 2, 3, 4, 5, 6, 7]
    assert Contact.objects.filter(campaign=draft, state=ContactState.PENDING).exists()


def test_a_new_provider_configuration_gets_a_price_and_an_existing_one_is_kept():
    demo_seed(contacts=50, campaigns=2, seed=1)
    assert ProviderConfig.objects.get().cost_per_minute == DEMO_COST_PER_MINUTE
    assert system_campaigns()["total_budget_spent"] > 0  # the dashboard's budget reads money

    ProviderConfig.objects.update(cost_per_minute=Decimal("0.0250"))
    demo_data_reset()
    demo_seed(contacts=50, campaigns=2, seed=1)
    assert ProviderConfig.objects.get().cost_per_minute == Decimal("0.0250")


def test_the_results_rollup_is_counted_for_every_campaign_with_surveys(seeded):
    """Surveys written in bulk, their rollup counted once: the results pages read it, with the
    figures the answers give."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    campaigns = Campaign.objects.filter(survey_responses__isnull=False).distinct()
    assert campaigns.count() >= 3
    for campaign in campaigns:
        for by in (None, "region"):
            from_rollup = campaign_results(
                campaign=campaign, filters=ResultsFilters(), by=by, now=now
            )
            assert from_rollup["responses"] == campaign.survey_responses.count()
            assert from_rollup == campaign_results(
                campaign=campaign, filters=ResultsFilters(), by=by, now=now, rollup=False
            )

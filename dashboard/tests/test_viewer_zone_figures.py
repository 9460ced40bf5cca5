"""The figures a campaign page shows by hour and by day, and its results' date filters, follow
the viewer's own zone when they chose one (voicesurvey/zones.py); the API keeps the campaign's.
Each zone's figures are cached apart."""

from __future__ import annotations

import dataclasses
import datetime as dt
import zoneinfo

import pytest

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory, SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory
from dashboard.cache import campaign_results_cached, campaign_stats_cached
from dashboard.results import ResultsFilters, campaign_results
from dashboard.selectors import campaign_stats
from dashboard.tests.test_campaign_stats import attempt, counts, iso, utc
from voicesurvey.models import User

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")
NOV_5_TO_6 = ResultsFilters(date_from=dt.date(2026, 11, 5), date_to=dt.date(2026, 11, 6))


@pytest.fixture
def campaign():
    """Three surveys completed in Rome: at 00:30 on 5 November (23:30 on the 4th in UTC), at
    noon that day, and on the 4th."""
    campaign = CampaignFactory(
        questions=seven_questions(), languages=["en"], texts=TEXTS, timezone="Europe/Rome"
    )
    for completed in ((11, 5, 0, 30), (11, 5, 12, 0), (11, 4, 12, 0)):
        contact = ContactFactory(campaign=campaign, state="completed")
        call = CallAttemptFactory(contact=contact, outcome=CallOutcome.COMPLETED)
        SurveyResponseFactory(
            contact=contact,
            call_attempt=call,
            language="en",
            answer_values={"q1": "yes", "q2": "9"},
            completed_at=dt.datetime(2026, *completed, tzinfo=ROME),
        )
    return campaign


def test_the_hourly_series_in_another_zone_starts_on_its_hours():
    campaign = CampaignFactory(timezone="Europe/London")
    contact = ContactFactory(campaign=campaign)
    attempt(campaign, contact, utc(2026, 6, 1, 4, 29, 59), CallOutcome.NO_ANSWER)
    attempt(campaign, contact, utc(2026, 6, 1, 4, 30), CallOutcome.COMPLETED, number=2)
    now = utc(2026, 6, 1, 4, 45)

    own = campaign_stats(campaign=campaign, now=now, time_series_hours=1, time_series_days=1)
    kolkata = campaign_stats(
        campaign=campaign, now=now, time_series_hours=2, time_series_days=1, zone="Asia/Kolkata"
    )

    assert iso(own["time_series_hourly"]) == ["2026-06-01T05:00:00+01:00"]  # London's hour
    assert [counts(p)["attempts"] for p in own["time_series_hourly"]] == [2]
    assert iso(kolkata["time_series_hourly"]) == [
        "2026-06-01T09:00:00+05:30",
        "2026-06-01T10:00:00+05:30",
    ]
    assert [counts(p)["attempts"] for p in kolkata["time_series_hourly"]] == [1, 1]
    assert own["contacts"] == kolkata["contacts"]  # only the series move


def test_each_zone_s_stats_are_cached_apart(settings):
    campaign = CampaignFactory(timezone="Europe/London")
    args = {"campaign": campaign, "include_time_series": True}
    args |= {"time_series_hours": 1, "time_series_days": 1}
    london = campaign_stats_cached(**args)
    tokyo = campaign_stats_cached(**args, zone="Asia/Tokyo")
    assert tokyo["cached"] is False  # not London's figures from the cache
    assert london["time_series_daily"][0]["timestamp"].utcoffset() == dt.timedelta(0)
    assert tokyo["time_series_daily"][0]["timestamp"].utcoffset() == dt.timedelta(hours=9)
    # The campaign's own zone named is the default's entry.
    assert campaign_stats_cached(**args, zone="Europe/London")["cached"] is True


def test_the_results_date_filters_are_days_of_the_zone_given(campaign):
    in_rome = campaign_results(campaign=campaign, filters=NOV_5_TO_6, by=None)
    in_utc = campaign_results(
        campaign=campaign, filters=dataclasses.replace(NOV_5_TO_6, zone="UTC"), by=None
    )
    assert in_rome["responses"] == 2
    assert in_utc["responses"] == 1  # 00:30 in Rome was still the 4th in UTC
    # The same through the cache: two queries, two entries.
    cached_utc = campaign_results_cached(
        campaign=campaign, filters=dataclasses.replace(NOV_5_TO_6, zone="UTC"), by=None
    )
    assert campaign_results_cached(campaign=campaign, filters=NOV_5_TO_6, by=None)["responses"] == 2
    assert cached_utc["responses"] == 1


def test_the_results_page_reads_dates_in_the_viewer_s_zone_the_api_in_the_campaign_s(
    campaign,
    client,
    viewer_user,
    viewer_api,
):
    query = "from=2026-11-05&to=2026-11-06"
    assert viewer_api.get(f"/api/campaigns/{campaign.pk}/results?{query}").json()["responses"] == 2
    client.force_login(viewer_user)
    page = client.get(f"/campaigns/{campaign.pk}/results?{query}")
    assert page.context["results"]["responses"] == 2  # no zone of their own: Rome's days

    User.objects.filter(pk=viewer_user.pk).update(timezone="UTC")
    page = client.get(f"/campaigns/{campaign.pk}/results?{query}")
    assert page.context["results"]["responses"] == 1
    assert page.context["zone"] == "UTC"
    assert viewer_api.get(f"/api/campaigns/{campaign.pk}/results?{query}").json()["responses"] == 2

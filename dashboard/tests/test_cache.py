"""The stats cache: a Redis outage degrades to computing, never to an error (docs/architecture.md
§8, §10)."""

import pytest

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory
from dashboard.cache import campaign_stats_cached, system_stats_cached

pytestmark = pytest.mark.django_db

# Nothing listens on port 1: every connection is refused at once.
UNREACHABLE_REDIS = {
    "BACKEND": "django_redis.cache.RedisCache",
    "LOCATION": "redis://127.0.0.1:1/0",
    "OPTIONS": {
        "CLIENT_CLASS": "django_redis.client.DefaultClient",
        "SOCKET_CONNECT_TIMEOUT": 0.5,
        "SOCKET_TIMEOUT": 0.5,
    },
}


@pytest.fixture
def campaign():
    campaign = CampaignFactory()
    CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome=CallOutcome.BUSY)
    return campaign


@pytest.mark.parametrize("ignore_exceptions", [True, False])
def test_redis_down_means_computed_figures(
    settings, admin_api, campaign, ignore_exceptions, caplog
):
    """As configured in production (django-redis IGNORE_EXCEPTIONS), and even without it."""
    settings.CACHES = {
        "default": {
            **UNREACHABLE_REDIS,
            "OPTIONS": {**UNREACHABLE_REDIS["OPTIONS"], "IGNORE_EXCEPTIONS": ignore_exceptions},
        }
    }
    url = f"/api/campaigns/{campaign.pk}/stats"

    for _ in range(2):
        response = admin_api.get(url)
        assert response.status_code == 200
        assert response.json()["cached"] is False
        assert response.json()["call_outcomes"]["busy"] == 1
    assert admin_api.post(f"{url}/invalidate").status_code == 204
    if not ignore_exceptions:
        # Our own guard caught the errors, and said only which operation failed.
        ours = [r.getMessage() for r in caplog.records if r.name == "voicesurvey.stats_cache"]
        assert ours == [
            "stats cache unavailable (get): ConnectionError",  # generation
            "stats cache unavailable (get): ConnectionError",  # figures
            "stats cache unavailable (set): ConnectionError",
        ] * 2 + ["stats cache unavailable (set): ConnectionError"]  # invalidation


def test_the_cache_lives_as_long_as_the_setting_says(campaign, settings):
    query = {"include_time_series": False, "time_series_hours": 24, "time_series_days": 30}

    settings.STATS_CACHE_TTL_SECONDS = 60
    assert campaign_stats_cached(campaign=campaign, **query)["cached"] is False
    assert campaign_stats_cached(campaign=campaign, **query)["cached"] is True

    settings.STATS_CACHE_TTL_SECONDS = 0  # Django: expire at once
    other = {**query, "time_series_days": 7}
    assert campaign_stats_cached(campaign=campaign, **other)["cached"] is False
    assert campaign_stats_cached(campaign=campaign, **other)["cached"] is False


def test_redis_down_means_computed_system_figures(settings, viewer_api, campaign):
    settings.CACHES = {"default": UNREACHABLE_REDIS}
    for _ in range(2):
        response = viewer_api.get("/api/dashboard/stats/overview")
        assert response.status_code == 200
        assert response.json()["total_call_attempts"] == 1
    figures, _computed_at = system_stats_cached("platforms")
    assert figures["simulator"]["calls_placed"] == 1

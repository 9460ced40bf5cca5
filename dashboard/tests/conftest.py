"""Fixtures of the dashboard tests (the browser fixtures are in the root conftest)."""

from __future__ import annotations

import datetime as dt
import zoneinfo

import pytest

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory, SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory


@pytest.fixture
def viewer_client(client, viewer_user):
    client.force_login(viewer_user)
    return client


@pytest.fixture
def broker_down(settings, monkeypatch):
    """The task broker unreachable. The ORM broker keeps cluster stats in a Django cache
    (Q_CLUSTER["cache"]): point that cache at a Redis port nothing listens on. The Redis broker
    is read from Q_CLUSTER once, at import: point its address there."""
    from django_q.conf import Conf

    nowhere = "redis://127.0.0.1:1/0"
    if Conf.ORM:
        settings.CACHES = {
            **settings.CACHES,
            Conf.CACHE: {
                "BACKEND": "django_redis.cache.RedisCache",
                "LOCATION": nowhere,
                "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "IGNORE_EXCEPTIONS": False},
            },
        }
    else:
        monkeypatch.setattr(Conf, "REDIS", nowhere)


# --- survey results ------------------------------------------------------------------------------

ROME = zoneinfo.ZoneInfo("Europe/Rome")

# language, attempt, region, day of November (10:00 in Rome), answers by question key. q1 "no"
# skips q2–q4 (the sample's rule), so survey 4 has no row for them.
SURVEYS = [
    ("en", 1, "north", 2, {"q1": "yes", "q2": "10", "q3": "3", "q4": "phone", "q5": "yes",
                           "q6": "Faster support please", "q7": "5"}),
    ("en", 1, "north", 3, {"q1": "yes", "q2": "9", "q3": "0", "q4": "email", "q5": "yes",
                           "q6": "Nothing", "q7": "4"}),
    ("it", 2, "south", 4, {"q1": "yes", "q2": "3", "q3": "12", "q4": "phone", "q5": "no",
                           "q6": "Più veloci", "q7": "3"}),
    ("en", 1, "south", 5, {"q1": "no", "q5": "no", "q6": "support was SLOW", "q7": "1"}),
]  # fmt: skip


@pytest.fixture
def results_campaign():
    """A running campaign of the seven sample questions with the four SURVEYS completed (the
    results panel's tests compute their figures by hand from these)."""
    campaign = CampaignFactory(
        name="Autumn check-in",
        questions=seven_questions(),
        languages=["en", "it"],
        texts=TEXTS,
        timezone="Europe/Rome",
        status="running",
    )
    for n, (language, attempt, region, day, answers) in enumerate(SURVEYS, start=1):
        contact = ContactFactory(
            campaign=campaign,
            state="completed",
            external_contact_id=f"C{n:02d}",
            attributes={"region": region},
        )
        call = CallAttemptFactory(
            contact=contact, attempt_number=attempt, outcome=CallOutcome.COMPLETED
        )
        SurveyResponseFactory(
            contact=contact,
            call_attempt=call,
            language=language,
            answer_values=answers,
            completed_at=dt.datetime(2026, 11, day, 10, 0, tzinfo=ROME),
        )
    return campaign

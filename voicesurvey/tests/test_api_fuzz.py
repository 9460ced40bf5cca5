"""The API, fuzzed from its own OpenAPI schema (schemathesis, in process): whatever a client
sends, no answer is a server error (docs/architecture.md §10). As an admin, so every operation is
reached; generated ids mostly miss, so the bodies, query strings and headers are what gets
exercised."""

from __future__ import annotations

import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error

from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory

schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())


@pytest.fixture
def keep_the_test_connection():
    """A WSGI request closes the database connection when it ends, and with it the test's
    transaction (PostgreSQL); Django's own test client stops that the same way."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def admin_token(admin_user, keep_the_test_connection):
    campaign = CampaignFactory()  # something for the lists to list
    ContactFactory(campaign=campaign)
    return Token.objects.create(user=admin_user).key


@pytest.mark.slow
@pytest.mark.django_db
@schema.parametrize()
@hypothesis_settings(
    max_examples=8,
    deadline=None,
    derandomize=True,  # the same cases on every run
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_no_request_gets_a_server_error(case, admin_token):
    response = case.call(headers={"Authorization": f"Token {admin_token}"})
    case.validate_response(response, checks=[not_a_server_error])

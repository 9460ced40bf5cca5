"""Server-side request forgery: a subscription may not point at loopback, private,
link-local or reserved addresses, when saved (the API's 400 names the field) and when sent
(a name may resolve elsewhere later), unless WEBHOOK_ALLOWED_HOSTS lists the host."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from calls.tests.factories import SurveyEventFactory
from integrations.addresses import url_problem
from integrations.delivery import webhooks_drain
from integrations.models import DeliveryStatus, WebhookDelivery
from integrations.services import webhook_subscription_create

BLOCKED = [
    "http://127.0.0.1:9000/hook",
    "http://127.1.2.3/hook",
    "http://10.0.0.5/hook",
    "http://172.16.0.1/hook",
    "http://192.168.1.1/hook",
    "http://169.254.169.254/latest/meta-data/",
    "http://[::1]:9000/hook",
    "http://[fe80::1]/hook",
    "http://[::ffff:127.0.0.1]/hook",
    "http://0.0.0.0/hook",
    "http://224.0.0.1/hook",
    "http://localhost:9000/hook",
]


@pytest.mark.parametrize("url", BLOCKED)
def test_private_and_loopback_addresses_are_refused(url, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    assert "WEBHOOK_ALLOWED_HOSTS" in url_problem(url)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("ftp://example.com/x", "Only http and https"),
        ("file:///etc/passwd", "Only http and https"),
        ("gopher://127.0.0.1/", "Only http and https"),
        ("http://user:pw@8.8.8.8/", "Credentials"),
        ("http:///nohost", "no host"),
        ("http://no-such-host.invalid/", "does not resolve"),
    ],
)
def test_other_bad_urls_are_refused(url, problem):
    assert problem in url_problem(url)


def test_a_public_address_is_accepted(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    assert url_problem("https://8.8.8.8/hook") == ""


def test_the_allowance_lets_a_listed_host_through(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = ["127.0.0.1", "::1"]
    assert url_problem("http://127.0.0.1:9000/hook") == ""
    assert url_problem("http://[::1]:9000/hook") == ""
    assert url_problem("http://10.0.0.5/hook") != ""  # only the hosts listed


@pytest.mark.django_db
def test_the_service_refuses_with_the_field_named(settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    with pytest.raises(ValidationError) as caught:
        webhook_subscription_create(
            actor=None,
            fields={"url": "http://169.254.169.254/", "event_types": ["survey.completed"]},
        )
    assert set(caught.value.message_dict) == {"url"}


@pytest.mark.django_db
def test_the_address_is_checked_again_when_sending(make_subscription, receiver, session, settings):
    make_subscription()  # saved while loopback was allowed
    settings.WEBHOOK_ALLOWED_HOSTS = []  # then the allowance is withdrawn
    SurveyEventFactory(created_at=timezone.now())
    summary = webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    assert summary.sent.failed == 1
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.error.startswith("Blocked")


@pytest.mark.django_db
def test_redirects_are_not_followed(make_subscription, receiver, session):
    make_subscription()
    SurveyEventFactory(created_at=timezone.now())
    receiver.statuses = [302]
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.response_code) == (DeliveryStatus.FAILED, 302)
    assert "Redirect not followed" in delivery.error

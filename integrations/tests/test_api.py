"""The webhook subscription API: the role matrix, the secret shown once, 400s naming the
field, the delivery log and redelivery."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from standardwebhooks import Webhook

from calls.tests.factories import SurveyEventFactory
from campaigns.tests.factories import CampaignFactory
from integrations.delivery import webhooks_drain
from integrations.models import WebhookDelivery, WebhookSubscription
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db

LIST = "/api/webhooks/subscriptions"


def _detail(subscription):
    return f"{LIST}/{subscription.pk}"


@pytest.fixture
def subscription(make_subscription):
    return make_subscription(event_types=["survey.completed"])


def _requests(subscription, receiver_url):
    delivery_id = "00000000-0000-0000-0000-000000000000"
    return [
        ("get", LIST, None),
        ("post", LIST, {"url": receiver_url, "event_types": ["survey.completed"]}),
        ("get", _detail(subscription), None),
        ("patch", _detail(subscription), {"name": "CRM"}),
        ("get", f"{_detail(subscription)}/deliveries", None),
        ("post", f"{_detail(subscription)}/redeliver", {"delivery_id": delivery_id}),
        ("delete", _detail(subscription), None),
    ]


@pytest.mark.parametrize(
    ("persona", "allowed"),
    [("admin", True), ("manager", True), ("viewer", False), ("anonymous", False)],
    indirect=["persona"],
)
def test_role_matrix(persona, allowed, persona_api, subscription, receiver):
    for method, url, body in _requests(subscription, receiver.url):
        response = getattr(persona_api, method)(url, body, format="json")
        if allowed:
            # The redelivery names an unknown delivery: 404, past the permission check.
            assert response.status_code in (200, 201, 202, 204, 404), (method, url, response.data)
            if "redeliver" not in url:
                assert response.status_code != 404, (method, url)
        elif persona is None:
            assert response.status_code == 401, (method, url)
        else:
            assert response.status_code == 403, (method, url)


def test_create_shows_the_secret_once(manager_api, receiver, allow_loopback):
    campaign = CampaignFactory()
    response = manager_api.post(
        LIST,
        {
            "name": "CRM",
            "url": receiver.url,
            "event_types": ["survey.refused", "survey.completed"],
            "campaign_id": str(campaign.pk),
            "include_phone_numbers": True,
        },
        format="json",
    )
    assert response.status_code == 201, response.data
    secret = response.data["secret"]
    assert secret.startswith("whsec_")
    Webhook(secret)  # a secret the library accepts
    stored = WebhookSubscription.objects.get(pk=response.data["id"])
    assert stored.secret == secret
    assert stored.event_types == ["survey.completed", "survey.refused"]
    assert stored.campaign == campaign
    assert stored.include_phone_numbers is True
    again = manager_api.get(f"{LIST}/{stored.pk}")
    assert "secret" not in again.data
    listed = manager_api.get(LIST)
    assert all("secret" not in row for row in listed.data["results"])
    entry = AuditLog.objects.get(action="webhook_subscription.create")
    assert secret not in str(entry.details)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://169.254.169.254/", "event_types": ["survey.completed"]}, "url"),
        ({"url": "http://10.1.2.3/x", "event_types": ["survey.completed"]}, "url"),
        ({"url": "ftp://8.8.8.8/", "event_types": ["survey.completed"]}, "url"),
        ({"url": "not a url", "event_types": ["survey.completed"]}, "url"),
        ({"url": "https://8.8.8.8/", "event_types": ["survey.nope"]}, "event_types"),
        ({"url": "https://8.8.8.8/", "event_types": []}, "event_types"),
        ({"url": "https://8.8.8.8/", "event_types": "survey.completed"}, "event_types"),
        ({"event_types": ["survey.completed"]}, "url"),
        (
            {"url": "https://8.8.8.8/", "event_types": ["survey.completed"], "campaign_id": "x"},
            "campaign_id",
        ),
        (
            {
                "url": "https://8.8.8.8/",
                "event_types": ["survey.completed"],
                "campaign_id": "00000000-0000-0000-0000-000000000000",
            },
            "campaign_id",
        ),
    ],
)
def test_bad_input_is_a_400_naming_the_field(manager_api, settings, body, field):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = manager_api.post(LIST, body, format="json")
    assert response.status_code == 400
    assert field in response.data
    assert not WebhookSubscription.objects.exists()


def test_patch_disables_and_enables_again(manager_api, subscription):
    response = manager_api.patch(_detail(subscription), {"is_active": False}, format="json")
    assert response.status_code == 200
    assert response.data["is_active"] is False
    subscription.refresh_from_db()
    assert subscription.disabled_reason == "Disabled by a person."
    response = manager_api.patch(_detail(subscription), {"is_active": True}, format="json")
    assert response.data["is_active"] is True
    assert response.data["disabled_reason"] == ""


def test_patch_to_a_private_url_is_refused(manager_api, subscription, settings):
    settings.WEBHOOK_ALLOWED_HOSTS = []
    response = manager_api.patch(
        _detail(subscription), {"url": "http://192.168.0.10/"}, format="json"
    )
    assert response.status_code == 400
    assert "url" in response.data


def test_unknown_subscription_is_404(manager_api):
    missing = f"{LIST}/00000000-0000-0000-0000-000000000000"
    assert manager_api.get(missing).status_code == 404
    assert manager_api.get(f"{missing}/deliveries").status_code == 404


def test_delivery_log_and_redelivery(manager_api, subscription, receiver, session):
    now = timezone.now()
    for i in range(3):
        SurveyEventFactory(created_at=now - dt.timedelta(minutes=10 - i))
    receiver.statuses = [422]
    webhooks_drain(now=now, session=session, time_budget_seconds=10)

    log = manager_api.get(f"{_detail(subscription)}/deliveries")
    assert log.status_code == 200
    rows = log.data["results"]
    assert len(rows) == 3
    failed = next(r for r in rows if r["status"] == "failed")
    assert failed["response_code"] == 422
    assert failed["attempts"] == 1
    assert failed["latency_ms"] is not None
    assert failed["response_excerpt"] == "not now"
    assert failed["webhook_id"] == f"msg_{failed['id'].replace('-', '')}"
    only_failed = manager_api.get(f"{_detail(subscription)}/deliveries?status=failed")
    assert [r["id"] for r in only_failed.data["results"]] == [failed["id"]]
    assert manager_api.get(f"{_detail(subscription)}/deliveries?status=odd").status_code == 400

    one = manager_api.post(
        f"{_detail(subscription)}/redeliver", {"delivery_id": failed["id"]}, format="json"
    )
    assert (one.status_code, one.data) == (202, {"redelivered": 1})
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    assert WebhookDelivery.objects.get(pk=failed["id"]).status == "delivered"
    assert [h["webhook-id"] for h, _ in receiver.received].count(failed["webhook_id"]) == 1

    everything = manager_api.post(
        f"{_detail(subscription)}/redeliver",
        {"from": (now - dt.timedelta(hours=1)).isoformat(), "to": now.isoformat()},
        format="json",
    )
    assert everything.data == {"redelivered": 3}
    webhooks_drain(now=timezone.now(), session=session, time_budget_seconds=10)
    assert len(receiver.received) == 2 + 1 + 3  # first drain, one redelivered, the range
    assert AuditLog.objects.filter(action="webhook_subscription.redeliver").count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "from"),
        ({"from": "2026-01-01T00:00:00Z"}, "from"),
        ({"from": "2026-01-02T00:00:00Z", "to": "2026-01-01T00:00:00Z"}, "to"),
        ({"from": "yesterday", "to": "2026-01-01T00:00:00Z"}, "from"),
        ({"delivery_id": "nope"}, "delivery_id"),
        (
            {"delivery_id": "00000000-0000-0000-0000-000000000000", "from": "2026-01-01T00:00Z"},
            "delivery_id",
        ),
    ],
)
def test_redeliver_bad_input_is_a_400_naming_the_field(manager_api, subscription, body, field):
    response = manager_api.post(f"{_detail(subscription)}/redeliver", body, format="json")
    assert response.status_code == 400
    assert field in response.data


def test_delete(manager_api, subscription):
    assert manager_api.delete(_detail(subscription)).status_code == 204
    assert not WebhookSubscription.objects.exists()
    assert AuditLog.objects.filter(action="webhook_subscription.delete").exists()


def test_the_operations_are_in_the_schema_under_their_tag(admin_api):
    schema = admin_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    paths = schema["paths"]
    for path in (
        "/api/webhooks/subscriptions",
        "/api/webhooks/subscriptions/{subscription_id}",
        "/api/webhooks/subscriptions/{subscription_id}/deliveries",
        "/api/webhooks/subscriptions/{subscription_id}/redeliver",
    ):
        assert path in paths
        for operation in paths[path].values():
            assert operation["tags"] == ["webhooks"]
    redeliver = schema["components"]["schemas"]["RedeliverInputRequest"]["properties"]
    assert set(redeliver) == {"delivery_id", "from", "to"}

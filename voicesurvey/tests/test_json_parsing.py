"""Deeply nested JSON bodies are a 400 with a message on every API write, never a 500
(Python's JSON decoder gives up with RecursionError, which DRF's parser lets through)."""

import pytest
from drf_spectacular.generators import SchemaGenerator

from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ExclusionEntryFactory
from exports.tests.factories import ExportJobFactory
from integrations.models import WebhookSubscription

pytestmark = pytest.mark.django_db

TOO_DEEP = 100_000  # far past the decoder's recursion limit
NESTED = "[" * TOO_DEEP + "]" * TOO_DEEP
MESSAGE = "nested too deeply"


def _write(api, method, url, body=NESTED):
    return getattr(api, method)(url, data=body, content_type="application/json")


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("post", "/api/campaigns"),
        ("patch", "/api/campaigns/{campaign}"),
        ("put", "/api/campaigns/{campaign}"),
        ("post", "/api/exclusions"),
        ("put", "/api/config/provider"),
        ("patch", "/api/config/provider"),
    ],
)
@pytest.mark.parametrize("depth", [TOO_DEEP, 200])
def test_nested_bodies_on_campaign_exclusion_and_provider_writes_are_a_400(
    admin_api, method, url, depth
):
    campaign = CampaignFactory()
    body = "[" * depth + "]" * depth
    response = _write(admin_api, method, url.format(campaign=campaign.pk), body)
    assert response.status_code == 400
    assert MESSAGE in response.json()["detail"]


def test_a_body_nested_as_deep_as_a_real_one_still_parses(admin_api):
    response = _write(
        admin_api, "post", "/api/campaigns", '{"name": "Nested", "call_days": [1, 2, 3]}'
    )
    assert response.status_code == 201, response.json()


def _write_operations():
    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path, operations in schema["paths"].items():
        for method in ("post", "put", "patch", "delete"):
            if method in operations:
                content = operations[method].get("requestBody", {}).get("content", {})
                yield method, path, "application/json" in content


@pytest.mark.parametrize(("method", "path", "takes_json"), list(_write_operations()))
def test_no_api_write_answers_a_nested_body_with_a_500(admin_api, method, path, takes_json):
    attempt = CallAttemptFactory()
    ids = {
        "{campaign_id}": attempt.contact.campaign.pk,
        "{entry_id}": ExclusionEntryFactory().pk,
        "{job_id}": ExportJobFactory(campaign=CampaignFactory()).pk,
        "{call_id}": attempt.pk,
        "{subscription_id}": WebhookSubscription.objects.create(
            url="https://crm.example.org/hooks", secret="whsec_eA=="
        ).pk,
    }
    for name, value in ids.items():
        path = path.replace(name, str(value))
    assert "{" not in path, f"give the test an id for {path}"
    response = _write(admin_api, method, path)
    # A write that takes a JSON body refuses it with the message; one that takes none, or
    # only files, answers as it would to any other body. None answers 5xx.
    assert response.status_code < 500
    if takes_json:
        assert response.status_code == 400
        assert MESSAGE in response.json()["detail"]

"""The API's edges: any path under /api/ that names no operation answers JSON 404 (DEBUG on
or off), and Swagger groups the operations by resource."""

from __future__ import annotations

import pytest
from django.test import override_settings
from drf_spectacular.generators import SchemaGenerator

from voicesurvey.api_tags import API_TAGS
from voicesurvey.schema import api_tag

pytestmark = pytest.mark.django_db

NOT_AN_OPERATION = [
    "/api/campaigns/not-a-uuid",
    "/api/campaigns/not-a-uuid/activate",
    "/api/campaigns/12345/contacts",
    "/api/calls/xyz",
    "/api/exports/zzz/refresh-url",
    "/api/no-such-thing",
]


@pytest.mark.parametrize("debug", [False, True], ids=["debug-off", "debug-on"])
@pytest.mark.parametrize("path", NOT_AN_OPERATION)
def test_a_path_that_names_no_operation_is_a_json_404(manager_api, path, debug):
    with override_settings(DEBUG=debug):
        response = manager_api.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_post_to_a_malformed_id_is_a_json_404_not_a_csrf_failure(client, manager_user):
    client.force_login(manager_user)
    response = client.post("/api/campaigns/not-a-uuid/pause")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_their_html_404(client, manager_user):
    client.force_login(manager_user)
    response = client.get("/campaigns/not-a-uuid")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def _schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_every_operation_has_exactly_one_resource_tag_and_every_tag_is_used():
    paths = _schema()["paths"]
    used: set[str] = set()
    for operations in paths.values():
        for operation in operations.values():
            assert len(operation["tags"]) == 1
            assert operation["tags"][0] in API_TAGS
            used.add(operation["tags"][0])
    assert used == set(API_TAGS)


def test_the_schema_lists_the_tags_in_order_with_their_descriptions():
    tags = _schema()["tags"]
    assert [tag["name"] for tag in tags] == list(API_TAGS)
    assert all(tag["description"] for tag in tags)


@pytest.mark.parametrize(
    ("path", "tag"),
    [
        ("/api/campaigns", "campaigns"),
        ("/api/campaigns/{campaign_id}/activate", "campaigns"),
        ("/api/campaigns/{campaign_id}/clone", "campaigns"),
        ("/api/campaigns/{campaign_id}/contacts", "contacts"),
        ("/api/campaigns/{campaign_id}/contacts/upload", "contacts"),
        ("/api/contacts/forget", "contacts"),
        ("/api/exclusions/{entry_id}", "exclusions"),
        ("/api/calls/{call_id}", "calls"),
        ("/api/campaigns/{campaign_id}/stats", "stats"),
        ("/api/campaigns/{campaign_id}/results", "stats"),
        ("/api/dashboard/stats/queue", "stats"),
        ("/api/campaigns/{campaign_id}/exports", "exports"),
        ("/api/campaigns/{campaign_id}/export", "exports"),
        ("/api/exports/{job_id}", "exports"),
        ("/exports/{job_id}/download", "exports"),
        ("/api/config/provider", "configuration"),
        ("/api/me", "authentication"),
        ("/api/auth/token", "authentication"),
    ],
)
def test_each_path_belongs_to_its_resource(path, tag):
    assert api_tag(path) == tag

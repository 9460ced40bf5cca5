"""`GET /api/campaigns/{id}/exports?limit=`: the latest exports, newest first."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest
from django.utils import timezone

from exports.models import ExportJob, ExportStatus
from exports.services import export_generate
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


def _jobs(campaign, count: int) -> list[ExportJob]:
    jobs = []
    for n in range(count):
        job = ExportJobFactory(campaign=campaign, status=ExportStatus.FAILED, error_message="x")
        # created_at is auto_now_add: spread the jobs out afterwards, oldest first.
        created = timezone.now() - dt.timedelta(hours=count - n)
        ExportJob.objects.filter(pk=job.pk).update(created_at=created)
        jobs.append(job)
    return jobs


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, every_state, expected):
    response = persona_api.get(f"/api/campaigns/{every_state.campaign.pk}/exports")
    assert response.status_code == expected


def test_unknown_campaign_is_404(manager_api):
    assert manager_api.get(f"/api/campaigns/{uuid.uuid4()}/exports").status_code == 404


def test_newest_first_limited_with_fresh_links(manager_api, every_state, django_assert_num_queries):
    old = _jobs(every_state.campaign, 3)
    done = export_generate(job=ExportJobFactory(campaign=every_state.campaign))
    ExportJobFactory(status=ExportStatus.COMPLETED)  # another campaign's

    # 1: the campaign; 2: its jobs with who asked for them (links need no query)
    with django_assert_num_queries(2):
        response = manager_api.get(
            f"/api/campaigns/{every_state.campaign.pk}/exports", {"limit": 3}
        )

    assert response.status_code == 200
    body = response.json()
    assert [item["id"] for item in body] == [str(done.pk), str(old[2].pk), str(old[1].pk)]
    assert body[0]["download_url"].startswith(f"http://testserver/exports/{done.pk}/download?")
    assert body[0]["total_records"] == 5
    assert body[0]["url_expires_at"]
    assert body[1]["download_url"] is None
    assert body[1]["error_message"] == "x"
    assert set(body[0]) == {
        "id",
        "campaign_id",
        "status",
        "download_url",
        "url_expires_at",
        "total_records",
        "error_message",
        "created_at",
        "completed_at",
        "expired_at",
        "format",
    }


def test_default_limit_is_20(manager_api, every_state):
    _jobs(every_state.campaign, 25)
    response = manager_api.get(f"/api/campaigns/{every_state.campaign.pk}/exports")
    assert len(response.json()) == 20


@pytest.mark.parametrize("limit", ["0", "101", "-1", "ten", "1.5", "1e2"])
def test_a_bad_limit_is_400_naming_the_field(manager_api, every_state, limit):
    response = manager_api.get(
        f"/api/campaigns/{every_state.campaign.pk}/exports", {"limit": limit}
    )
    assert response.status_code == 400
    assert "limit" in response.json()


@pytest.mark.parametrize("limit", ["1", "100"])
def test_limits_at_the_edges_are_accepted(manager_api, every_state, limit):
    _jobs(every_state.campaign, 2)
    response = manager_api.get(
        f"/api/campaigns/{every_state.campaign.pk}/exports", {"limit": limit}
    )
    assert response.status_code == 200
    assert len(response.json()) == min(2, int(limit))

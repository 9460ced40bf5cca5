"""Re-queueing a finished campaign's not-reached contacts into a new run (issue 15 item 13):
the service, the campaign page's button and `POST /api/campaigns/{id}/requeue`."""

from __future__ import annotations

import pytest

from campaigns.models import Campaign
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState
from contacts.services.requeue import RequeueRefused, campaign_requeue_not_reached
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


def _finished(status="completed", **kwargs) -> Campaign:
    return Campaign.objects.get(pk=CampaignFactory(status=status, **kwargs).pk)


@pytest.fixture
def finished():
    """A completed campaign with two contacts not reached (one with attributes), and one of
    every other kind that must not be copied."""
    campaign = _finished(name="Spring poll", max_attempts=3)
    ContactFactory(
        campaign=campaign,
        phone_number="+393470000001",
        state=ContactState.NOT_REACHED,
        attempts_count=3,
        external_contact_id="A-1",
        attributes={"region": "north"},
        last_outcome="no_answer",
    )
    ContactFactory(campaign=campaign, phone_number="+393470000002", state=ContactState.NOT_REACHED)
    ContactFactory(campaign=campaign, phone_number="+393470000003", state=ContactState.COMPLETED)
    ContactFactory(campaign=campaign, phone_number="+393470000004", state=ContactState.REFUSED)
    ContactFactory(
        campaign=campaign,
        phone_number="+393470000005",
        state=ContactState.NOT_REACHED,
        do_not_call=True,
    )
    # Not reached, but put on the exclusion list since.
    ContactFactory(campaign=campaign, phone_number="+393470000006", state=ContactState.NOT_REACHED)
    ExclusionEntryFactory(phone_number="+393470000006")
    ContactFactory(phone_number="+393470000007", state=ContactState.NOT_REACHED)  # elsewhere
    return campaign


def test_copies_the_not_reached_contacts_as_pending_into_a_new_draft(finished, manager_user):
    result = campaign_requeue_not_reached(campaign=finished, actor=manager_user)
    clone = result.campaign
    assert clone.pk != finished.pk
    assert (clone.status, clone.name, clone.max_attempts) == ("draft", "Spring poll (re-run)", 3)
    assert result.contacts == 2
    copied = list(Contact.objects.filter(campaign=clone).order_by("phone_number"))
    assert [c.phone_number for c in copied] == ["+393470000001", "+393470000002"]
    first = copied[0]
    assert (first.state, first.attempts_count, first.last_outcome, first.last_attempt_at) == (
        ContactState.PENDING,
        0,
        "",
        None,
    )
    assert (first.external_contact_id, first.attributes) == ("A-1", {"region": "north"})
    # The finished campaign is left as it was.
    assert finished.contacts.count() == 6
    assert finished.contacts.filter(state=ContactState.NOT_REACHED).count() == 4
    audit = AuditLog.objects.get(action="campaign.requeue")
    assert (audit.object_id, audit.actor) == (str(clone.pk), manager_user)
    assert audit.details == {"from": str(finished.pk), "contacts": 2}


def test_a_cancelled_campaign_can_be_requeued_too(manager_user):
    campaign = _finished(status="cancelled")
    ContactFactory(campaign=campaign, state=ContactState.NOT_REACHED)
    assert campaign_requeue_not_reached(campaign=campaign, actor=manager_user).contacts == 1


@pytest.mark.parametrize("status", ["draft", "scheduled", "running", "paused"])
def test_a_campaign_not_finished_is_refused(status, manager_user):
    campaign = _finished(status=status)
    ContactFactory(campaign=campaign, state=ContactState.NOT_REACHED)
    with pytest.raises(RequeueRefused, match="completed or cancelled"):
        campaign_requeue_not_reached(campaign=campaign, actor=manager_user)
    assert Campaign.objects.count() == 1


def test_nothing_to_requeue_is_refused_and_creates_nothing(manager_user):
    campaign = _finished()
    ContactFactory(campaign=campaign, state=ContactState.COMPLETED)
    with pytest.raises(RequeueRefused, match="not reached"):
        campaign_requeue_not_reached(campaign=campaign, actor=manager_user)
    assert Campaign.objects.count() == 1


def test_copies_in_batches(finished, manager_user, monkeypatch):
    from contacts.services import requeue

    monkeypatch.setattr(requeue, "REQUEUE_BATCH", 1)
    assert campaign_requeue_not_reached(campaign=finished, actor=manager_user).contacts == 2


# --- API ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 201), ("manager", 201), ("viewer", 403), ("anonymous", 401)],
    indirect=["persona"],
)
def test_api_role_matrix(persona_api, finished, expected):
    response = persona_api.post(f"/api/campaigns/{finished.pk}/requeue")
    assert response.status_code == expected
    assert Campaign.objects.filter(name__endswith="(re-run)").count() == (
        1 if expected == 201 else 0
    )


def test_api_answers_with_the_new_draft(manager_api, finished):
    body = manager_api.post(f"/api/campaigns/{finished.pk}/requeue").json()
    clone = Campaign.objects.get(name__endswith="(re-run)")
    assert body == {
        "id": str(clone.pk),
        "name": "Spring poll (re-run)",
        "status": "draft",
        "requeued_from": str(finished.pk),
        "contacts": 2,
    }


def test_api_a_running_campaign_is_400_saying_why(manager_api):
    campaign = _finished(status="running")
    response = manager_api.post(f"/api/campaigns/{campaign.pk}/requeue")
    assert response.status_code == 400
    assert "completed or cancelled" in response.json()["detail"]
    assert "running" in response.json()["detail"]


def test_api_unknown_campaign_is_404(manager_api):
    response = manager_api.post("/api/campaigns/00000000-0000-0000-0000-000000000000/requeue")
    assert response.status_code == 404


# --- page -----------------------------------------------------------------------------------------


def test_the_button_shows_on_a_finished_campaign_for_managers_only(
    client, finished, manager_user, viewer_user
):
    client.force_login(manager_user)
    html = client.get(f"/campaigns/{finished.pk}").content.decode()
    assert f'action="/campaigns/{finished.pk}/requeue"' in html
    client.force_login(viewer_user)
    html = client.get(f"/campaigns/{finished.pk}").content.decode()
    assert "/requeue" not in html


def test_no_button_on_a_running_campaign(client, manager_user):
    campaign = _finished(status="running")
    client.force_login(manager_user)
    assert "/requeue" not in client.get(f"/campaigns/{campaign.pk}").content.decode()


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 302), ("manager", 302), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_page_role_matrix(persona_client, persona, finished, expected):
    response = persona_client.post(f"/campaigns/{finished.pk}/requeue")
    assert response.status_code == expected
    drafts = Campaign.objects.filter(name__endswith="(re-run)")
    if expected == 302 and persona is not None:
        assert response["Location"] == f"/campaigns/{drafts.get().pk}"
    else:
        assert not drafts.exists()


def test_page_post_leads_to_the_new_draft_saying_how_many(client, finished, manager_user):
    client.force_login(manager_user)
    response = client.post(f"/campaigns/{finished.pk}/requeue", follow=True)
    html = response.content.decode()
    assert "2 not-reached contacts" in html
    assert "Spring poll (re-run)" in html


def test_page_post_on_a_running_campaign_says_why(client, manager_user):
    campaign = _finished(status="running")
    client.force_login(manager_user)
    response = client.post(f"/campaigns/{campaign.pk}/requeue", follow=True)
    assert response.redirect_chain[-1][0] == f"/campaigns/{campaign.pk}"
    assert "Only a completed or cancelled campaign" in response.content.decode()

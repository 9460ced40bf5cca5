"""manage.py simulate CAMPAIGN: a running campaign, run to its end on the simulator."""

import uuid

import pytest
from django.core.management import CommandError, call_command

from calls.telephony.simulator import REJECTED, Rates, callee_plan
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


def test_runs_a_campaign_to_completion(capsys, provider_config, open_campaign):
    for _ in range(12):
        ContactFactory(campaign=open_campaign)
    call_command("simulate", open_campaign.name)
    out = capsys.readouterr().out
    assert "the campaign is completed" in out
    open_campaign.refresh_from_db()
    assert open_campaign.status == "completed"
    assert not open_campaign.contacts.filter(state__in=["pending", "in_progress"]).exists()


def test_finds_the_campaign_by_id(provider_config, open_campaign):
    ContactFactory(campaign=open_campaign)
    call_command("simulate", str(open_campaign.pk), verbosity=0)
    open_campaign.refresh_from_db()
    assert open_campaign.status == "completed"


def test_completes_when_the_last_call_is_rejected_at_dial_time(provider_config, open_campaign):
    # The fake callee is seeded by contact and attempt: pick a contact whose one attempt the
    # network rejects, so the run ends on a tick that placed no call.
    open_campaign.max_attempts = 1
    open_campaign.save()
    rates = Rates.from_config(provider_config)
    contact_id = next(
        candidate
        for candidate in (uuid.UUID(int=n) for n in range(1, 100_000))
        if callee_plan(f"{provider_config.sim_seed}:{candidate}:1", rates).ending == REJECTED
    )
    contact = ContactFactory(campaign=open_campaign, id=contact_id)
    call_command("simulate", str(open_campaign.pk), verbosity=0)
    contact.refresh_from_db()
    open_campaign.refresh_from_db()
    assert (contact.state, contact.last_outcome) == ("not_reached", "failed")
    assert open_campaign.status == "completed"


def test_only_a_running_campaign(provider_config):
    draft = CampaignFactory(status="draft")
    with pytest.raises(CommandError, match="The campaign is draft; only a running campaign"):
        call_command("simulate", str(draft.pk))


@pytest.mark.parametrize("key", ["No such campaign", "0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a"])
def test_an_unknown_campaign(key):
    with pytest.raises(CommandError, match="No campaign has the id"):
        call_command("simulate", key)


def test_an_ambiguous_name(provider_config):
    CampaignFactory(name="Twin", status="running")
    CampaignFactory(name="Twin", status="running")
    with pytest.raises(CommandError, match="Several campaigns are named 'Twin'"):
        call_command("simulate", "Twin")


def test_stops_with_a_reason_when_nothing_can_ever_be_dialled(provider_config):
    campaign = CampaignFactory(status="running", call_days=[])
    ContactFactory(campaign=campaign)
    with pytest.raises(CommandError, match="Nothing left can be dialled"):
        call_command("simulate", str(campaign.pk), verbosity=0)


def test_stops_when_the_provider_is_down(provider_config, open_campaign):
    provider_config.sim_unavailable = True
    provider_config.save()
    ContactFactory(campaign=open_campaign)
    with pytest.raises(CommandError, match="The provider is unavailable"):
        call_command("simulate", str(open_campaign.pk), verbosity=0)

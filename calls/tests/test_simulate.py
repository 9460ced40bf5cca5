"""manage.py simulate CAMPAIGN: a running campaign, run to its end on the simulator."""

import logging
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


# --- a live database is refused; the output is the bar and a summary ---------------------------


def test_refuses_a_database_the_scheduler_serves(provider_config, open_campaign):
    from django.core.management import call_command as run

    ContactFactory(campaign=open_campaign)
    run("setup_schedules", verbosity=0)
    with pytest.raises(CommandError, match="This database is live: the scheduler's periodic"):
        call_command("simulate", str(open_campaign.pk), verbosity=0)
    open_campaign.refresh_from_db()
    assert open_campaign.status == "running"
    assert not open_campaign.attempts.exists()  # nothing was written


def test_refuses_a_database_where_a_scheduler_ticked_recently(provider_config, open_campaign):
    from calls.models import SchedulerRun

    ContactFactory(campaign=open_campaign)
    SchedulerRun.objects.create(status="finished")
    with pytest.raises(CommandError, match="a scheduler ticked in the last 10 minutes"):
        call_command("simulate", str(open_campaign.pk), verbosity=0)
    assert not open_campaign.attempts.exists()


def test_an_old_tick_does_not_make_a_database_live(provider_config, open_campaign):
    import datetime as dt

    from django.utils import timezone

    from calls.models import SchedulerRun

    ContactFactory(campaign=open_campaign)
    SchedulerRun.objects.create(
        status="finished", started_at=timezone.now() - dt.timedelta(hours=1)
    )
    call_command("simulate", str(open_campaign.pk), verbosity=0)
    open_campaign.refresh_from_db()
    assert open_campaign.status == "completed"


def test_the_output_is_a_summary_without_emails_or_log_lines(
    capsys, caplog, provider_config, open_campaign, settings
):
    from campaigns.models import EmailTemplate

    settings.EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
    template = EmailTemplate.objects.create(
        name="Thanks", type="completed", subject="Thanks", body_text="Thank you {{ campaign.name }}"
    )
    open_campaign.completed_email_template = template
    open_campaign.save()
    for _ in range(8):
        ContactFactory(campaign=open_campaign, email="someone@example.com")
    caplog.set_level("INFO")
    call_command("simulate", str(open_campaign.pk), verbosity=1)
    captured = capsys.readouterr()
    assert "Subject:" not in captured.out + captured.err  # no email printed
    assert "the campaign is completed" in captured.out
    assert "Contacts: " in captured.out
    assert "(kept in memory, not sent)" in captured.out
    assert len(captured.out.strip().splitlines()) == 2
    assert not [
        r for r in caplog.records if r.levelno == logging.INFO and r.name.startswith("calls")
    ]


def test_the_progress_bar_is_not_styled_as_an_error():
    import io

    from django.core.management.base import BaseCommand, OutputWrapper

    from voicesurvey.cli import progress_bar

    stream = io.StringIO()
    command = BaseCommand()
    command.stderr = OutputWrapper(stream)
    command.stderr.style_func = lambda text: f"RED[{text}]"  # what a terminal gets
    with progress_bar(command, 2, total=3, unit=" contacts") as bar:
        bar.update(3)
    assert "RED[" not in stream.getvalue()
    assert "3/3" in stream.getvalue()

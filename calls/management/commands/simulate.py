from __future__ import annotations

import logging
import time
from collections import Counter

from django.core import mail
from django.core.management.base import BaseCommand, CommandError
from django.db.models import Count
from django.test.utils import override_settings

from calls.simulation import campaign_simulate, database_live_reason
from campaigns.models import Campaign, CampaignStatus
from contacts.models import TERMINAL_STATES
from voicesurvey.cli import lookup_by_id_or_name, progress_bar

# Where to simulate instead: a database of its own (docs/calls-and-scheduler.md).
_COPY_RECIPE = (
    "Simulate on a database of its own, e.g.\n"
    "  export DATABASE_URL=sqlite:///var/simulation.sqlite3\n"
    "  python manage.py migrate && python manage.py seed_demo\n"
    "  python manage.py simulate CAMPAIGN"
)


class Command(BaseCommand):
    help = (
        "Run a running campaign to its end on the simulator: real scheduler ticks, every call "
        "through the webhooks, dialogue and outcome rules, on a simulated clock that skips "
        "retry waits and closed calling hours, so what it records is dated up to days ahead. "
        "It therefore refuses a live database (one a scheduler serves). Emails are not sent "
        "and log lines are quiet (-v2 shows them); the output is a progress bar and a summary. "
        "For demos and benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's id, or its exact name")
        parser.add_argument(
            "--max-ticks", type=int, default=100_000, help="stop after this many ticks"
        )

    def handle(self, *args, campaign, max_ticks, verbosity, **options):
        live = database_live_reason()
        if live:
            raise CommandError(
                f"This database is live: {live}. A simulation dates what it records on a "
                "clock that runs ahead of real time (calls, answers and emails up to days "
                f"after now), which would mix with the real ones.\n{_COPY_RECIPE}"
            )
        found = lookup_by_id_or_name(Campaign.objects.all(), campaign, noun="campaign")
        if found.status != CampaignStatus.RUNNING:
            raise CommandError(
                f"The campaign is {found.status}; only a running campaign can be simulated "
                "(activate or resume it first)."
            )
        total = found.contacts.count()
        started = time.perf_counter()
        # The console email backend would print every follow-up email into the bar, and SMTP
        # would mail real people about calls that never happened: emails stay in memory.
        # The engine's INFO lines (a tick's summary, each call) are quiet unless -v2.
        quiet = verbosity < 2
        previous_disable = logging.root.manager.disable
        if quiet:
            logging.disable(logging.INFO)
        try:
            with (
                override_settings(EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend"),
                progress_bar(self, verbosity, total=total, unit=" contacts") as bar,
            ):
                saved_outbox = getattr(mail, "outbox", None)
                mail.outbox = []

                def on_tick(run):
                    done = found.contacts.filter(state__in=TERMINAL_STATES).count()
                    bar.update(done - bar.n)

                summary = campaign_simulate(campaign=found, on_tick=on_tick, max_ticks=max_ticks)
                emails = len(mail.outbox)
                if saved_outbox is not None:
                    mail.outbox = saved_outbox
        finally:
            logging.disable(previous_disable)
        elapsed = time.perf_counter() - started
        found.refresh_from_db()
        if verbosity:
            self._summary(found, summary, emails=emails, elapsed=elapsed)
        if summary.stopped:
            raise CommandError(summary.stopped)

    def _summary(self, campaign, summary, *, emails: int, elapsed: float) -> None:
        rate = summary.calls / elapsed if elapsed else 0
        states = Counter(
            dict(campaign.contacts.values_list("state").annotate(n=Count("pk")).order_by())
        )
        span = ""
        if summary.started and summary.clock:
            span = (
                f", simulated time {summary.started:%Y-%m-%d %H:%M} to "
                f"{summary.clock:%Y-%m-%d %H:%M} UTC"
            )
        by_state = ", ".join(
            f"{count} {state.replace('_', ' ')}" for state, count in sorted(states.items())
        )
        self.stdout.write(
            f"{summary.ticks} ticks, {summary.calls} calls in {elapsed:.1f} s "
            f"({rate:.0f} calls/s){span}; the campaign is {campaign.status}.\n"
            f"Contacts: {by_state or 'none'}. Emails: {emails} (kept in memory, not sent)."
        )

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from calls.simulation import campaign_simulate
from campaigns.models import Campaign, CampaignStatus
from contacts.models import TERMINAL_STATES
from voicesurvey.cli import lookup_by_id_or_name


class Command(BaseCommand):
    help = (
        "Run a running campaign to its end on the simulator: real scheduler ticks, every call "
        "through the webhooks, dialogue and outcome rules, on a simulated clock that skips "
        "retry waits and closed calling hours (what it records is dated on that clock). "
        "For demos and benchmarks."
    )

    def add_arguments(self, parser):
        parser.add_argument("campaign", help="the campaign's id, or its exact name")
        parser.add_argument(
            "--max-ticks", type=int, default=100_000, help="stop after this many ticks"
        )

    def handle(self, *args, campaign, max_ticks, verbosity, **options):
        found = lookup_by_id_or_name(Campaign.objects.all(), campaign, noun="campaign")
        if found.status != CampaignStatus.RUNNING:
            raise CommandError(
                f"The campaign is {found.status}; only a running campaign can be simulated "
                "(activate or resume it first)."
            )
        total = found.contacts.count()
        started = time.perf_counter()
        with tqdm(
            total=total, unit=" contacts", disable=verbosity == 0 or None, file=self.stderr
        ) as bar:

            def on_tick(run):
                done = found.contacts.filter(state__in=TERMINAL_STATES).count()
                bar.update(done - bar.n)

            summary = campaign_simulate(campaign=found, on_tick=on_tick, max_ticks=max_ticks)
        elapsed = time.perf_counter() - started
        found.refresh_from_db()
        if verbosity:
            rate = summary.calls / elapsed if elapsed else 0
            self.stdout.write(
                f"{summary.ticks} ticks, {summary.calls} calls in {elapsed:.1f} s "
                f"({rate:.0f} calls/s); the campaign is {found.status}."
            )
        if summary.stopped:
            raise CommandError(summary.stopped)

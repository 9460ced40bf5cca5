from __future__ import annotations

import resource
import time
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from demo.builders import demo_data_exists, demo_data_reset, demo_seed, demo_users_ensure
from voicesurvey.cli import progress_bar


class Command(BaseCommand):
    help = (
        "Fill the database with a realistic, reproducible demo data set: campaigns in every "
        "status, contacts in every state, ~3 call attempts per contact over 30 days, answers, "
        "events, emails and exclusions. With DEBUG on, also the demo logins."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--contacts", type=int, default=5000, help="contacts in all (5000)")
        parser.add_argument("--campaigns", type=int, default=7, help="campaigns (7)")
        parser.add_argument("--seed", type=int, default=1, help="random seed (1)")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing when campaigns already exist"
        )
        parser.add_argument(
            "--reset",
            action="store_true",
            help="first delete all campaigns, contacts, calls, exclusions and scheduler runs",
        )

    def handle(
        self,
        *args: Any,
        contacts: int,
        campaigns: int,
        seed: int,
        if_empty: bool,
        reset: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        if contacts < 0:
            raise CommandError("--contacts must be 0 or more.")
        if not 1 <= campaigns <= 63:
            raise CommandError("--campaigns must be between 1 and 63.")

        if settings.DEBUG:
            created = demo_users_ensure()
            if created and verbosity:
                self.stdout.write(f"Demo logins created: {', '.join(created)} (password = name)")

        if demo_data_exists():
            if if_empty:
                if verbosity:
                    self.stdout.write("Demo data already present; nothing to do.")
                return
            if not reset:
                raise CommandError(
                    "The database already has campaigns. Use --reset to replace them with demo "
                    "data, or --if-empty to leave them alone."
                )
            demo_data_reset()

        started = time.perf_counter()
        with progress_bar(self, verbosity, total=contacts, unit=" contacts") as bar:
            summary = demo_seed(
                contacts=contacts, campaigns=campaigns, seed=seed, progress=bar.update
            )
        elapsed = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if verbosity:
            self.stdout.write(
                self.style.SUCCESS(
                    f"Seeded {summary.campaigns} campaigns, {summary.contacts} contacts, "
                    f"{summary.attempts} call attempts, {summary.responses} survey responses, "
                    f"{summary.events} outcome events, {summary.emails} emails, "
                    f"{summary.exclusions} exclusions, {summary.scheduler_runs} scheduler runs "
                    f"in {elapsed:.1f} s (peak memory {peak_mb:.0f} MB)."
                )
            )

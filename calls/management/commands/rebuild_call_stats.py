from __future__ import annotations

import time
import uuid

from django.core.management.base import BaseCommand, CommandError

from calls.results_buckets import results_buckets_rebuild
from calls.stats_buckets import call_stats_rebuild
from campaigns.models import Campaign


class Command(BaseCommand):
    help = (
        "Recompute the call statistics the dashboards read (the closed attempts summed per "
        "quarter hour) from the call attempts, and the survey results rollup (answers counted "
        "per hour and per contact attribute) from the answers, for one campaign or all: after "
        "attempts or answers were written or deleted other than by the calls themselves (a bulk "
        "load, a restore), or to repair. Calls that end meanwhile wait for it to finish."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "campaign", nargs="?", help="the campaign's id (all campaigns when left out)"
        )

    def handle(self, *args, campaign, verbosity, **options):
        found = None
        if campaign is not None:
            try:
                found = Campaign.objects.get(pk=uuid.UUID(campaign))
            except (ValueError, Campaign.DoesNotExist):
                raise CommandError(f"No campaign with the id {campaign!r}.") from None
        started = time.perf_counter()
        buckets = call_stats_rebuild(campaign=found)
        results = results_buckets_rebuild(campaign=found)
        if verbosity:
            scope = f"campaign {found.pk}" if found else "all campaigns"
            self.stdout.write(
                f"{buckets} stats buckets and {results} results buckets rebuilt for {scope} "
                f"in {time.perf_counter() - started:.1f} s."
            )

from __future__ import annotations

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.models import Q
from django.utils import timezone

from calls.dialling import campaign_dialling_status
from calls.scheduler import scheduler_tick
from calls.services import call_attempts_reconcile
from campaigns.models import Campaign, CampaignStatus
from voicesurvey.tracing import traced

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = (
        "Run the call scheduler: each tick dials the contacts due now, then closes calls left "
        "without a final event past their timeout. --once runs one tick; without it, one tick "
        "every SCHEDULER_TICK_SECONDS until stopped (for a deployment without the task "
        "cluster's schedule: see setup_schedules). With --once (or -v 2), each running "
        "campaign's line says whether it dials and, if not, why and when it will."
    )

    def add_arguments(self, parser):
        parser.add_argument("--once", action="store_true", help="run one tick and exit")

    def handle(self, *args, once, verbosity, **options):
        # Each running campaign's dialling explained: after the one tick, or at -v 2 in the loop.
        self.explain_from = 1 if once else 2
        if once:
            self.tick(verbosity)
            return
        while True:
            started = time.monotonic()
            try:
                self.tick(verbosity)
            except Exception:
                # The database or the broker went away (a terminated session, a restart): the
                # tick's run says so, if it could be written, and its undialled attempts are
                # given back. The loop goes on; the next tick reconnects.
                logger.exception(
                    "scheduler tick failed; the next one in %ss", settings.SCHEDULER_TICK_SECONDS
                )
            finally:
                # Between ticks, as between requests: drop a connection that failed or is past
                # CONN_MAX_AGE, so that the next tick starts on a working one.
                close_old_connections()
            time.sleep(max(0.0, settings.SCHEDULER_TICK_SECONDS - (time.monotonic() - started)))

    explain_from = 1

    @traced  # each tick, with its reconciliation, under a trace id of its own
    def tick(self, verbosity: int) -> None:
        run = scheduler_tick()
        closed = call_attempts_reconcile()
        if verbosity:
            assert run.finished_at is not None  # scheduler_tick returns a finished run
            elapsed_ms = (run.finished_at - run.started_at).total_seconds() * 1000
            extra = ""
            if run.details.get("paused_until"):
                extra = f"; dialling paused until {run.details['paused_until']}"
            self.stdout.write(
                f"tick: {run.campaigns_seen} running campaigns, {run.calls_placed} calls placed, "
                f"{run.errors} errors, {closed} stale calls closed in {elapsed_ms:.0f} ms{extra}"
            )
        if verbosity >= self.explain_from:
            self.explain(run.details.get("paused_over_budget", []))

    def explain(self, paused_now: list[str]) -> None:
        """One line per running campaign (and per one this tick paused for its budget): the
        campaign page's and the API's `dialling` message."""
        now = timezone.now()
        campaigns = Campaign.objects.filter(
            Q(status=CampaignStatus.RUNNING) | Q(pk__in=paused_now)
        ).order_by("created_at", "pk")
        for campaign in campaigns:
            status = campaign_dialling_status(campaign, now=now)
            self.stdout.write(f"  {campaign.name} ({campaign.pk}): {status.message}")

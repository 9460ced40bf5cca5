from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

# The periodic work of the product, run by the django-q2 cluster: (name, task, minutes).
SCHEDULES = (
    ("calls: scheduler tick", "calls.tasks.scheduler_tick_task", None),
    ("calls: reconcile stale calls", "calls.tasks.call_attempts_reconcile_task", 1),
    ("calls: send follow-up emails", "calls.tasks.notifications_drain_task", 1),
    ("exports: reap stale export jobs", "exports.tasks.export_reap_stale_task", 5),
    ("calls: purge old transcripts", "calls.tasks.call_transcripts_purge_task", 60),
)


def schedules_ensure() -> list[tuple[str, bool]]:
    """Create or update each schedule by name; (name, created) for each. Idempotent: a schedule
    that exists keeps its next run time."""
    results = []
    for name, func, minutes in SCHEDULES:
        minutes = minutes or max(1, settings.SCHEDULER_TICK_SECONDS // 60)
        _, created = Schedule.objects.update_or_create(
            name=name,
            defaults={
                "func": func,
                "schedule_type": Schedule.MINUTES,
                "minutes": minutes,
                "repeats": -1,
            },
        )
        results.append((name, created))
    return results


class Command(BaseCommand):
    help = (
        "Create or update the periodic tasks (scheduler tick, reconciliation, emails, export "
        "reaping, transcript retention)."
    )

    def handle(self, *args, verbosity, **options):
        for name, created in schedules_ensure():
            if verbosity:
                self.stdout.write(f"{'created' if created else 'up to date'}: {name}")

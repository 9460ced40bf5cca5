from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand
from django_q.models import Schedule

from voicesurvey.task_policy import PERIODIC_TASKS


def schedules_ensure() -> list[tuple[str, bool]]:
    """Create or update each schedule by name; (name, created) for each. Idempotent: a schedule
    that exists keeps its next run time."""
    results = []
    for name, func, minutes in PERIODIC_TASKS:
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
        "reaping and retention, transcript retention)."
    )

    def handle(self, *args, verbosity, **options):
        for name, created in schedules_ensure():
            if verbosity:
                self.stdout.write(f"{'created' if created else 'up to date'}: {name}")

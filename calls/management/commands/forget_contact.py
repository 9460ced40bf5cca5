from __future__ import annotations

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from calls.erasure import contact_forget


class Command(BaseCommand):
    help = (
        "Delete everything held about a phone number in every campaign (GDPR): its contacts, "
        "call attempts and events, answers, outcome events and emails. The number stays on the "
        "exclusion list if it is there. The same as POST /api/contacts/forget."
    )

    def add_arguments(self, parser):
        parser.add_argument("phone_number", help="in any notation; national numbers as uploads")
        parser.add_argument(
            "--yes", action="store_true", help="do not ask for confirmation (scripts)"
        )

    def handle(self, *args, phone_number, yes, **options):
        if not yes:
            answer = input("This deletes the number's contacts and calls for good. Type 'yes': ")
            if answer.strip().lower() != "yes":
                raise CommandError("Nothing was deleted.")
        try:
            report = contact_forget(phone_number=phone_number, actor=None)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.message_dict["phone_number"])) from exc
        self.stdout.write(
            f"Deleted {report.contacts} contact{'' if report.contacts == 1 else 's'} in "
            f"{report.campaigns} campaign{'' if report.campaigns == 1 else 's'}, with "
            f"{report.attempts} call attempt{'' if report.attempts == 1 else 's'}."
        )

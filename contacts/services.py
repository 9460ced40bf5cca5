from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from campaigns.services import DIALABLE_CONTACT
from contacts.models import Contact, ContactState, ExclusionEntry, ExclusionSource
from contacts.phones import InvalidPhoneNumber, phone_normalize
from voicesurvey.models import User
from voicesurvey.services import audit_log_record


def contacts_exclude_numbers(*, phone_numbers: list[str]) -> int:
    """Turn every contact with one of these (E.164) numbers that can still be dialled into
    `excluded`, in every campaign, in one UPDATE. Returns how many changed."""
    dialable = Contact.objects.filter(DIALABLE_CONTACT, phone_number__in=phone_numbers)
    return Contact.objects.filter(pk__in=dialable.values("pk")).update(
        state=ContactState.EXCLUDED, next_attempt_at=None
    )


@transaction.atomic
def exclusion_add(
    *,
    phone_number: str,
    reason: str = "",
    source: str = ExclusionSource.MANUAL,
    actor: User | None = None,
) -> tuple[ExclusionEntry, bool, int]:
    """Put a number on the exclusion list (idempotent) and exclude the contacts that could still
    be dialled with it. Returns (entry, created, contacts excluded). A number that does not
    parse is a ValidationError on `phone_number`."""
    try:
        e164 = phone_normalize(phone_number)
    except InvalidPhoneNumber as exc:
        raise ValidationError({"phone_number": str(exc)}) from exc
    entry, created = ExclusionEntry.objects.get_or_create(
        phone_number=e164, defaults={"reason": reason[:255], "source": source}
    )
    excluded = contacts_exclude_numbers(phone_numbers=[e164])
    if created:
        audit_log_record(
            actor=actor,
            action="exclusion.add",
            obj=entry,
            details={"source": source, "contacts_excluded": excluded},
        )
    return entry, created, excluded

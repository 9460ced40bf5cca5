"""A person's erasure (GDPR): their contacts go, and with them everything the engine recorded
of their calls. Here, in the engine, because it deletes calls and recomputes their statistics;
the contacts app sits below and knows nothing of calls."""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from calls.models import CallAttempt, SurveyResponse
from calls.results_buckets import results_buckets_remove
from calls.stats_buckets import call_stats_rebuild
from campaigns.models import Campaign
from contacts.models import Contact
from contacts.phones import InvalidPhoneNumber, phone_normalize
from contacts.services.rejected_rows import rejected_rows_forget
from voicesurvey.models import User
from voicesurvey.services import audit_log_record
from voicesurvey.stats_cache import campaign_stats_invalidate


@dataclass(frozen=True)
class ContactForgetReport:
    contacts: int  # contacts deleted (one per campaign the number was in)
    campaigns: int
    attempts: int  # their call attempts, with the events, answers, outcome events and emails


@transaction.atomic
def contact_forget(*, phone_number: str, actor: User | None) -> ContactForgetReport:
    """Delete everything held about a phone number, in every campaign (docs/architecture.md
    §10): its contacts, and with them their call attempts and events, survey answers, outcome
    events and follow-up emails; the campaigns' call statistics are recomputed without them and
    their surveys leave the results rollup. The exclusion list keeps the number (that is how
    "do not call me" is honoured), and the audit log records the deletion by counts, never the
    number. ValidationError on `phone_number` when it does not parse."""
    try:
        e164 = phone_normalize(phone_number)
    except InvalidPhoneNumber as exc:
        raise ValidationError({"phone_number": [str(exc)]}) from exc
    contacts = Contact.objects.filter(phone_number=e164)
    campaign_ids = sorted({str(pk) for pk in contacts.values_list("campaign_id", flat=True)})
    attempts = CallAttempt.objects.filter(contact__in=contacts).count()
    deleted = contacts.count()
    results_buckets_remove(responses=SurveyResponse.objects.filter(contact__in=contacts))
    contacts.delete()  # cascades to attempts, events, responses, outcome events, emails
    rejected_rows_forget(e164=e164)  # uploads' rejected rows, kept a day for download
    for campaign in Campaign.objects.filter(pk__in=campaign_ids):
        call_stats_rebuild(campaign=campaign)
        transaction.on_commit(_invalidator(campaign.pk))
    report = ContactForgetReport(contacts=deleted, campaigns=len(campaign_ids), attempts=attempts)
    audit_log_record(
        actor=actor,
        action="contact.forget",
        object_type="contacts.contact",
        details={"contacts": deleted, "call_attempts": attempts, "campaign_ids": campaign_ids},
    )
    return report


def _invalidator(campaign_id):
    # A named function, not a partial: Django's robust on_commit reports a failing callback by
    # its __qualname__, which a partial lacks.
    def invalidate() -> None:
        campaign_stats_invalidate(campaign_id=campaign_id)

    return invalidate

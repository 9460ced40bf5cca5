"""Re-queueing a finished campaign's not-reached contacts into a new run (issue 15 item 13).

Here, in contacts, because it copies contacts into a clone that campaigns makes."""

from __future__ import annotations

import functools
import logging
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Exists, OuterRef

from campaigns.lifecycle import FINAL_STATUSES
from campaigns.models import Campaign
from campaigns.services import campaign_clone
from contacts.models import Contact, ContactState, ExclusionEntry
from voicesurvey.models import User
from voicesurvey.services import audit_log_record
from voicesurvey.stats_cache import campaign_stats_invalidate

logger = logging.getLogger(__name__)


REQUEUE_BATCH = 5000
# What a copied contact keeps: who they are, not what happened to them.
_COPIED_FIELDS = (
    "external_contact_id",
    "phone_number",
    "email",
    "preferred_language",
    "timezone",
    "has_prior_consent",
    "attributes",
)


class RequeueRefused(Exception):
    """The campaign cannot be re-queued (yet); the message says why."""


@dataclass(frozen=True)
class RequeueResult:
    campaign: Campaign  # the new draft
    contacts: int  # contacts copied into it, pending


def requeue_candidates(campaign: Campaign):
    """The campaign's contacts that were not reached and may still be called: not asked not
    to be called, and not on the exclusion list now."""
    return (
        Contact.objects.filter(campaign=campaign, state=ContactState.NOT_REACHED, do_not_call=False)
        .exclude(Exists(ExclusionEntry.objects.filter(phone_number=OuterRef("phone_number"))))
        .order_by("created_at", "id")
    )


@transaction.atomic
def campaign_requeue_not_reached(*, campaign: Campaign, actor: User | None) -> RequeueResult:
    """A new draft cloned from a finished (completed or cancelled) campaign, with the contacts
    it did not reach (and may still call) copied in as pending: activate it to call them again.
    A campaign not finished, or with no such contacts, is refused (RequeueRefused)."""
    campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
    if campaign.status not in FINAL_STATUSES:
        raise RequeueRefused(
            f"Only a completed or cancelled campaign can be re-queued; this one is "
            f"{campaign.get_status_display().lower()}."
        )
    candidates = requeue_candidates(campaign)
    if not candidates.exists():
        raise RequeueRefused(
            "No contact of this campaign was left not reached (or all are excluded now)."
        )
    clone = campaign_clone(campaign=campaign, actor=actor, name=f"{campaign.name} (re-run)")
    copied = 0
    batch: list[Contact] = []
    for row in candidates.values(*_COPIED_FIELDS).iterator(chunk_size=REQUEUE_BATCH):
        batch.append(Contact(campaign=clone, **row))
        if len(batch) >= REQUEUE_BATCH:
            Contact.objects.bulk_create(batch)
            copied += len(batch)
            batch = []
    if batch:
        Contact.objects.bulk_create(batch)
        copied += len(batch)
    audit_log_record(
        actor=actor,
        action="campaign.requeue",
        obj=clone,
        details={"from": str(campaign.pk), "contacts": copied},
    )
    transaction.on_commit(functools.partial(campaign_stats_invalidate, campaign_id=clone.pk))
    logger.info(
        "campaign %s: %d not-reached contacts re-queued into %s", campaign.pk, copied, clone.pk
    )
    return RequeueResult(campaign=clone, contacts=copied)

"""Writes to campaigns. Every status change goes through `_campaign_transition`, which applies
the lifecycle table (campaigns/lifecycle.py), saves and audit-logs."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from campaigns import lifecycle
from campaigns.models import Campaign, CampaignStatus
from contacts.models import ContactState
from voicesurvey.models import User
from voicesurvey.services import audit_log_record


def _campaign_transition(
    *, campaign: Campaign, action: str, actor: User | None, details: dict | None = None
) -> Campaign:
    """Move the campaign by `action`; TransitionError (a ValueError) when not allowed.
    The row is locked first, so two concurrent actions cannot both apply."""
    locked = Campaign.objects.select_for_update().get(pk=campaign.pk)
    previous = locked.status
    locked.status = lifecycle.next_status(previous, action)
    locked.save(update_fields=["status", "updated_at"])
    audit_log_record(
        actor=actor,
        action=f"campaign.{action}",
        obj=locked,
        details={"from": previous, "to": locked.status, **(details or {})},
    )
    campaign.status, campaign.updated_at = locked.status, locked.updated_at
    return campaign


def campaign_start_due(*, now: dt.datetime | None = None) -> list[Campaign]:
    """Scheduled campaigns whose `starts_at` has come turn running. Returns those started."""
    now = now or timezone.now()
    started = []
    due = Campaign.objects.filter(status=CampaignStatus.SCHEDULED, starts_at__lte=now)
    for campaign in due:
        with transaction.atomic():
            try:
                started.append(_campaign_transition(campaign=campaign, action="start", actor=None))
            except lifecycle.TransitionError:
                continue  # changed (paused, cancelled) since we read it
    return started


def campaign_has_work_left(campaign: Campaign) -> bool:
    """Anyone left to dial or a call in flight: pending or in-progress contacts, or not-reached
    contacts with attempts left (after max_attempts was raised)."""
    return campaign.contacts.filter(
        Q(state__in=[ContactState.PENDING, ContactState.IN_PROGRESS])
        | Q(state=ContactState.NOT_REACHED, attempts_count__lt=campaign.max_attempts)
    ).exists()


@transaction.atomic
def campaign_complete_if_finished(*, campaign: Campaign) -> bool:
    """A running campaign with nothing left to dial and no call in flight turns completed."""
    if campaign.status != CampaignStatus.RUNNING or campaign_has_work_left(campaign):
        return False
    try:
        _campaign_transition(campaign=campaign, action="complete", actor=None)
    except lifecycle.TransitionError:
        return False
    return True


# Used by contacts.services.exclusion_add to find contacts that can still be dialled.
DIALABLE_CONTACT = Q(state=ContactState.PENDING) | Q(
    state=ContactState.NOT_REACHED, attempts_count__lt=F("campaign__max_attempts")
)

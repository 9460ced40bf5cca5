"""What campaigns spend on calls, and their budgets (docs/dashboards.md, "Cost").

A call is billed per started minute of talk time (answer → end), at the provider
configuration's cost per minute, in CALL_COST_CURRENCY: the closed calls' billed minutes are
summed in their stats buckets when they close (calls/stats_buckets.py), so a campaign's spend is
one aggregate over its buckets. The price is today's: changing the cost per minute reprices
every campaign's past calls too (the buckets keep minutes, not money). Calls in flight are
not billed until they end, so a budget can be overrun by the calls in flight when it is
reached.

A campaign's optional `budget` is checked by every scheduler tick before it dials
(`campaigns_over_budget_pause`): a running campaign that has spent its budget is paused, by
the system, with the budget and the spend in the audit entry.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.conf import settings
from django.db.models import Max, Q, Sum
from django.db.models.functions import Coalesce

from calls.models import CallOutcome, CallStatsBucket, ProviderConfig
from campaigns import lifecycle
from campaigns.models import Campaign, CampaignStatus
from campaigns.selectors import PAUSE_REASON_BUDGET
from campaigns.services import campaign_pause

_CENT = Decimal("0.01")


@dataclass(frozen=True)
class CampaignSpend:
    billed_minutes: int
    completed_surveys: int
    spent: Decimal  # in `currency`, to the cent
    budget: Decimal | None
    currency: str

    @property
    def per_completed_survey(self) -> Decimal | None:
        if not self.completed_surveys:
            return None
        return (self.spent / self.completed_surveys).quantize(_CENT)

    @property
    def budget_reached(self) -> bool:
        return self.budget is not None and self.spent >= self.budget

    @property
    def budget_left(self) -> Decimal | None:
        return None if self.budget is None else max(Decimal(0), self.budget - self.spent)

    def as_dict(self) -> dict:
        """The API's `cost` object: amounts as strings of two decimals (money, not floats)."""

        def money(value: Decimal | None) -> str | None:
            return None if value is None else f"{value:.2f}"

        return {
            "currency": self.currency,
            "billed_minutes": self.billed_minutes,
            "spent": money(self.spent),
            "completed_surveys": self.completed_surveys,
            "per_completed_survey": money(self.per_completed_survey),
            "budget": money(self.budget),
            "budget_left": money(self.budget_left),
            "budget_reached": self.budget_reached,
        }


def cost_per_minute() -> Decimal:
    """The configured price of a billed minute (0 before the configuration exists)."""
    value = ProviderConfig.objects.filter(pk=ProviderConfig.SINGLETON_ID).aggregate(
        v=Max("cost_per_minute")
    )["v"]
    return Decimal(value or 0)


def campaigns_spend(
    campaigns: Iterable[Campaign], *, price: Decimal | None = None
) -> dict[uuid.UUID, CampaignSpend]:
    """Each campaign's spend, in two queries whatever their number: the price (unless given),
    and the billed minutes and completed calls per campaign from the stats buckets."""
    campaigns = list(campaigns)
    # A configuration just created holds its default as given (an int), not as read back.
    price = cost_per_minute() if price is None else Decimal(price)
    rows = {
        row["campaign_id"]: row
        for row in CallStatsBucket.objects.filter(campaign__in=[c.pk for c in campaigns])
        .order_by()
        .values("campaign_id")
        .annotate(
            minutes=Coalesce(Sum("billed_minutes"), 0),
            completed=Coalesce(Sum("attempts", filter=Q(outcome=CallOutcome.COMPLETED)), 0),
        )
    }
    spend = {}
    for campaign in campaigns:
        row = rows.get(campaign.pk, {"minutes": 0, "completed": 0})
        minutes = int(row["minutes"])
        spend[campaign.pk] = CampaignSpend(
            billed_minutes=minutes,
            completed_surveys=int(row["completed"]),
            spent=(price * minutes).quantize(_CENT),
            budget=campaign.budget,
            currency=settings.CALL_COST_CURRENCY,
        )
    return spend


def campaign_spend(campaign: Campaign) -> CampaignSpend:
    return campaigns_spend([campaign])[campaign.pk]


def campaigns_over_budget_pause(*, campaign_ids: list | None = None) -> list[Campaign]:
    """Pause the running campaigns (of `campaign_ids`, or all) that have spent their budget,
    as the system, the budget and the spend in the audit entry (reason "budget"). Returns
    those paused. One query when no running campaign has a budget."""
    running = Campaign.objects.filter(status=CampaignStatus.RUNNING, budget__isnull=False)
    if campaign_ids is not None:
        running = running.filter(pk__in=campaign_ids)
    campaigns = list(running)
    if not campaigns:
        return []
    paused = []
    spends = campaigns_spend(campaigns)
    for campaign in campaigns:
        spend = spends[campaign.pk]
        if not spend.budget_reached:
            continue
        try:
            campaign_pause(
                campaign=campaign,
                actor=None,
                reason=PAUSE_REASON_BUDGET,
                details=spend.as_dict(),
            )
        except lifecycle.TransitionError:
            continue  # paused or cancelled by someone meanwhile
        paused.append(campaign)
    return paused

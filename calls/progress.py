"""How far campaigns have come, their pace and when they should finish (issue 15;
docs/dashboards.md, "Progress and estimated finish"): the campaign page, the campaign list and
the API read it.

- Done: contacts no call will be made to any more (completed, refused, excluded, not reached
  with no attempt left); left: those still to dial, and those on a call now.
- Calls per hour now: attempts started in the last 60 minutes.
- Pace: attempts per hour of activity over the last 24 hours (an hour of activity: four
  quarter hours in which calls started), else over the campaign's whole life; so a campaign
  read at night keeps the pace of its day.
- Attempts still to come: for each contact left with k attempts left, the attempts it will
  take if each call reaches the person with the campaign's answer rate p so far,
  (1 − (1 − p)^k) / p (k when nothing was answered yet: the most it can take).
- Estimated finish: those attempts at that pace are so many calling hours, counted from now
  along the campaign's calling windows (its window and days, in its time zone); never before
  the last retry already scheduled. None when there is no pace yet, or when not running.

In three queries whatever the number of campaigns: contacts grouped by campaign, state and
attempts; the attempts of the last hour per campaign; the stats buckets per campaign.
"""

from __future__ import annotations

import datetime as dt
import uuid
import zoneinfo
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from django.db.models import Count, Max, Q, Sum
from django.db.models.functions import Coalesce

from calls.models import CallAttempt, CallOutcome, CallStatsBucket
from calls.stats_buckets import GIVEN_BACK_ERROR_CODES
from campaigns.contact_states import DIALABLE_STATES, ContactState
from campaigns.models import Campaign, CampaignStatus
from contacts.models import Contact

_HOUR = dt.timedelta(hours=1)
_DAY = dt.timedelta(days=1)
# How far ahead the calling windows are walked: an estimate beyond it is "not within a year".
HORIZON_DAYS = 366


@dataclass(frozen=True)
class CampaignProgress:
    contacts_total: int
    contacts_done: int
    contacts_left: int
    percent_done: float | None  # None without contacts
    calls_last_hour: int
    calls_per_hour: float | None  # the pace; None before any call
    attempts_left: int  # expected, see the module's docstring
    calling_hours_left: float | None
    estimated_finish: dt.datetime | None

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Contacts:
    """One campaign's contacts as the progress counts them."""

    total: int = 0
    left: int = 0  # still to dial, or on a call now
    left_by_attempts: dict[int, int] = field(default_factory=dict)  # attempts left: contacts
    latest_retry: dt.datetime | None = None


def campaigns_progress(
    campaigns: Iterable[Campaign], *, now: dt.datetime
) -> dict[uuid.UUID, CampaignProgress]:
    campaigns = list(campaigns)
    ids = [c.pk for c in campaigns]
    if not ids:
        return {}
    by_id = {c.pk: c for c in campaigns}
    totals = {pk: _Contacts() for pk in ids}
    for row in (
        Contact.objects.filter(campaign__in=ids)
        .order_by()
        .values("campaign_id", "state", "attempts_count", "do_not_call")
        .annotate(n=Count("pk"), latest_retry=Max("next_attempt_at"))
    ):
        campaign = by_id[row["campaign_id"]]
        contacts = totals[campaign.pk]
        contacts.total += row["n"]
        dialable = (
            row["state"] in DIALABLE_STATES
            and not row["do_not_call"]
            and row["attempts_count"] < campaign.max_attempts
        )
        if dialable or row["state"] == ContactState.IN_PROGRESS:
            contacts.left += row["n"]
        if dialable:
            k = campaign.max_attempts - row["attempts_count"]
            contacts.left_by_attempts[k] = contacts.left_by_attempts.get(k, 0) + row["n"]
            latest = row["latest_retry"]
            if latest is not None and (
                contacts.latest_retry is None or latest > contacts.latest_retry
            ):
                contacts.latest_retry = latest

    last_hour = dict(
        CallAttempt.objects.filter(campaign__in=ids, started_at__gt=now - _HOUR)
        .exclude(error_code__in=GIVEN_BACK_ERROR_CODES)
        .order_by()
        .values("campaign_id")
        .annotate(n=Count("pk"))
        .values_list("campaign_id", "n")
    )

    recent = Q(bucket_start__gte=now - _DAY)
    buckets = {
        row["campaign_id"]: row
        for row in CallStatsBucket.objects.filter(campaign__in=ids)
        .order_by()
        .values("campaign_id")
        .annotate(
            finished=Coalesce(Sum("attempts"), 0),
            answered=Coalesce(
                Sum(
                    "attempts",
                    filter=Q(outcome__in=(CallOutcome.COMPLETED, CallOutcome.REFUSED)),
                ),
                0,
            ),
            recent_attempts=Coalesce(Sum("attempts", filter=recent), 0),
            recent_quarters=Count("bucket_start", filter=recent, distinct=True),
            quarters=Count("bucket_start", distinct=True),
        )
    }

    progress = {}
    for campaign in campaigns:
        contacts = totals[campaign.pk]
        row = buckets.get(campaign.pk)
        pace = _pace(row)
        p = row["answered"] / row["finished"] if row and row["finished"] else 0.0
        attempts_left = round(
            sum(n * _expected_attempts(k, p) for k, n in contacts.left_by_attempts.items())
        )
        hours_left = attempts_left / pace if pace else None
        finish = None
        if campaign.status == CampaignStatus.RUNNING and hours_left is not None:
            if attempts_left == 0:
                finish = now  # only calls in progress are left: they end within minutes
            else:
                finish = _calling_hours_from(campaign, now, hours_left)
                latest = contacts.latest_retry
                if finish is not None and latest is not None and latest > finish:
                    finish = latest
        total, left = contacts.total, contacts.left
        progress[campaign.pk] = CampaignProgress(
            contacts_total=total,
            contacts_done=total - left,
            contacts_left=left,
            percent_done=round(100.0 * (total - left) / total, 1) if total else None,
            calls_last_hour=last_hour.get(campaign.pk, 0),
            calls_per_hour=None if pace is None else round(pace, 1),
            attempts_left=attempts_left,
            calling_hours_left=None if hours_left is None else round(hours_left, 1),
            estimated_finish=finish,
        )
    return progress


def campaign_progress(campaign: Campaign, *, now: dt.datetime) -> CampaignProgress:
    return campaigns_progress([campaign], now=now)[campaign.pk]


def _pace(row: dict | None) -> float | None:
    """Attempts per hour of activity: over the last 24 hours, else over all time."""
    if not row:
        return None
    if row["recent_quarters"]:
        return row["recent_attempts"] / (row["recent_quarters"] / 4)
    if row["quarters"]:
        return row["finished"] / (row["quarters"] / 4)
    return None


def _expected_attempts(k: int, p: float) -> float:
    """Expected attempts of a contact with k attempts left, each reaching the person with
    probability p; k when p is 0 (nobody reached yet: the most it can take)."""
    if p <= 0:
        return float(k)
    return (1 - (1 - p) ** k) / p


def _calling_hours_from(campaign: Campaign, start: dt.datetime, hours: float) -> dt.datetime | None:
    """The moment `hours` of calling time after `start`, walking the campaign's windows in its
    time zone; None beyond HORIZON_DAYS (or without a call day)."""
    try:
        zone = zoneinfo.ZoneInfo(campaign.timezone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return None
    remaining = dt.timedelta(hours=hours)
    local = start.astimezone(zone)
    days = set(campaign.call_days or ())
    for offset in range(HORIZON_DAYS):
        day = local.date() + dt.timedelta(days=offset)
        if day.isoweekday() not in days:
            continue
        opens = dt.datetime.combine(day, campaign.call_window_start, tzinfo=zone)
        closes = dt.datetime.combine(day, campaign.call_window_end, tzinfo=zone)
        # In UTC: wall-clock arithmetic on zoned datetimes would lose a DST change's hour.
        begin = max(opens.astimezone(dt.UTC), start.astimezone(dt.UTC))
        end = closes.astimezone(dt.UTC)
        if end <= begin:
            continue
        if end - begin >= remaining:
            return begin + remaining
        remaining -= end - begin
    return None

"""Why a campaign is dialling or not, and when it will (issue 15; docs/dashboards.md,
"Dialling"): the one answer the campaign page, `GET /api/campaigns/{id}` (`dialling`) and
`run_scheduler --once` give.

The reasons follow the scheduler's own order of checks (calls/scheduler.py): the campaign's
status; nothing left to dial; its budget; the provider's outage pause; whether the scheduler
runs at all; then, among the contacts left to dial, those due now in an open calling window
(dialled, unless every line is busy), those waiting for their retry time, and those whose
calling hours are closed. Times in the message are in the campaign's time zone, named.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import asdict, dataclass

from django.conf import settings
from django.db.models import Count, Min, Q

from calls.models import CallAttempt, ProviderConfig, SchedulerRun
from calls.progress import campaign_progress, campaigns_progress
from calls.selectors import provider_config_get
from calls.spend import campaign_spend, campaigns_spend
from campaigns.contact_states import dialable_q
from campaigns.hours import calling_window, contact_zone, next_window_opening, zone_is_open
from campaigns.models import Campaign, CampaignStatus
from campaigns.selectors import PAUSE_REASON_BUDGET, campaign_pause_reason

# A scheduler whose last tick started longer ago than this many ticks is taken to be stopped.
SCHEDULER_SILENT_TICKS = 3


class Reason:
    """The `reason` codes of the `dialling` object (docs/api.md)."""

    DIALLING = "dialling"
    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PAUSED = "paused"
    BUDGET_REACHED = "budget_reached"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NOTHING_LEFT = "nothing_left"
    FINISHING = "finishing"
    PROVIDER_OUTAGE = "provider_outage"
    SCHEDULER_STOPPED = "scheduler_stopped"
    CONCURRENCY_LIMIT = "concurrency_limit"
    WAITING_FOR_RETRIES = "waiting_for_retries"
    OUTSIDE_CALLING_HOURS = "outside_calling_hours"


REASONS = [value for name, value in vars(Reason).items() if name.isupper()]


@dataclass(frozen=True)
class DiallingStatus:
    dialling: bool  # calls are being placed now (or will be at the next tick)
    reason: str  # one of Reason
    message: str  # the reason in a sentence, times in the campaign's zone, named
    next_dial_at: dt.datetime | None  # when dialling (re)starts, when known
    contacts_left: int  # dialable contacts (pending, or not reached with attempts left)
    due_now: int  # of those, due and inside their calling hours now
    in_flight: int  # the campaign's calls in progress

    def as_dict(self) -> dict:
        return asdict(self)


def moment_label(moment: dt.datetime, *, zone: str, now: dt.datetime) -> str:
    """A moment as a person reads it in `zone`: "14:20" today, "Mon 09:00" within a week,
    else "Mon 12 Jan 09:00"; always followed by the zone's name."""
    tz = zoneinfo.ZoneInfo(zone)
    local, today = moment.astimezone(tz), now.astimezone(tz).date()
    if local.date() == today:
        text = f"{local:%H:%M}"
    elif dt.timedelta(0) <= local.date() - today < dt.timedelta(days=7):
        text = f"{local:%a %H:%M}"
    else:
        text = f"{local:%a %d %b %H:%M}"
    return f"{text} {zone}"


def _number(value: int) -> str:
    return f"{value:,}"


def _contacts(count: int) -> str:
    return f"{_number(count)} contact{'s' if count != 1 else ''}"


def _status(reason: str, message: str, **figures) -> DiallingStatus:
    base = {"next_dial_at": None, "contacts_left": 0, "due_now": 0, "in_flight": 0}
    return DiallingStatus(
        dialling=reason == Reason.DIALLING, reason=reason, message=message, **(base | figures)
    )


def campaign_dialling_status(
    campaign: Campaign,
    *,
    now: dt.datetime,
    config: ProviderConfig | None = None,
    zone: str | None = None,
) -> DiallingStatus:
    """Whether the campaign dials now, and if not why and when it will: times in the
    campaign's zone, or in `zone` (a viewer's own). A few queries: the provider configuration,
    the calls in flight, the dialable contacts per time zone, the last scheduler tick; the
    spend when the campaign has a budget; the pause's audit entry when paused; none for a
    draft, a scheduled or a finished campaign."""
    zone = zone or campaign.timezone
    if campaign.status == CampaignStatus.DRAFT:
        return _status(Reason.DRAFT, "A draft: nobody is called until it is activated.")
    if campaign.status == CampaignStatus.COMPLETED:
        return _status(Reason.COMPLETED, "Completed: every contact has been dealt with.")
    if campaign.status == CampaignStatus.CANCELLED:
        return _status(Reason.CANCELLED, "Cancelled: nobody more is called.")
    if campaign.status == CampaignStatus.SCHEDULED:
        starts = campaign.starts_at
        when = moment_label(starts, zone=zone, now=now) if starts else "soon"
        return _status(Reason.SCHEDULED, f"Scheduled: calling starts {when}.", next_dial_at=starts)

    config = config or provider_config_get()
    flights = CallAttempt.objects.filter(outcome__isnull=True).aggregate(
        mine=Count("pk", filter=Q(campaign=campaign)),
        provider=Count("pk", filter=Q(provider=config.provider)),
    )
    zones = _dialable_by_zone(campaign, now=now)
    figures = {"contacts_left": sum(g["left"] for g in zones), "in_flight": flights["mine"]}
    if campaign.status == CampaignStatus.PAUSED:
        return _paused_status(campaign, now=now, figures=figures, zone=zone)
    return _stopped_status(
        campaign, config=config, now=now, figures=figures, zone=zone
    ) or _queue_status(
        campaign,
        zones,
        zone=zone,
        now=now,
        limit=config.max_concurrent_calls,
        provider_in_flight=flights["provider"],
        figures=figures,
    )


def _paused_status(
    campaign: Campaign, *, now: dt.datetime, figures: dict, zone: str
) -> DiallingStatus:
    paused = campaign_pause_reason(campaign) or {}
    if paused.get("reason") == PAUSE_REASON_BUDGET:
        currency = paused.get("currency", settings.CALL_COST_CURRENCY)
        return _status(
            Reason.BUDGET_REACHED,
            f"Paused by the system: its budget of {paused.get('budget')} {currency} is "
            f"spent ({paused.get('spent')} {currency}). Raise the budget, then resume it.",
            **figures,
        )
    by = f" by {paused['by']}" if paused.get("by") else ""
    since = f" at {moment_label(paused['at'], zone=zone, now=now)}" if paused.get("at") else ""
    return _status(
        Reason.PAUSED, f"Paused{by}{since}: nobody is called until it is resumed.", **figures
    )


def _stopped_status(
    campaign: Campaign, *, config: ProviderConfig, now: dt.datetime, figures: dict, zone: str
) -> DiallingStatus | None:
    """A running campaign that cannot dial whatever its contacts: nothing left, its budget
    spent, the provider's outage pause, no scheduler. None when none of these holds."""
    left, in_flight = figures["contacts_left"], figures["in_flight"]
    if not left:
        if in_flight:
            calls = f"{_number(in_flight)} call{'s' if in_flight != 1 else ''}"
            return _status(
                Reason.FINISHING,
                f"No contact left to dial; {calls} in progress. It completes when they end.",
                **figures,
            )
        return _status(
            Reason.NOTHING_LEFT,
            "No contact left to dial: the scheduler completes it at its next tick.",
            **figures,
        )
    if campaign.budget is not None:
        spend = campaigns_spend([campaign], price=config.cost_per_minute)[campaign.pk]
        if spend.budget_reached:
            return _status(
                Reason.BUDGET_REACHED,
                f"Its budget of {spend.budget:.2f} {spend.currency} is spent "
                f"({spend.spent:.2f} {spend.currency}): the scheduler pauses it at its next tick.",
                **figures,
            )
    paused_until = config.dialling_paused_until
    if paused_until is not None and paused_until > now:
        return _status(
            Reason.PROVIDER_OUTAGE,
            f"Dialling paused: provider outage, until "
            f"{moment_label(paused_until, zone=zone, now=now)}.",
            next_dial_at=paused_until,
            **figures,
        )
    last = SchedulerRun.objects.order_by("-started_at").values_list("started_at", flat=True).first()
    silent = dt.timedelta(seconds=SCHEDULER_SILENT_TICKS * settings.SCHEDULER_TICK_SECONDS)
    if last is None or now - last > silent:
        since = f"since {moment_label(last, zone=zone, now=now)}" if last else "yet"
        return _status(
            Reason.SCHEDULER_STOPPED,
            f"The scheduler has not run {since}: start it (the task cluster, or "
            "`manage.py run_scheduler`).",
            **figures,
        )
    return None


def _queue_status(
    campaign: Campaign,
    zones: list[dict],
    *,
    zone: str,
    now: dt.datetime,
    limit: int,
    provider_in_flight: int,
    figures: dict,
) -> DiallingStatus:
    """A running campaign the scheduler serves: whom it dials now, or why nobody is due."""
    open_groups = [g for g in zones if g["open"]]
    due = sum(g["due"] for g in open_groups)
    figures = {**figures, "due_now": due}
    if due:
        if provider_in_flight >= limit:
            return _status(
                Reason.CONCURRENCY_LIMIT,
                f"Limit of {_number(limit)} concurrent calls reached: {_contacts(due)} due now "
                "wait for a free line.",
                next_dial_at=now,
                **figures,
            )
        return _status(
            Reason.DIALLING,
            f"Dialling: {_contacts(due)} due now, {_number(figures['in_flight'])} in progress.",
            next_dial_at=now,
            **figures,
        )
    # Nobody due in an open window: the next retry there, or the next window elsewhere.
    retries = [g["next_retry"] for g in open_groups if g["next_retry"] is not None]
    openings = [g["opens"] for g in zones if not g["open"] and g["opens"] is not None]
    next_dial = min([*retries, *openings], default=None)
    when = moment_label(next_dial, zone=zone, now=now) if next_dial else "not known"
    if retries and (not openings or min(retries) <= min(openings)):
        waiting = sum(g["left"] for g in open_groups)
        return _status(
            Reason.WAITING_FOR_RETRIES,
            f"Waiting for retries: {_contacts(waiting)} in calling hours are due later "
            f"(next at {when}).",
            next_dial_at=next_dial,
            **figures,
        )
    everyone = "all " if not open_groups else ""
    return _status(
        Reason.OUTSIDE_CALLING_HOURS,
        f"Outside calling hours for {everyone}{_contacts(figures['contacts_left'])} left to "
        f"dial — next window {when}.",
        next_dial_at=next_dial,
        **figures,
    )


def _dialable_by_zone(campaign: Campaign, *, now: dt.datetime) -> list[dict]:
    """The campaign's dialable contacts per time zone, in one query (the dialable index):
    how many, how many are due, the next retry time after now; then whether the zone's calling
    hours are open now, and when they next open. Contacts in a zone no one can place in time
    are left out: the scheduler never dials them either."""
    rows = (
        campaign.contacts.filter(dialable_q(max_attempts=campaign.max_attempts))
        .order_by()
        .values("timezone")
        .annotate(
            left=Count("pk"),
            due=Count("pk", filter=Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)),
            next_retry=Min("next_attempt_at", filter=Q(next_attempt_at__gt=now)),
        )
    )
    window = calling_window(campaign)
    groups = []
    for row in rows:
        zone = contact_zone(row["timezone"], campaign)
        try:
            is_open = zone_is_open(zone, at=now, **window)
            opens = None if is_open else next_window_opening(zone, after=now, **window)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
        groups.append({**row, "open": is_open, "opens": opens})
    return groups


def campaign_facts_read(*, campaign: Campaign, now: dt.datetime) -> dict:
    """The engine's reading of a campaign for its API answer (registered with
    `campaigns.selectors.campaign_on_facts`): `dialling`, `progress`, `cost`."""
    return {
        "dialling": campaign_dialling_status(campaign, now=now).as_dict(),
        "progress": campaign_progress(campaign, now=now).as_dict(),
        "cost": campaign_spend(campaign).as_dict(),
    }


def campaigns_facts_read(*, campaigns: list[Campaign], now: dt.datetime) -> dict:
    """The engine's reading of a page of campaigns for the list API (registered with
    `campaigns.selectors.campaigns_on_facts`): `progress` and `cost` per campaign id, in a
    fixed number of queries whatever their number; no `dialling` (a query per campaign)."""
    progress = campaigns_progress(campaigns, now=now)
    spend = campaigns_spend(campaigns)
    return {
        campaign.pk: {
            "progress": progress[campaign.pk].as_dict(),
            "cost": spend[campaign.pk].as_dict(),
        }
        for campaign in campaigns
    }

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence

from django.db.models import (
    Case,
    Count,
    F,
    FloatField,
    IntegerField,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.functions import Cast, NullIf

from campaigns.contact_states import DIALABLE_STATES, ContactState
from campaigns.models import Campaign, CampaignStatus, Question
from campaigns.questionnaire import QuestionSpec
from voicesurvey.models import AuditLog

# Why the system paused a campaign, as `campaign_pause` records it.
PAUSE_REASON_BUDGET = "budget"


def campaign_list_with_counts() -> QuerySet[Campaign]:
    """Campaigns with their key contact counts, in one query."""
    return _with_counts(Campaign.objects.all()).order_by("-created_at")


# The campaign list's sorts (page and API `sort`): a name, "-" before it for descending.
CAMPAIGN_SORTS = ("name", "created", "progress", "status")
CAMPAIGN_SORT_CHOICES = tuple(
    (f"{prefix}{name}", f"{name.capitalize()}{', descending' if prefix else ''}")
    for name in CAMPAIGN_SORTS
    for prefix in ("", "-")
)
# Status in the order of a campaign's life, not alphabetically.
_STATUS_ORDER = Case(
    *(When(status=value, then=Value(n)) for n, value in enumerate(CampaignStatus.values)),
    output_field=IntegerField(),
)


def campaign_list_search(
    *,
    search: str = "",
    statuses: Sequence[str] = (),
    created_after: dt.date | None = None,
    created_before: dt.date | None = None,
    sort: str = "-created",
) -> QuerySet[Campaign]:
    """The campaign list with its counts: names containing `search` (any case), in `statuses`
    (all when empty), created on or after / on or before these dates (days of the active zone:
    UTC, or on the pages the viewer's own), sorted by `sort` (CAMPAIGN_SORTS, "-" for
    descending; ties newest first). Progress is the share of contacts
    no call will be made to any more, as calls/progress.py counts it (campaigns without
    contacts last either way)."""
    campaigns = Campaign.objects.all()
    if search.strip():
        campaigns = campaigns.filter(name__icontains=search.strip())
    if statuses:
        campaigns = campaigns.filter(status__in=statuses)
    if created_after is not None:
        campaigns = campaigns.filter(created_at__date__gte=created_after)
    if created_before is not None:
        campaigns = campaigns.filter(created_at__date__lte=created_before)
    campaigns = _with_counts(campaigns)
    descending = sort.startswith("-")
    key = sort.lstrip("-")
    if key not in CAMPAIGN_SORTS:
        raise ValueError(f"Unknown sort {sort!r}.")
    if key == "progress":
        campaigns = campaigns.annotate(
            contacts_left=Count(
                "contacts",
                filter=Q(
                    contacts__state__in=DIALABLE_STATES,
                    contacts__do_not_call=False,
                    contacts__attempts_count__lt=F("max_attempts"),
                )
                | Q(contacts__state=ContactState.IN_PROGRESS),
            )
        ).annotate(
            progress=Cast(F("contacts_total") - F("contacts_left"), FloatField())
            / NullIf(Cast(F("contacts_total"), FloatField()), Value(0.0))
        )
        expression: F | Case = F("progress")
    elif key == "status":
        expression = _STATUS_ORDER
    else:
        expression = F({"name": "name", "created": "created_at"}[key])
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return campaigns.order_by(ordered, "-created_at", "-id")


def campaign_get_with_counts(*, pk) -> Campaign:
    """One campaign with the counts of `campaign_list_with_counts`; Campaign.DoesNotExist."""
    return _with_counts(Campaign.objects.filter(pk=pk)).select_related("created_by").get()


def _with_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.annotate(
        contacts_total=Count("contacts"),
        contacts_attempted=Count("contacts", filter=Q(contacts__attempts_count__gt=0)),
        contacts_completed=Count("contacts", filter=Q(contacts__state=ContactState.COMPLETED)),
        contacts_refused=Count("contacts", filter=Q(contacts__state=ContactState.REFUSED)),
        contacts_not_reached=Count("contacts", filter=Q(contacts__state=ContactState.NOT_REACHED)),
    )


def campaign_questionnaire(campaign: Campaign) -> tuple[QuestionSpec, ...]:
    """The campaign's questions in order, as campaigns/questionnaire.py's specs."""
    return tuple(question.spec() for question in Question.objects.filter(campaign=campaign))


def campaign_questionnaire_data(campaign: Campaign) -> list[dict]:
    """The campaign's questions in the JSON shape the API and the form share (prefetched
    `questions` when the list read them: one query for a page of campaigns)."""
    return [question.as_data() for question in campaign.questions.all()]


def campaign_pause_reason(campaign: Campaign) -> dict | None:
    """Why a paused campaign was paused: its last pause's audit entry — `{"reason": "",
    "by": username}` for a person's, `{"reason": "budget", "budget": …, "spent": …, …}` for
    the scheduler's. None unless the campaign is paused. One query (the audit log's object
    index)."""
    if campaign.status != CampaignStatus.PAUSED:
        return None
    entry = (
        AuditLog.objects.filter(
            object_type=Campaign._meta.label_lower,
            object_id=str(campaign.pk),
            action="campaign.pause",
        )
        .order_by("-created_at", "-pk")
        .values("details", "actor_username", "created_at")
        .first()
    )
    if entry is None:
        return {"reason": "", "by": "", "at": None}
    details = entry["details"] or {}
    return {
        **details,
        "reason": details.get("reason", ""),
        "by": entry["actor_username"],
        "at": entry["created_at"],
    }


def campaign_started_ended(campaign: Campaign) -> tuple[dt.datetime | None, dt.datetime | None]:
    """When the campaign started calling (its activation or scheduled start) and when it
    ended (completed or cancelled), from its audit entries: one query."""
    times = dict(
        AuditLog.objects.filter(
            object_type=Campaign._meta.label_lower,
            object_id=str(campaign.pk),
            action__in=[
                "campaign.activate",
                "campaign.start",
                "campaign.complete",
                "campaign.cancel",
            ],
        )
        .order_by()
        .values("action")
        .annotate(first=Min("created_at"))
        .values_list("action", "first")
    )
    started = times.get("campaign.activate") or times.get("campaign.start")
    ended = times.get("campaign.complete") or times.get("campaign.cancel")
    return started, ended


# --- what the engine says about a campaign -------------------------------------------------------
#
# The campaign's API answer carries the engine's reading of it: whether it dials and why not,
# its progress and estimated finish, its cost (calls/dialling.py). The engine sits above
# campaigns, so it registers its reader at start-up (CallsConfig.ready), as it registers its
# reaction to fewer attempts (campaigns/services.py); `campaign_facts` calls it without
# importing calls.

CampaignFactsReader = Callable[..., dict]  # called as reader(campaign=…, now=…)
_campaign_facts_readers: list[CampaignFactsReader] = []


def campaign_on_facts(reader: CampaignFactsReader) -> None:
    """Have `reader(campaign=…, now=…)` add its keys to `campaign_facts` (once per reader)."""
    if reader not in _campaign_facts_readers:
        _campaign_facts_readers.append(reader)


def campaign_facts(*, campaign: Campaign, now: dt.datetime) -> dict:
    """What the registered readers say about the campaign: {"dialling": …, "progress": …,
    "cost": …} once the engine has registered its reader; empty before."""
    facts: dict = {}
    for reader in _campaign_facts_readers:
        facts.update(reader(campaign=campaign, now=now))
    return facts


# The same for a page of campaigns (the list API): readers answer for all of them at once, in
# a fixed number of queries, {campaign id: {"progress": …, "cost": …}}.
CampaignsFactsReader = Callable[..., dict]  # called as reader(campaigns=[…], now=…)
_campaigns_facts_readers: list[CampaignsFactsReader] = []


def campaigns_on_facts(reader: CampaignsFactsReader) -> None:
    """Have `reader(campaigns=[…], now=…)` add its keys to `campaigns_facts` (once per reader)."""
    if reader not in _campaigns_facts_readers:
        _campaigns_facts_readers.append(reader)


def campaigns_facts(*, campaigns: Sequence[Campaign], now: dt.datetime) -> dict:
    """What the registered readers say about each campaign, by id: {"progress": …, "cost": …}
    once the engine has registered its reader; empty dicts before."""
    facts: dict = {campaign.pk: {} for campaign in campaigns}
    for reader in _campaigns_facts_readers:
        for pk, read in reader(campaigns=campaigns, now=now).items():
            facts[pk].update(read)
    return facts

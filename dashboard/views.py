"""Dashboard pages: the system dashboard, the campaign statistics panel (a partial that the
campaign page includes, and that refreshes itself through htmx every 60 s), and the campaign
results panel (the survey's answers per question, with filters and a breakdown, likewise).

Partials answer htmx requests; when the session has expired, `require_capability` answers
them 401 with `HX-Redirect` to the login page, so htmx loads the whole page there instead of
swapping a login form into a panel.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from urllib.parse import urlencode

from django.http import QueryDict
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone
from rest_framework.exceptions import ValidationError

from calls.dialling import campaign_dialling_status, moment_label
from calls.models import CallOutcome
from calls.progress import campaign_progress, campaigns_progress
from calls.selectors import provider_config_get
from calls.spend import campaigns_spend
from campaigns import lifecycle
from campaigns.languages import language_name
from campaigns.models import Campaign, CampaignStatus, QuestionType
from campaigns.selectors import campaign_started_ended
from campaigns.services import campaign_activation_problems
from contacts.selectors import contact_attribute_names_cached
from dashboard import selectors

# The API's own reading of the query, so the page and the API accept (and refuse) the same.
from dashboard.api import ATTRIBUTE_PREFIX, results_filters_parse
from dashboard.cache import (
    SYSTEM_BLOCKS,
    campaign_results_cached,
    campaign_stats_cached,
    system_stats_cached,
)
from dashboard.results import GROUP_NONE, GROUP_OTHER
from voicesurvey.htmx import render_partial_or_page
from voicesurvey.permissions import Capability, require_capability
from voicesurvey.zones import page_zone

REFRESH_SECONDS = 60


# --- system dashboard ---------------------------------------------------------------------------


def _system_context() -> dict:
    now = timezone.now()
    blocks = {name: system_stats_cached(name) for name in SYSTEM_BLOCKS}
    queue, queue_computed_at = blocks["queue"]
    oldest = queue["oldest_pending_age_seconds"]
    calls_per_hour = selectors.system_calls_per_hour(hours=24, now=now)
    return {
        # The cached blocks are at most STATS_CACHE_TTL_SECONDS old; say how old they are.
        "generated_at": min(computed_at for _figures, computed_at in blocks.values()),
        "overview": blocks["overview"][0],
        "queue": queue,
        "queue_computed_at": queue_computed_at,
        "oldest_pending_since": (
            None if oldest is None else queue_computed_at - dt.timedelta(seconds=oldest)
        ),
        "orchestrator": selectors.system_orchestrator(now=now),
        "platforms": blocks["platforms"][0],
        "campaigns": blocks["campaigns"][0],
        "calls_per_hour": calls_per_hour,
        "calls_per_hour_chart": {
            "type": "bar",
            # In the page's zone: UTC, or the viewer's own (voicesurvey/zones.py).
            "labels": [f"{timezone.localtime(p['hour']):%H:%M}" for p in calls_per_hour],
            "datasets": [
                {"label": "Calls placed", "data": [p["calls_placed"] for p in calls_per_hour]}
            ],
        },
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_capability(Capability.VIEW)
def system_dashboard(request):
    return render(request, "dashboard/system.html", _system_context())


@require_capability(Capability.VIEW)
def system_dashboard_panel(request):
    return render(request, "dashboard/_system_panel.html", _system_context())


# --- campaign statistics panel ------------------------------------------------------------------


def _series_chart(points: list[dict], label_format: str) -> dict:
    return {
        "type": "bar",
        "labels": [p["timestamp"].strftime(label_format) for p in points],
        "datasets": [
            {"label": "Attempts", "data": [p["attempts"] for p in points]},
            {"label": "Completed", "data": [p["completed"] for p in points]},
        ],
    }


def _series_table(points: list[dict], label_format: str) -> list[dict]:
    return [{**p, "label": p["timestamp"].strftime(label_format)} for p in points]


def _rate_cards(stats: dict) -> list[tuple[str, str, dict, str]]:
    """(key, label, {rate, count, base, base_label}, bar colour) of each rate: what it counts
    and what it divides by, as the panel says. A refusal or a contact not reached is no
    success: their bars are not painted as one (static/css/dashboard.css)."""
    contacts, rates = stats["contacts"], stats["rates"]
    outcomes = stats["call_outcomes"]
    bases = stats.get("rate_bases") or {
        "contacts_callable": contacts["total"] - contacts["excluded"],
        "finished_attempts": sum(outcomes[o] for o in CallOutcome.values),
    }
    callable_, finished = bases["contacts_callable"], bases["finished_attempts"]
    of_contacts, of_calls = "contacts that could be called", "finished calls"

    def part(rate: str, count: int, base: int, base_label: str) -> dict:
        return {"rate": rates[rate], "count": count, "base": base, "base_label": base_label}

    return [
        (
            "completion",
            "Completion rate",
            part("completion_rate", contacts["completed"], callable_, of_contacts),
            "good",
        ),
        (
            "refusal",
            "Refusal rate",
            part("refusal_rate", contacts["refused"], callable_, of_contacts),
            "refused",
        ),
        (
            "not_reached",
            "Not-reached rate",
            part("not_reached_rate", contacts["not_reached"], callable_, of_contacts),
            "not-reached",
        ),
        (
            "answer",
            "Answer rate",
            part(
                "answer_rate",
                outcomes[CallOutcome.COMPLETED] + outcomes[CallOutcome.REFUSED],
                finished,
                of_calls,
            ),
            "neutral",
        ),
    ]


def campaign_stats_panel_context(campaign: Campaign) -> dict:
    """What `dashboard/_campaign_stats.html` needs: the same cached figures as the API's
    default query (one computation for both), and the charts and tables drawn from them.
    Times are the campaign's local times (the viewer's, when they chose a zone: `page_zone`);
    the zone's abbreviation tells the two 02:00 hours of an autumn DST change apart."""
    zone = page_zone(campaign.timezone)
    stats = campaign_stats_cached(
        campaign=campaign,
        include_time_series=True,
        time_series_hours=selectors.DEFAULT_TIME_SERIES_HOURS,
        time_series_days=selectors.DEFAULT_TIME_SERIES_DAYS,
        zone=zone,
    )
    hourly, daily = stats["time_series_hourly"], stats["time_series_daily"]
    panel_id = f"campaign-stats-{campaign.pk.hex}"
    started, ended = campaign_started_ended(campaign) if campaign.is_final else (None, None)
    return {
        "campaign": campaign,
        "zone": zone,
        "stats": stats,
        # No rates before there is anything to rate: a draft, or nobody called yet.
        "has_rates": campaign.status != CampaignStatus.DRAFT
        and stats["call_outcomes"]["total_attempts"] > 0,
        "rate_cards": _rate_cards(stats),
        "started": started,
        "ended": ended,
        "panel_id": panel_id,
        "hourly_chart_id": f"{panel_id}-hourly",
        "hourly_chart": _series_chart(hourly, "%a %H:%M"),
        "daily_chart_id": f"{panel_id}-daily",
        "daily_chart": _series_chart(daily, "%d %b"),
        "series_tables": [
            ("Hour", _series_table(hourly, "%a %Y-%m-%d %H:%M %Z")),
            ("Day", _series_table(daily, "%a %Y-%m-%d")),
        ],
        "refresh_seconds": REFRESH_SECONDS,
    }


@require_capability(Capability.VIEW)
def campaign_stats_panel(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(request, "dashboard/_campaign_stats.html", campaign_stats_panel_context(campaign))


# --- campaign status panel ----------------------------------------------------------------------

# The status, its actions and what the campaign is doing change faster than the figures: a
# campaign that completes shows it within this many seconds.
STATUS_REFRESH_SECONDS = 15
STATUS_PANEL = "dashboard/_campaign_status.html"
# A draft's way to activation: activation's problems (campaigns/lifecycle.py) by the first
# part of the field they name.
ACTIVATION_CHECKLIST = (
    (
        "Script: the introduction in every language of the survey",
        ("language", "languages", "texts"),
    ),
    ("Questionnaire: 1 to 20 questions, complete in every language", ("questions",)),
    ("Contacts: at least one that can be called", ("contacts",)),
    (
        "Calling: hours, days, attempts and time zone",
        ("call_window_start", "call_window_end", "call_days", "max_attempts", "timezone"),
    ),
)


def activation_checklist(problems: dict[str, list[str]]) -> list[dict]:
    """Each step to activation, done or with its problems; a problem of no listed step gets a
    step of its own, so that none goes unsaid."""
    items, placed = [], set()
    for label, fields in ACTIVATION_CHECKLIST:
        mine = [f for f in problems if f.split(".")[0] in fields]
        placed.update(mine)
        items.append(
            {"label": label, "done": not mine, "problems": [m for f in mine for m in problems[f]]}
        )
    rest = [m for f, messages in problems.items() if f not in placed for m in messages]
    if rest:
        items.append({"label": "Other", "done": False, "problems": rest})
    return items


def campaign_status_panel_context(campaign: Campaign, *, now: dt.datetime | None = None) -> dict:
    """What `dashboard/_campaign_status.html` shows at the top of the campaign page: the name,
    status and lifecycle actions; whether it dials and why not (calls/dialling.py); a draft's
    checklist to activation, else its progress, pace, estimated finish (calls/progress.py)
    and cost (calls/spend.py); when it started and ended. Times in the campaign's zone (the
    viewer's, when they chose one)."""
    now = now or timezone.now()
    zone = page_zone(campaign.timezone)
    config = provider_config_get()
    context: dict = {
        "campaign": campaign,
        "zone": zone,
        "panel_id": f"campaign-status-{campaign.pk.hex}",
        "actions": lifecycle.allowed_actions(campaign.status),
        "editable": not campaign.is_final,
        "dialling": campaign_dialling_status(campaign, now=now, config=config, zone=zone),
        "refresh_seconds": STATUS_REFRESH_SECONDS,
        "now": now,
    }
    if campaign.status == CampaignStatus.DRAFT:
        context["checklist"] = activation_checklist(campaign_activation_problems(campaign=campaign))
        context["ready"] = all(item["done"] for item in context["checklist"])
        return context
    progress = campaign_progress(campaign, now=now)
    started, ended = campaign_started_ended(campaign)
    context |= {
        "progress": progress,
        "spend": campaigns_spend([campaign], price=config.cost_per_minute)[campaign.pk],
        "finish_label": (
            moment_label(progress.estimated_finish, zone=zone, now=now)
            if progress.estimated_finish
            else ""
        ),
        "started": started,
        "ended": ended,
    }
    return context


def campaigns_list_figures(campaigns: list[Campaign], *, now: dt.datetime | None = None) -> dict:
    """The campaign list's progress, pace, estimated finish and cost columns for a page of
    campaigns, by campaign id, in five queries whatever their number (calls/progress.py,
    calls/spend.py). Times in each campaign's own zone (the viewer's, when they chose one),
    named."""
    now = now or timezone.now()
    progress = campaigns_progress(campaigns, now=now)
    spend = campaigns_spend(campaigns)
    return {
        campaign.pk: {
            "progress": progress[campaign.pk],
            "spend": spend[campaign.pk],
            "finish_label": (
                moment_label(finish, zone=page_zone(campaign.timezone), now=now)
                if (finish := progress[campaign.pk].estimated_finish)
                else ""
            ),
        }
        for campaign in campaigns
    }


@require_capability(Capability.VIEW)
def campaign_status_panel(request, campaign_id):
    """The panel alone, for its htmx refresh. When the status it shows differs from the page's,
    the page's other status-dependent parts follow (static/js/campaign.js)."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    return render(request, STATUS_PANEL, campaign_status_panel_context(campaign))


# --- campaign results panel ---------------------------------------------------------------------

RESULTS_PANEL = "dashboard/_campaign_results.html"
# The filter form names its one attribute filter as two fields (a name from a list, a value);
# the API's query, which the panel's links carry, names it attr.<name>=<value>.
FORM_ATTRIBUTE, FORM_ATTRIBUTE_VALUE = "attr", "attr_value"
# The free-text answers' search and page: kept out of the links that change them.
TEXT_PARAMETERS = ("text_page", "text_search")
NPS_GROUPS = (
    ("detractors", "Detractors (0–6)"),
    ("passives", "Passives (7–8)"),
    ("promoters", "Promoters (9–10)"),
)


def campaign_shows_results(campaign: Campaign) -> bool:
    """The campaign page leads with the results once a survey has been completed: one query,
    none for a draft (which has never called anyone)."""
    return campaign.status != CampaignStatus.DRAFT and campaign.survey_responses.exists()


def _results_query(params: QueryDict) -> QueryDict:
    """The page's query as the API reads it: without the blank fields a form sends, and with
    the form's attribute pair as attr.<name>=<value>."""
    query = QueryDict(mutable=True)
    for key, values in params.lists():
        if key not in (FORM_ATTRIBUTE, FORM_ATTRIBUTE_VALUE):
            for value in values:
                if value.strip():
                    query.appendlist(key, value.strip())
    name = params.get(FORM_ATTRIBUTE, "").strip()
    value = params.get(FORM_ATTRIBUTE_VALUE, "").strip()
    if name and value:
        query[ATTRIBUTE_PREFIX + name] = value
    return query


def _form_values(query: QueryDict) -> dict:
    """What the filter form shows: the query as sent (a refused value too, to be corrected);
    its attribute pair is the query's first attr.<name>."""
    attribute = next((key for key in query if key.startswith(ATTRIBUTE_PREFIX)), "")
    return {
        "from": query.get("from", ""),
        "to": query.get("to", ""),
        "language": query.get("language", ""),
        "attempt": query.get("attempt", ""),
        "attr": attribute[len(ATTRIBUTE_PREFIX) :],
        "attr_value": query.get(attribute, "") if attribute else "",
        "by": query.get("by", ""),
        "text_search": query.get("text_search", ""),
    }


def _error_lines(detail) -> list[str]:
    """The API's 400 detail ({field: [messages]}) as lines for the page."""
    if not isinstance(detail, dict):
        detail = {"query": detail}
    return [
        f"{field}: {message}"
        for field, messages in detail.items()
        for message in (messages if isinstance(messages, list) else [messages])
    ]


def _number(value: float | None) -> str:
    if value is None:
        return "—"
    return str(int(value)) if float(value).is_integer() else str(value)


def _share(figure: dict) -> str:
    return f"{_number(figure['share'])} %"


def _in_language(texts: dict, language: str) -> str:
    return texts.get(language) or next(iter(texts.values()), "")


def _chart(chart_id: str, aria_label: str, spec: dict, head: list[str], rows: list[list]) -> dict:
    """A chart (drawn by static/js/results.js from `spec`) and the table of the same figures."""
    return {"id": chart_id, "aria_label": aria_label, "spec": spec, "head": head, "rows": rows}


def _question_charts(question: dict, chart_id: str, language: str) -> list[dict]:
    kind = question["type"]
    if kind == QuestionType.YES_NO:
        yes, no = question["yes"], question["no"]
        return [
            _chart(
                chart_id,
                "Shares of yes and no",
                {
                    "kind": "bar",
                    "labels": ["Yes", "No"],
                    "data": [yes["share"], no["share"]],
                    "label": "Share of the answered (%)",
                    "horizontal": True,
                    "percent": True,
                },
                ["Answer", "Count", "Share"],
                [["Yes", yes["count"], _share(yes)], ["No", no["count"], _share(no)]],
            )
        ]
    if kind in (QuestionType.SCALE, QuestionType.NUMBER):
        points = question["distribution"]
        charts = []
        if "nps" in question:
            nps = question["nps"]
            charts.append(
                _chart(
                    f"{chart_id}-nps",
                    f"Net Promoter Score {_number(nps['score'])}",
                    {
                        "kind": "nps",
                        "labels": [label for _key, label in NPS_GROUPS],
                        "data": [nps[key] for key, _label in NPS_GROUPS],
                        "score": nps["score"],
                    },
                    ["Group", "Answers"],
                    [[label, nps[key]] for key, label in reversed(NPS_GROUPS)]
                    + [["NPS score", _number(nps["score"])]],
                )
            )
        charts.append(
            _chart(
                chart_id,
                "Answers per value",
                {
                    "kind": "bar",
                    "labels": [_number(point["value"]) for point in points],
                    "data": [point["count"] for point in points],
                    "label": "Answers",
                },
                ["Value", "Answers"],
                [[_number(point["value"]), point["count"]] for point in points],
            )
        )
        return charts
    if kind == QuestionType.SINGLE_CHOICE:
        options = question["options"]
        return [
            _chart(
                chart_id,
                "Answers per option",
                {
                    "kind": "bar",
                    "labels": [_in_language(option["label"], language) for option in options],
                    "data": [option["count"] for option in options],
                    "label": "Answers",
                    "horizontal": True,
                },
                ["Option", "Answers", "Share"],
                [
                    [_in_language(option["label"], language), option["count"], _share(option)]
                    for option in options
                ],
            )
        ]
    return []  # free text: its answers are listed instead


def _breakdown_table(question: dict, by: str, language: str, chart_id: str) -> dict:
    """A question's figures per group of the breakdown: one row per group, and its chart."""
    kind = question["type"]
    head = [by, "Responses", "Asked", "Answered", "Unanswered", "Skipped"]
    if kind == QuestionType.YES_NO:
        head += ["Yes", "No"]
    elif kind in (QuestionType.SCALE, QuestionType.NUMBER):
        head += ["Mean", "Median"] + (["NPS"] if "nps" in question else [])
    elif kind == QuestionType.SINGLE_CHOICE:
        head += [_in_language(option["label"], language) for option in question["options"]]
    group_names = {GROUP_OTHER: "Other values", GROUP_NONE: f"No {by}"}
    rows = []
    for group in question["breakdown"]:
        row = [
            group_names.get(group["group"], group["value"]),
            group["responses"],
            group["asked"],
            group["answered"],
            group["unanswered"],
            group["skipped"],
        ]
        if kind == QuestionType.YES_NO:
            row += [f"{group[c]['count']} ({_share(group[c])})" for c in ("yes", "no")]
        elif kind in (QuestionType.SCALE, QuestionType.NUMBER):
            row += [_number(group["mean"]), _number(group["median"])]
            if "nps" in group:
                row.append(_number(group["nps"]["score"]))
        elif kind == QuestionType.SINGLE_CHOICE:
            row += [f"{option['count']} ({_share(option)})" for option in group["options"]]
        rows.append(row)
    labels = [str(row[0]) for row in rows]
    return {
        "head": head,
        "rows": rows,
        "chart": _breakdown_chart(question, labels, language),
        "chart_id": chart_id,
    }


def _breakdown_chart(question: dict, labels: list[str], language: str) -> dict | None:
    """The breakdown's chart (static/js/results.js), the same figures as its table: each
    group's shares of the answers (yes / no, the options), stacked to 100 %; its NPS score or
    mean for a scale or a number; none for free text."""
    kind, groups = question["type"], question["breakdown"]
    if kind == QuestionType.YES_NO:
        series = [
            {"label": label, "data": [group[choice]["share"] for group in groups]}
            for choice, label in (("yes", "Yes"), ("no", "No"))
        ]
        return {"kind": "stacked", "labels": labels, "series": series, "percent": True}
    if kind == QuestionType.SINGLE_CHOICE:
        series = [
            {
                "label": _in_language(option["label"], language),
                "data": [group["options"][index]["share"] for group in groups],
            }
            for index, option in enumerate(question["options"])
        ]
        return {"kind": "stacked", "labels": labels, "series": series, "percent": True}
    if kind in (QuestionType.SCALE, QuestionType.NUMBER):
        nps = "nps" in question
        return {
            "kind": "bar",
            "labels": labels,
            "data": [group["nps"]["score"] if nps else group["mean"] for group in groups],
            "label": "NPS score" if nps else "Mean",
            "horizontal": True,
        }
    return None


def _question_cards(results: dict, campaign: Campaign, panel_id: str) -> list[dict]:
    language = campaign.language
    cards = []
    for question in results["questions"]:
        chart_id = f"{panel_id}-q{question['position']}"
        cards.append(
            {
                "figures": question,
                "title": f"{question['position']}. {_in_language(question['text'], language)}",
                "mean_median": (
                    f"mean {_number(question['mean'])} · median {_number(question['median'])}"
                    if "mean" in question
                    else ""
                ),
                "charts": _question_charts(question, chart_id, language),
                "texts": question.get("texts"),  # free text: a page of its answers
                "breakdown": (
                    _breakdown_table(question, results["by"], language, f"{chart_id}-by")
                    if results["by"] is not None
                    else None
                ),
            }
        )
    return cards


def campaign_results_panel_context(*, params: QueryDict, campaign: Campaign) -> dict:
    """What `dashboard/_campaign_results.html` shows, from a page's query (the API's
    parameters: from, to, language, attempt, attr.<name>, by, text_page, text_search; the
    filter form's attr and attr_value stand for one attr.<name>): the filter form as sent, and
    per question its figures as charts and tables. A query the API would refuse gives its
    reasons (`results_errors`) and no figures. The figures are the API's, cached alike."""
    query = _results_query(params)
    panel_id = f"campaign-results-{campaign.pk.hex}"
    panel_url = reverse("campaign_results_panel", args=[campaign.pk])
    filters_only = query.copy()
    for name in TEXT_PARAMETERS:
        filters_only.pop(name, None)
    zone = page_zone(campaign.timezone)
    context: dict = {
        "campaign": campaign,
        "zone": zone,
        "panel_id": panel_id,
        "panel_url": panel_url,
        "poll_url": f"{panel_url}?{query.urlencode()}" if query else panel_url,
        "form": _form_values(query),
        "filter_fields": [(key, value) for key, values in filters_only.lists() for value in values],
        "languages": [(code, language_name(code)) for code in campaign.survey_languages],
        "attribute_names": contact_attribute_names_cached(campaign),
        "refresh_seconds": REFRESH_SECONDS,
        "results_errors": [],
        "results": None,
    }
    try:
        filters, by = results_filters_parse(query)
    except ValidationError as exc:
        context["results_errors"] = _error_lines(exc.detail)
        return context
    if zone != campaign.timezone:  # the dates are the viewer's days
        filters = dataclasses.replace(filters, zone=zone)
    results = campaign_results_cached(campaign=campaign, filters=filters, by=by)
    search = {"text_search": filters.text_search} if filters.text_search else {}
    context |= {
        "results": results,
        "filtered": any(key != "by" for key in filters_only),
        "clearable": bool(query),
        "cards": _question_cards(results, campaign, panel_id),
        # The free-text answers' pages keep the filters and the search.
        "text_page_query": urlencode([*filters_only.items(), *search.items()]),
    }
    return context


@require_capability(Capability.VIEW)
def campaign_results_panel(request, campaign_id):
    """The results panel alone for htmx; without it, a page around it, so that its filter
    form, search and page links work without JavaScript. A refused query is a 400 saying why."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    context = campaign_results_panel_context(params=request.GET, campaign=campaign)
    return render_partial_or_page(
        request,
        partial=RESULTS_PANEL,
        page="dashboard/campaign_results.html",
        context=context,
        status=400 if context["results_errors"] else 200,
    )

"""`{% load dashboard %}`: the campaign page's dashboard panels, rendered in place (readable
without JavaScript) and refreshing themselves afterwards through htmx.

- `{% campaign_status_panel campaign %}`: the head of the page: name, status, actions, whether
  it dials, progress, pace, estimated finish and cost (a draft: its checklist to activation).
- `{% campaign_stats_panel campaign %}`: the statistics.
- The campaign list's columns: `{% campaigns_list_figures page.object_list as figures %}` once,
  then `{% campaign_list_cells figures campaign %}` in each row (progress, finish, cost).
- `{% campaign_shows_results campaign as shows_results %}` then, if so,
  `{% campaign_results_panel campaign %}`: the survey's results, unfiltered.
"""

from django import template
from django.http import QueryDict

from dashboard.views import (
    RESULTS_PANEL,
    STATUS_PANEL,
    campaign_results_panel_context,
    campaign_shows_results,
    campaign_stats_panel_context,
    campaign_status_panel_context,
    campaigns_list_figures,
)

register = template.Library()


@register.inclusion_tag(STATUS_PANEL, takes_context=True)
def campaign_status_panel(context, campaign):
    """The page's capabilities and CSRF token go with it: it holds the lifecycle actions."""
    return {
        **campaign_status_panel_context(campaign),
        "caps": context.get("caps", {}),
        "csrf_token": context.get("csrf_token"),
    }


@register.inclusion_tag("dashboard/_campaign_stats.html")
def campaign_stats_panel(campaign):
    return campaign_stats_panel_context(campaign)


register.simple_tag(campaign_shows_results, name="campaign_shows_results")


@register.inclusion_tag(RESULTS_PANEL, takes_context=True)
def campaign_results_panel(context, campaign):
    """Unfiltered whatever the page's query says: the page's query is the contacts table's,
    and the results panel's filters load the panel from its own URL."""
    return {
        **campaign_results_panel_context(params=QueryDict(), campaign=campaign),
        "caps": context.get("caps", {}),
    }


@register.simple_tag(name="campaigns_list_figures")
def campaigns_list_figures_tag(campaigns):
    return campaigns_list_figures(list(campaigns))


@register.inclusion_tag("dashboard/_campaign_list_cells.html")
def campaign_list_cells(figures, campaign):
    return {"campaign": campaign, **figures.get(campaign.pk, {})}

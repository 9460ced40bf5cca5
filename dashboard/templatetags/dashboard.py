"""`{% load dashboard %}`: the campaign page's dashboard panels, rendered in place (readable
without JavaScript) and refreshing themselves afterwards through htmx.

- `{% campaign_stats_panel campaign %}`: the statistics.
- `{% campaign_shows_results campaign as shows_results %}` then, if so,
  `{% campaign_results_panel campaign %}`: the survey's results, unfiltered.
"""

from django import template
from django.http import QueryDict

from dashboard.views import (
    RESULTS_PANEL,
    campaign_results_panel_context,
    campaign_shows_results,
    campaign_stats_panel_context,
)

register = template.Library()


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

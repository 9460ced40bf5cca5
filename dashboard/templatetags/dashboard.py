"""`{% load dashboard %}{% campaign_stats_panel campaign %}`: the campaign statistics panel,
rendered in place (readable without JavaScript), refreshing itself afterwards through htmx."""

from django import template

from dashboard.views import campaign_stats_panel_context

register = template.Library()


@register.inclusion_tag("dashboard/_campaign_stats.html")
def campaign_stats_panel(campaign):
    return campaign_stats_panel_context(campaign)

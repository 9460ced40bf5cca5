from django import template

from exports.views import PANEL_TEMPLATE, export_panel_context

register = template.Library()


@register.inclusion_tag(PANEL_TEMPLATE, takes_context=True)
def export_panel(context, campaign):
    """`{% export_panel campaign %}`: the export panel, rendered with the page (so it works
    without JavaScript); the page needs `request` in its context (RequestContext)."""
    request = context["request"]
    return {
        **export_panel_context(campaign=campaign, request=request),
        "request": request,
        "csrf_token": context.get("csrf_token"),
    }

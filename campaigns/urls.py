from django.urls import path

from campaigns import views
from campaigns.lifecycle import USER_ACTIONS

urlpatterns = [
    path("", views.campaign_list, name="home"),
    path("campaigns/new", views.campaign_new, name="campaign_new"),
    path("campaigns/<uuid:campaign_id>", views.campaign_detail, name="campaign_detail"),
    path("campaigns/<uuid:campaign_id>/edit", views.campaign_edit, name="campaign_edit"),
    path("campaigns/<uuid:campaign_id>/clone", views.campaign_clone_view, name="campaign_clone"),
    # One address per lifecycle action: campaigns/<id>/activate, …/pause, …/resume, …/cancel.
    *(
        path(
            f"campaigns/<uuid:campaign_id>/{action}",
            views.campaign_action,
            {"action": action},
            name=f"campaign_{action}",
        )
        for action in USER_ACTIONS
    ),
]

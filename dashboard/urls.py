from django.urls import path

from dashboard import views

urlpatterns = [
    path("dashboard/system", views.system_dashboard, name="system_dashboard"),
    path("dashboard/system/panel", views.system_dashboard_panel, name="system_dashboard_panel"),
    path(
        "campaigns/<uuid:campaign_id>/stats-panel",
        views.campaign_stats_panel,
        name="campaign_stats_panel",
    ),
    path(
        "campaigns/<uuid:campaign_id>/status-panel",
        views.campaign_status_panel,
        name="campaign_status_panel",
    ),
    path(
        "campaigns/<uuid:campaign_id>/results",
        views.campaign_results_panel,
        name="campaign_results_panel",
    ),
]

from django.urls import path

from dashboard import api

urlpatterns = [
    path(
        "campaigns/<uuid:campaign_id>/stats",
        api.CampaignStatsApi.as_view(),
        name="campaign_stats",
    ),
    path(
        "campaigns/<uuid:campaign_id>/stats/invalidate",
        api.CampaignStatsInvalidateApi.as_view(),
        name="campaign_stats_invalidate",
    ),
    path(
        "campaigns/<uuid:campaign_id>/results",
        api.CampaignResultsApi.as_view(),
        name="campaign_results",
    ),
    path("dashboard/stats/overview", api.SystemOverviewApi.as_view(), name="system_overview"),
    path("dashboard/stats/queue", api.SystemQueueApi.as_view(), name="system_queue"),
    path(
        "dashboard/stats/orchestrator",
        api.SystemOrchestratorApi.as_view(),
        name="system_orchestrator",
    ),
    path("dashboard/stats/platforms", api.SystemPlatformsApi.as_view(), name="system_platforms"),
    path("dashboard/stats/campaigns", api.SystemCampaignsApi.as_view(), name="system_campaigns"),
]

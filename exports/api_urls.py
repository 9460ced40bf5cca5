from django.urls import path

from exports import api

urlpatterns = [
    path(
        "campaigns/<uuid:campaign_id>/export",
        api.CampaignExportStartApi.as_view(),
        name="export-start",
    ),
    path(
        "campaigns/<uuid:campaign_id>/exports",
        api.CampaignExportsApi.as_view(),
        name="export-list",
    ),
    path("exports/<uuid:job_id>", api.ExportJobApi.as_view(), name="export-detail"),
    path(
        "exports/<uuid:job_id>/refresh-url",
        api.ExportRefreshUrlApi.as_view(),
        name="export-refresh-url",
    ),
]

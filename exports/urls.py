from django.urls import path

from exports import views

app_name = "exports"

urlpatterns = [
    path("campaigns/<uuid:campaign_id>/exports/panel", views.export_panel, name="panel"),
    path("campaigns/<uuid:campaign_id>/exports/start", views.export_start_view, name="start"),
    path("exports/<uuid:job_id>/download", views.ExportDownloadView.as_view(), name="download"),
]

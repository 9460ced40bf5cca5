from django.urls import path

from contacts import views

app_name = "contacts"

urlpatterns = [
    path("campaigns/<uuid:campaign_id>/contacts/upload", views.contacts_upload, name="upload"),
    path("campaigns/<uuid:campaign_id>/contacts-table", views.contacts_table, name="table"),
    path("campaigns/<uuid:campaign_id>/requeue", views.campaign_requeue_view, name="requeue"),
    path("rejected-rows/<uuid:rejected_id>", views.rejected_rows_download, name="rejected_rows"),
    path("exclusions", views.exclusion_list_view, name="exclusion_list"),
    path("exclusions/add", views.exclusion_add_view, name="exclusion_add"),
    path("exclusions/import", views.exclusion_import_view, name="exclusion_import"),
    path(
        "exclusions/<uuid:entry_id>/remove",
        views.exclusion_remove_view,
        name="exclusion_remove",
    ),
]

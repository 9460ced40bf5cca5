from django.urls import path

from contacts import api

urlpatterns = [
    path(
        "campaigns/<uuid:campaign_id>/contacts/upload",
        api.CampaignContactsUploadApi.as_view(),
        name="campaign-contacts-upload",
    ),
    path(
        "campaigns/<uuid:campaign_id>/contacts",
        api.CampaignContactsApi.as_view(),
        name="campaign-contacts",
    ),
    path(
        "campaigns/<uuid:campaign_id>/requeue",
        api.CampaignRequeueApi.as_view(),
        name="campaign-requeue",
    ),
    path("rejected-rows/<uuid:rejected_id>", api.RejectedRowsApi.as_view(), name="rejected-rows"),
    path("exclusions", api.ExclusionListApi.as_view(), name="exclusion-list"),
    path("exclusions/import", api.ExclusionImportApi.as_view(), name="exclusion-import"),
    path("exclusions/<uuid:entry_id>", api.ExclusionDetailApi.as_view(), name="exclusion-detail"),
]

from django.urls import path

from campaigns import api

urlpatterns = [
    path("campaigns", api.CampaignListApi.as_view(), name="campaign-list"),
    path("campaigns/<uuid:campaign_id>", api.CampaignDetailApi.as_view(), name="campaign-detail"),
    path(
        "campaigns/<uuid:campaign_id>/activate",
        api.CampaignActivateApi.as_view(),
        name="campaign-activate",
    ),
    path(
        "campaigns/<uuid:campaign_id>/pause", api.CampaignPauseApi.as_view(), name="campaign-pause"
    ),
    path(
        "campaigns/<uuid:campaign_id>/resume",
        api.CampaignResumeApi.as_view(),
        name="campaign-resume",
    ),
    path(
        "campaigns/<uuid:campaign_id>/cancel",
        api.CampaignCancelApi.as_view(),
        name="campaign-cancel",
    ),
    path(
        "campaigns/<uuid:campaign_id>/clone", api.CampaignCloneApi.as_view(), name="campaign-clone"
    ),
]

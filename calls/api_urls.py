from django.urls import path

from calls.api import CallDetailApi, ProviderConfigApi

urlpatterns = [
    path("calls/<uuid:call_id>", CallDetailApi.as_view(), name="call_detail"),
    path("config/provider", ProviderConfigApi.as_view(), name="provider_config"),
]

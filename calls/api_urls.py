from django.urls import path

from calls.api import CallDetailApi, ContactForgetApi, ProviderConfigApi

urlpatterns = [
    path("calls/<uuid:call_id>", CallDetailApi.as_view(), name="call_detail"),
    path("config/provider", ProviderConfigApi.as_view(), name="provider_config"),
    path("contacts/forget", ContactForgetApi.as_view(), name="contact-forget"),
]

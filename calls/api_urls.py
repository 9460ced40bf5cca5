from django.urls import path

from calls.api import CallDetailApi

urlpatterns = [
    path("calls/<uuid:call_id>", CallDetailApi.as_view(), name="call_detail"),
]

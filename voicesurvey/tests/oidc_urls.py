"""The project's URLs with OIDC on (settings.py adds them only when configured at start-up)."""

from django.urls import include, path
from rest_framework.authentication import SessionAuthentication, TokenAuthentication

from voicesurvey.api import MeApi
from voicesurvey.oidc import BearerTokenAuthentication
from voicesurvey.urls import urlpatterns as project_urlpatterns


class MeApiWithBearer(MeApi):
    # DRF binds authentication classes when the view class is defined, so a settings override
    # cannot add the bearer class to the project's views; this view lists what settings.py
    # lists when OIDC_RP_CLIENT_ID is set (test_settings checks that list).
    authentication_classes = [TokenAuthentication, BearerTokenAuthentication, SessionAuthentication]


urlpatterns = [
    path("oidc/", include("mozilla_django_oidc.urls")),
    path("bearer/me", MeApiWithBearer.as_view()),
    *project_urlpatterns,
]

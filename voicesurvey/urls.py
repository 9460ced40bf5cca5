from csp.decorators import csp_update
from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import URLPattern, URLResolver, include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from voicesurvey import views
from voicesurvey.api import MeApi, TokenApi

api_patterns: list[URLPattern | URLResolver] = [
    path("me", MeApi.as_view(), name="me"),
    path("auth/token", TokenApi.as_view(), name="token"),
    path("", include("campaigns.api_urls")),
    path("", include("contacts.api_urls")),
    path("", include("calls.api_urls")),
    path("", include("dashboard.api_urls")),
    path("", include("exports.api_urls")),
    path("", include("integrations.api_urls")),
    path("schema/", SpectacularAPIView.as_view(), name="schema"),
    # The page and its script apart (`?script`), and a template without inline style: the
    # Swagger UI under the site's Content-Security-Policy (templates/api/swagger_ui.html).
    # One relaxation, for this page only: its bundle draws its icons from data: URLs.
    path(
        "docs/",
        csp_update({"img-src": ["data:"]})(
            SpectacularSwaggerSplitView.as_view(
                url_name="api:schema", template_name="api/swagger_ui.html"
            )
        ),
        name="docs",
    ),
    # Last: any other path under /api/ (a malformed id, which no pattern matches, included)
    # answers the API's JSON 404, with DEBUG on too, where Django's own 404 page is HTML.
    re_path(r"^.*$", views.api_not_found, name="not_found"),
]

urlpatterns = [
    path("", include("campaigns.urls")),
    path("", include("contacts.urls")),
    path("", include("calls.urls")),
    path("", include("dashboard.urls")),
    path("", include("exports.urls")),
    path("", include("integrations.urls")),
    path("api/", include((api_patterns, "api"))),
    path("admin/", admin.site.urls),
    path("accounts/login/", views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("account", views.account, name="account"),
    path("healthz", views.healthz, name="healthz"),
    path("metrics", views.metrics, name="metrics"),
]

if settings.OIDC_ENABLED:
    urlpatterns.append(path("oidc/", include("mozilla_django_oidc.urls")))

admin.site.site_header = "voicesurvey administration"
admin.site.site_title = "voicesurvey admin"
admin.site.index_title = "Staff"

handler404 = "voicesurvey.views.page_not_found"
handler500 = "voicesurvey.views.server_error"

from __future__ import annotations

import hmac
import logging
from typing import cast

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST

from voicesurvey.forms import AccountForm
from voicesurvey.metrics import metrics_exposition
from voicesurvey.models import User
from voicesurvey.permissions import Capability, require_capability, user_has_capability
from voicesurvey.services import user_timezone_set

logger = logging.getLogger(__name__)


class LoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """For load balancers: 200 while the database answers; the cache is reported, not required."""
    checks = {}
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        checks["database"] = "ok"
    except Exception as exc:  # any driver error means "not healthy", whatever its class
        logger.error("health check: database unavailable: %s", type(exc).__name__)
        checks["database"] = "unavailable"
    try:
        cache.set("healthz", "1", 5)
        checks["cache"] = "ok" if cache.get("healthz") == "1" else "unavailable"
    except Exception as exc:
        logger.warning("health check: cache unavailable: %s", type(exc).__name__)
        checks["cache"] = "unavailable"
    healthy = checks["database"] == "ok"
    return JsonResponse(
        {"status": "ok" if healthy else "unavailable", **checks}, status=200 if healthy else 503
    )


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus metrics (voicesurvey/metrics.py): for the METRICS_TOKEN bearer, or a
    signed-in admin."""
    auth = request.headers.get("Authorization", "")
    token_ok = bool(settings.METRICS_TOKEN) and hmac.compare_digest(
        auth.encode(), f"Bearer {settings.METRICS_TOKEN}".encode()
    )
    if not token_ok and not user_has_capability(request.user, Capability.ADMINISTER):
        status = 403 if request.user.is_authenticated else 401
        response = HttpResponse(
            "Metrics need the METRICS_TOKEN bearer or an admin session.\n",
            status=status,
            content_type="text/plain",
        )
        if status == 401:
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics_exposition(), content_type=CONTENT_TYPE_LATEST)


def _wants_json(request: HttpRequest) -> bool:
    # /exports/ holds only the download links (exports/urls.py), whose view answers in JSON.
    return request.path.startswith(("/api/", "/webhooks/", "/exports/"))


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    """404: JSON under /api/, /webhooks/ and /exports/ (a malformed id in the path never
    matches a URL pattern, so DRF never sees it), the site's page elsewhere."""
    if _wants_json(request):
        return JsonResponse({"detail": "Not found."}, status=404)
    return render(request, "404.html", status=404)


@csrf_exempt  # a 404 for any method: a POST to a wrong address is not a CSRF failure
def api_not_found(request: HttpRequest) -> JsonResponse:
    """Any path under /api/ that names no operation."""
    return JsonResponse({"detail": "Not found."}, status=404)


def server_error(request: HttpRequest) -> HttpResponse:
    if _wants_json(request):
        return JsonResponse({"detail": "Internal server error."}, status=500)
    return render(request, "500.html", status=500)


@require_capability(Capability.VIEW)
def account(request: HttpRequest) -> HttpResponse:
    """The signed-in user's account: the time zone the pages show every time in."""
    user = cast(User, request.user)  # signed in: require_capability sends the others away
    form = AccountForm(request.POST or None, initial={"timezone": user.timezone})
    if request.method == "POST":
        if form.is_valid():
            zone = form.cleaned_data["timezone"]
            user_timezone_set(user=user, zone=zone)
            messages.success(
                request,
                f"Saved: times are shown in {zone}."
                if zone
                else "Saved: each page shows its own zone (a campaign's, on its pages).",
            )
            return redirect("account")
        return render(request, "registration/account.html", {"form": form}, status=400)
    return render(request, "registration/account.html", {"form": form})

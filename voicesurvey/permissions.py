"""The role matrix of docs/architecture.md §7, in one place, for pages and API alike.

A capability names a row of the matrix; a role holds a set of capabilities. Pages use
`require_capability`, the API uses the permission classes below, templates read `caps`
(see `context_processors.capabilities`). Denied attempts by signed-in users are audit-logged.
"""

from __future__ import annotations

import enum
import functools
from collections.abc import Callable
from urllib.parse import urlsplit

import phonenumbers
from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from rest_framework import exceptions
from rest_framework.permissions import BasePermission

from voicesurvey.htmx import is_htmx
from voicesurvey.models import Role
from voicesurvey.ratelimit import rate_limit_hit, requester_key
from voicesurvey.services import audit_denial_record


class Capability(enum.StrEnum):
    # read campaigns, contacts, stats, call details, system dashboard
    VIEW = "view"
    # create/edit/activate/pause/resume/cancel campaigns, upload contacts
    MANAGE_CAMPAIGNS = "manage_campaigns"
    # export results, download exports
    EXPORT = "export"
    # add to and import into the exclusion list
    MANAGE_EXCLUSIONS = "manage_exclusions"
    # remove exclusions, invalidate stats cache, provider config, users, delete a contact (GDPR)
    ADMINISTER = "administer"
    # see phone numbers unmasked
    SEE_PHONE_NUMBERS = "see_phone_numbers"


ROLE_CAPABILITIES: dict[str, frozenset[Capability]] = {
    Role.ADMIN: frozenset(Capability),
    Role.CAMPAIGN_MANAGER: frozenset(
        {
            Capability.VIEW,
            Capability.MANAGE_CAMPAIGNS,
            Capability.EXPORT,
            Capability.MANAGE_EXCLUSIONS,
            Capability.SEE_PHONE_NUMBERS,
        }
    ),
    Role.VIEWER: frozenset({Capability.VIEW}),
}


def user_capabilities(user) -> frozenset[Capability]:
    if user is None or not user.is_authenticated or not user.is_active:
        return frozenset()
    return ROLE_CAPABILITIES.get(user.role, frozenset())


def user_has_capability(user, capability: Capability) -> bool:
    return capability in user_capabilities(user)


def mask_phone_number(phone_number: str) -> str:
    """'+393331234567' -> '+39 *** *** 4567'. Keeps the country code and the last four digits."""
    if not phone_number:
        return ""
    try:
        country_code = phonenumbers.parse(phone_number).country_code
    except phonenumbers.NumberParseException:
        return "*** *** " + phone_number[-4:]
    return f"+{country_code} *** *** {phone_number[-4:]}"


def phone_number_for(user, phone_number: str) -> str:
    """The phone number as this user may see it."""
    if user_has_capability(user, Capability.SEE_PHONE_NUMBERS):
        return phone_number
    return mask_phone_number(phone_number)


class TooManyDenials(Exception):
    """The user was refused more than DENIALS_PER_MINUTE times this minute: answered 429."""


def _record_denial(request: HttpRequest, capability: Capability) -> None:
    """Audit a denied request (one row per user, path and minute, with a count, so that a
    fuzzer cannot flood the log) and rate-limit them: probing what one may not see is an
    attack of its own. TooManyDenials past the limit."""
    audit_denial_record(
        actor=request.user,
        path=request.path,
        method=request.method or "",
        capability=str(capability),
    )
    if rate_limit_hit(
        scope="denied", who=requester_key(request), limit=settings.DENIALS_PER_MINUTE
    ):
        raise TooManyDenials


def require_capability(capability: Capability) -> Callable:
    """Page decorator: anonymous users go to the login page, users without the role get 403."""

    def decorator(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return _sign_in_first(request)
            if not user_has_capability(request.user, capability):
                try:
                    _record_denial(request, capability)
                except TooManyDenials:
                    return too_many_requests_page(request)
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def too_many_requests_page(request: HttpRequest) -> HttpResponse:
    """429 for a page: the same message the API gives, readable without a template."""
    return HttpResponse(
        "Too many refused requests: wait a minute before trying again.",
        status=429,
        content_type="text/plain",
        headers={"Retry-After": "60"},
    )


def _sign_in_first(request: HttpRequest) -> HttpResponse:
    """The login page, coming back here. An htmx request (a panel refreshing itself, a table's
    filter, an upload) must not get the login page swapped into a corner of the page: it gets
    401 with `HX-Redirect`, so that htmx loads the login page whole, coming back to the page
    the request came from (never to another site)."""
    if not is_htmx(request):
        return redirect_to_login(request.get_full_path())
    page = request.headers.get("HX-Current-URL", "")
    if url_has_allowed_host_and_scheme(page, allowed_hosts={request.get_host()}):
        page = urlsplit(page)._replace(scheme="", netloc="").geturl()
    else:
        page = reverse("home")
    response = HttpResponse("Signed out.", status=401, content_type="text/plain")
    response["HX-Redirect"] = redirect_to_login(page)["Location"]
    return response


class CapabilityPermission(BasePermission):
    """DRF permission for one capability. Anonymous → 401 (see REST_FRAMEWORK's
    authentication order), signed in without the capability → 403 (audit-logged)."""

    capability: Capability = Capability.VIEW

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        if user_has_capability(request.user, self.capability):
            return True
        try:
            _record_denial(request, self.capability)
        except TooManyDenials:
            raise exceptions.Throttled(
                detail="Too many refused requests: wait a minute before trying again."
            ) from None
        return False


class CanView(CapabilityPermission):
    capability = Capability.VIEW


class CanManageCampaigns(CapabilityPermission):
    capability = Capability.MANAGE_CAMPAIGNS


class CanExport(CapabilityPermission):
    capability = Capability.EXPORT


class CanManageExclusions(CapabilityPermission):
    capability = Capability.MANAGE_EXCLUSIONS


class CanAdminister(CapabilityPermission):
    capability = Capability.ADMINISTER

"""Time zones as people choose them: the IANA names a select offers (a campaign's zone, a
user's own), and the validator of a stored name."""

from __future__ import annotations

import contextvars
import zoneinfo

from django.core.exceptions import ValidationError
from django.utils import timezone

# Every IANA zone the system knows, sorted; not the two that name no place.
TIMEZONES = sorted(zoneinfo.available_timezones() - {"localtime", "Factory"})
_KNOWN = frozenset(TIMEZONES)


def validate_timezone(value: str) -> None:
    try:
        zoneinfo.ZoneInfo(value)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(
            "Unknown time zone %(value)s: use an IANA name such as Europe/Rome.",
            params={"value": repr(value)},
        ) from exc


# --- the viewer's own zone -------------------------------------------------------------------
#
# A user may choose the zone every time is shown in (their account page, `User.timezone`).
# For the request, ViewerTimeZoneMiddleware activates it (Django's per-user time zone pattern:
# the pages' `|date` and the forms then use it) and keeps it here, where a campaign's pages,
# which otherwise show the campaign's zone, look for it through `page_zone`.
_viewer_zone: contextvars.ContextVar[str] = contextvars.ContextVar("viewer_zone", default="")


def page_zone(default: str) -> str:
    """The zone a page shows its times in: the signed-in viewer's own when they chose one, else
    `default` (a campaign's zone on its pages)."""
    return _viewer_zone.get() or default


class ViewerTimeZoneMiddleware:
    """Activates the signed-in user's own zone, if they chose one, for their request to a page.
    Not for the API (`/api/`), whose times and date filters are UTC and the campaigns' whoever
    asks, and however (a session, in the Swagger UI, or a token)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        zone = ""
        if not request.path.startswith("/api/") and user is not None and user.is_authenticated:
            zone = user.timezone or ""
        if zone and zone not in _KNOWN:
            zone = ""  # a zone this system's tz database no longer has: the pages' defaults
        token = _viewer_zone.set(zone)
        try:
            if not zone:
                return self.get_response(request)
            with timezone.override(zone):
                return self.get_response(request)
        finally:
            _viewer_zone.reset(token)

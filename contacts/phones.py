"""Phone numbers: parsing to E.164 and the time zone a number fixes, through `phonenumbers`."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import zoneinfo

import phonenumbers
from django.conf import settings
from phonenumbers import timezone as phone_timezone
from phonenumbers.tzdata import TIMEZONE_DATA, TIMEZONE_LONGEST_PREFIX


class InvalidPhoneNumber(ValueError):
    pass


def phone_normalize(raw: str, *, region: str | None = None) -> str:
    """E.164 form of `raw`; national numbers are read in `region` (DEFAULT_PHONE_REGION).
    InvalidPhoneNumber says what is wrong."""
    text = (raw or "").strip()
    if not text:
        raise InvalidPhoneNumber("The phone number is empty.")
    if len(text) > 40:
        raise InvalidPhoneNumber("The phone number is too long.")
    if text.startswith("00"):
        text = "+" + text[2:]
    try:
        number = phonenumbers.parse(text, region or settings.DEFAULT_PHONE_REGION)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"Not a phone number: {_reason(exc)}.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("Not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _reason(exc: phonenumbers.NumberParseException) -> str:
    return {
        phonenumbers.NumberParseException.INVALID_COUNTRY_CODE: "unknown country code",
        phonenumbers.NumberParseException.NOT_A_NUMBER: "it does not look like a number",
        phonenumbers.NumberParseException.TOO_SHORT_AFTER_IDD: "too short",
        phonenumbers.NumberParseException.TOO_SHORT_NSN: "too short",
        phonenumbers.NumberParseException.TOO_LONG: "too long",
    }.get(exc.error_type, "unreadable")


def _zone_popularity() -> collections.Counter:
    return collections.Counter(z for zones in TIMEZONE_DATA.values() for z in zones)


_POPULARITY = _zone_popularity()
_SAMPLE_INSTANTS = [
    dt.datetime(2026, month, 15, 12, tzinfo=dt.UTC) for month in (1, 4, 7, 10)
]  # winter and summer time both sampled


@functools.cache
def _single_zone(zones: tuple[str, ...]) -> str | None:
    """One zone for a set whose members keep the same clock (Europe/Rome and Europe/Vatican;
    London, Jersey, Guernsey and the Isle of Man): the one most numbers map to. None when
    the members differ (a country spanning several zones)."""
    zones = tuple(z for z in zones if z != phone_timezone.UNKNOWN_TIMEZONE)
    if not zones:
        return None
    try:
        offsets = {
            tuple(
                instant.astimezone(zoneinfo.ZoneInfo(z)).utcoffset() for instant in _SAMPLE_INSTANTS
            )
            for z in zones
        }
    except zoneinfo.ZoneInfoNotFoundError:
        return None
    if len(offsets) != 1:
        return None
    return min(zones, key=lambda z: (-_POPULARITY[z], z))


def phone_time_zone(e164: str, *, default: str) -> str:
    """The IANA zone the number fixes (+1 212 → America/New_York, +39 → Europe/Rome), else
    `default` (a US toll-free number, a mobile in a country spanning several zones).

    Same answers as `phonenumbers.timezone.time_zones_for_number` (with same-clock zones taken
    as one), but cheap for the common cases, which matters at a million rows per import:
    a country on one clock needs no per-number work, and North American numbers (all
    geographic) are a longest-prefix walk over phonenumbers' own table."""
    digits = e164[1:]
    for cc_length in (1, 2, 3):
        country_zones = TIMEZONE_DATA.get(digits[:cc_length])
        if country_zones is not None:
            break
    else:
        return default
    zone = _single_zone(tuple(country_zones))
    if zone:
        return zone
    if digits.startswith("1"):
        for length in range(min(TIMEZONE_LONGEST_PREFIX, len(digits)), 1, -1):
            zones = TIMEZONE_DATA.get(digits[:length])
            if zones is not None:
                return _single_zone(tuple(zones)) or default
        return default
    # A multi-zone country outside North America: phonenumbers decides whether the number
    # is geographic (a landline) or only tells the country (a mobile).
    zones = phone_timezone.time_zones_for_number(phonenumbers.parse(e164))
    return _single_zone(tuple(zones)) or default

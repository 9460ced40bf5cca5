"""Phone numbers: parsing to E.164 and the time zone a number fixes, through `phonenumbers`."""

from __future__ import annotations

import collections
import datetime as dt
import functools
import re
import zoneinfo
from dataclasses import dataclass

import phonenumbers
from django.conf import settings
from phonenumbers import COUNTRY_CODE_TO_REGION_CODE, PhoneMetadata
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
    region = region or settings.DEFAULT_PHONE_REGION
    e164 = _e164_fast(text, region)
    if e164:
        return e164
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException as exc:
        raise InvalidPhoneNumber(f"Not a phone number: {_reason(exc)}.") from exc
    if not phonenumbers.is_valid_number(number):
        raise InvalidPhoneNumber("Not a valid phone number for its country.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# --- the fast path ------------------------------------------------------------------------------
# phonenumbers' parse() and is_valid_number() are general-purpose (letters, extensions, carrier
# codes, every notation) and cost ~30 µs a number: half a million-row import. The common cases,
# digits with spaces, dashes, dots, slashes or brackets, written internationally or nationally
# in the default region, are decided below from phonenumbers' own metadata, compiled once per
# country. Whatever the fast path is not sure of (a national or trunk prefix phonenumbers
# would strip or rewrite, an international dialling prefix, anything but digits) and every
# number it finds invalid goes to the full parse, which then also says why. For the numbers it
# accepts, the answer is parse()'s: tests/test_phones.py compares the two over example numbers
# of every region and number type, in every notation, and variations of them.

_SEPARATORS = str.maketrans("", "", " -.()/\u00a0")
_NUMBER_TYPES = (  # the commonest first: validity is "some type matches"
    "mobile",
    "fixed_line",
    "toll_free",
    "premium_rate",
    "shared_cost",
    "voip",
    "personal_number",
    "pager",
    "uan",
    "voicemail",
)

_Desc = tuple[frozenset, re.Pattern]


def _desc(number_desc) -> _Desc | None:
    if number_desc is None or not number_desc.national_number_pattern:
        return None
    return frozenset(number_desc.possible_length), re.compile(number_desc.national_number_pattern)


def _matches(desc: _Desc | None, nsn: str) -> bool:
    """phonenumbers' _is_number_matching_desc: a possible length, and the whole pattern."""
    if desc is None:
        return False
    lengths, pattern = desc
    if lengths and len(nsn) not in lengths:
        return False
    return pattern.fullmatch(nsn) is not None


@dataclass(frozen=True)
class _RegionRules:
    region: str
    leading_digits: re.Pattern | None
    general: _Desc | None
    types: tuple[_Desc, ...]

    def valid(self, nsn: str) -> bool:
        """phonenumbers' _number_type_helper(...) != UNKNOWN."""
        return _matches(self.general, nsn) and any(_matches(desc, nsn) for desc in self.types)


@dataclass(frozen=True)
class _CountryRules:
    country_code: int
    national_prefix: re.Pattern | None  # of the country's main region, as parse() uses
    prefix_transforms: bool
    regions: tuple[_RegionRules, ...]

    def valid(self, nsn: str) -> bool:
        """phonenumbers.is_valid_number: the number's region (the first of the country's
        regions whose leading digits, or else whose patterns, it matches), then its patterns."""
        if len(self.regions) == 1:
            return self.regions[0].valid(nsn)
        for rules in self.regions:
            if rules.leading_digits is not None:
                if rules.leading_digits.match(nsn):
                    return rules.valid(nsn)
            elif rules.valid(nsn):
                return True
        return False

    def may_strip_prefix(self, nsn: str) -> bool:
        """Would parse() take a national prefix (or carrier code) off, or rewrite it?"""
        if self.national_prefix is None:
            return False
        match = self.national_prefix.match(nsn)
        if match is None:
            return False
        return match.end() > 0 or (
            self.prefix_transforms and bool(match.groups()) and match.groups()[-1] is not None
        )


def _region_rules(country_code: int, region: str) -> _RegionRules | None:
    metadata = PhoneMetadata.metadata_for_region_or_calling_code(country_code, region)
    if metadata is None:
        return None
    types = tuple(
        desc
        for desc in (_desc(getattr(metadata, name, None)) for name in _NUMBER_TYPES)
        if desc is not None
    )
    return _RegionRules(
        region=region,
        leading_digits=re.compile(metadata.leading_digits) if metadata.leading_digits else None,
        general=_desc(metadata.general_desc),
        types=types,
    )


@functools.cache
def _country_rules(country_code: int) -> _CountryRules | None:
    regions = tuple(
        rules
        for rules in (
            _region_rules(country_code, region)
            for region in COUNTRY_CODE_TO_REGION_CODE.get(country_code, ())
        )
        if rules is not None
    )
    if not regions:
        return None
    main = PhoneMetadata.metadata_for_region_or_calling_code(
        country_code, phonenumbers.region_code_for_country_code(country_code)
    )
    prefix = main.national_prefix_for_parsing if main is not None else None
    return _CountryRules(
        country_code=country_code,
        national_prefix=re.compile(prefix) if prefix else None,
        prefix_transforms=bool(main is not None and main.national_prefix_transform_rule),
        regions=regions,
    )


@functools.cache
def _national_rules(region: str) -> tuple[_CountryRules, re.Pattern | None] | None:
    """How national numbers of the default region are read: its country's rules, and its
    international dialling prefix (a number starting with it is not national)."""
    metadata = PhoneMetadata.metadata_for_region(region.upper(), None)
    if metadata is None or metadata.country_code is None:
        return None
    rules = _country_rules(metadata.country_code)
    if rules is None:
        return None
    idd = re.compile(metadata.international_prefix) if metadata.international_prefix else None
    return rules, idd


def _e164_fast(text: str, region: str) -> str | None:
    """E.164 of a plainly written valid number, or None: see the comment above."""
    if text[0] == "+":
        digits = text[1:].translate(_SEPARATORS)
        if not (digits.isascii() and digits.isdigit()) or len(digits) > 17 or digits[0] == "0":
            return None
        for length in (1, 2, 3):
            rules = _country_rules(int(digits[:length]))
            if rules is not None:
                break
        else:
            return None
        nsn = digits[length:]
    else:
        national = _national_rules(region)
        if national is None:
            return None
        rules, idd = national
        nsn = text.translate(_SEPARATORS)
        if not (nsn.isascii() and nsn.isdigit()) or len(nsn) > 17:
            return None
        if (idd is not None and idd.match(nsn)) or nsn.startswith(str(rules.country_code)):
            return None  # parse() may read a country code into it
    if not nsn or rules.may_strip_prefix(nsn) or not rules.valid(nsn):
        return None
    # parse() keeps the number's leading zeros (Italian landlines) in the E.164 form.
    return f"+{rules.country_code}{nsn}"


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

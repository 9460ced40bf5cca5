import phonenumbers
import pytest
from phonenumbers import timezone as phonenumbers_timezone

from contacts.phones import InvalidPhoneNumber, _e164_fast, phone_normalize, phone_time_zone


@pytest.mark.parametrize(
    ("raw", "e164"),
    [
        ("+39 347 123 4567", "+393471234567"),
        ("0039 347 1234567", "+393471234567"),
        ("347 1234567", "+393471234567"),  # national, read in DEFAULT_PHONE_REGION (IT)
        ("+1 (212) 555-0123", "+12125550123"),
        ("+44 7911 123456", "+447911123456"),
    ],
)
def test_normalize_to_e164(raw, e164):
    assert phone_normalize(raw) == e164


def test_national_numbers_follow_the_region_setting(settings):
    settings.DEFAULT_PHONE_REGION = "US"
    assert phone_normalize("(212) 555-0123") == "+12125550123"
    assert phone_normalize("347 1234567", region="IT") == "+393471234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("call me", "does not look like a number"),
        ("+999 123456", "country code"),
        ("+39 12", "Not a valid"),
        ("1" * 50, "too long"),
    ],
)
def test_invalid_numbers_say_why(raw, reason):
    with pytest.raises(InvalidPhoneNumber, match=reason):
        phone_normalize(raw)


@pytest.mark.parametrize(
    ("number", "zone"),
    [
        ("+12125550123", "America/New_York"),
        ("+13125550123", "America/Chicago"),
        ("+12135550123", "America/Los_Angeles"),
        ("+393471234567", "Europe/Rome"),  # Rome and Vatican keep the same clock
        ("+447911123456", "Europe/London"),  # London, Jersey, Guernsey, Isle of Man: one clock
        ("+4930123456", "Europe/Berlin"),
        ("+74951234567", "Europe/Moscow"),  # a Moscow landline
        ("+79161234567", "CAMPAIGN"),  # a Russian mobile: only the (multi-zone) country
        ("+18005550123", "CAMPAIGN"),  # US toll-free: no single zone
        ("+61412345678", "CAMPAIGN"),  # Australian mobile
    ],
)
def test_time_zone_from_the_number(number, zone):
    assert phone_time_zone(number, default="CAMPAIGN") == zone


@pytest.mark.parametrize(
    "number",
    [
        "+12125550123",
        "+393471234567",
        "+4930123456",
        "+74951234567",
        "+61212345678",
        "+5511987654321",
        "+14165550123",
        "+819012345678",
    ],
)
def test_time_zone_agrees_with_phonenumbers_when_it_names_one_zone(number):
    zones = phonenumbers_timezone.time_zones_for_number(phonenumbers.parse(number))
    if len(zones) == 1:
        assert phone_time_zone(number, default="CAMPAIGN") == zones[0]


def _parsed(text: str, region: str) -> str | None:
    """What phonenumbers itself says: E.164 of a valid number, else None."""
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_valid_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _example_numbers():
    types = [
        getattr(phonenumbers.PhoneNumberType, name)
        for name in dir(phonenumbers.PhoneNumberType)
        if name.isupper() and name != "UNKNOWN"
    ]
    for region in sorted(phonenumbers.SUPPORTED_REGIONS):
        for number_type in types:
            number = phonenumbers.example_number_for_type(region, number_type)
            if number is not None:
                yield region, number
    for country_code in sorted(phonenumbers.COUNTRY_CODES_FOR_NON_GEO_REGIONS):
        number = phonenumbers.example_number_for_non_geo_entity(country_code)
        if number is not None:
            yield "001", number


def _notations(number) -> set[str]:
    """The number in every notation, and near misses: a digit changed, one more, one less."""
    nsn = phonenumbers.national_significant_number(number)
    cc = number.country_code
    texts = {
        phonenumbers.format_number(number, style)
        for style in (
            phonenumbers.PhoneNumberFormat.E164,
            phonenumbers.PhoneNumberFormat.INTERNATIONAL,
            phonenumbers.PhoneNumberFormat.NATIONAL,
        )
    }
    last = int(nsn[-1])
    for digits in {nsn, nsn[:-1] + str((last + 1) % 10), nsn[:-1] + str((last + 5) % 10)} | {
        nsn + "1",
        nsn[:-1],
    }:
        texts |= {f"+{cc}{digits}", f"+{cc} {digits}", f"00{cc}{digits}", digits, "0" + digits}
    return texts


def test_phone_normalize_agrees_with_phonenumbers_for_every_region_and_notation():
    """phone_normalize decides most numbers without phonenumbers' parser (contacts/phones.py,
    "the fast path"); whatever it decides must be what the parser says, in every region, for
    every kind of number, in every notation, valid or nearly so."""
    checked = fast = 0
    for region, number in _example_numbers():
        for text in _notations(number):
            # phone_normalize reads a leading 00 as "+", whatever the region (tested above).
            international = "+" + text[2:] if text.startswith("00") else text
            for default_region in {region if region != "001" else "US", "IT"}:
                expected = _parsed(international, default_region)
                try:
                    got = phone_normalize(text, region=default_region)
                except InvalidPhoneNumber:
                    got = None
                assert got == expected, (text, default_region)
                checked += 1
                fast += (
                    _e164_fast("+" + text[2:] if text.startswith("00") else text, default_region)
                    is not None
                )
    assert checked > 50_000
    assert fast > checked // 3  # the fast path does take most valid numbers

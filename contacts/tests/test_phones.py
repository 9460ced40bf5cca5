import phonenumbers
import pytest
from phonenumbers import timezone as phonenumbers_timezone

from contacts.phones import InvalidPhoneNumber, phone_normalize, phone_time_zone


@pytest.mark.parametrize(
    "raw,e164",
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
    "raw,reason",
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
    "number,zone",
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

"""Half-configured switches are system-check errors at start-up, not crashes later."""

import pytest

from voicesurvey import checks


def ids(messages):
    return [m.id for m in messages]


def test_clean_by_default(db):
    for check in (
        checks.check_oidc,
        checks.check_role_map,
        checks.check_regional_defaults,
        checks.check_s3,
    ):
        assert check(None) == []


def test_oidc_without_endpoints(settings):
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_SECRET = ""
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = "https://idp/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = ""
    settings.OIDC_OP_USER_ENDPOINT = "https://idp/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = None
    settings.OIDC_RP_SIGN_ALGO = "RS256"
    messages = checks.check_oidc(None)
    assert ids(messages) == ["voicesurvey.E001", "voicesurvey.E001", "voicesurvey.E002"]
    assert "OIDC_OP_TOKEN_ENDPOINT" in messages[1].msg


def test_role_map_to_unknown_role(settings):
    settings.OIDC_ROLE_MAP = {"ops": "superhero"}
    assert ids(checks.check_role_map(None)) == ["voicesurvey.E003"]


@pytest.mark.parametrize(
    ("name", "value", "check_id"),
    [
        ("DEFAULT_PHONE_REGION", "XX", "voicesurvey.E004"),
        ("DEFAULT_CAMPAIGN_TIMEZONE", "Mars/Olympus", "voicesurvey.E005"),
    ],
)
def test_regional_defaults(settings, name, value, check_id):
    setattr(settings, name, value)
    assert ids(checks.check_regional_defaults(None)) == [check_id]


def test_s3_with_half_the_credentials(settings):
    settings.AWS_STORAGE_BUCKET_NAME = "exports"
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "storages.backends.s3.S3Storage",
            "OPTIONS": {"access_key": "AKIA", "secret_key": None},
        },
    }
    assert ids(checks.check_s3(None)) == ["voicesurvey.E007"]

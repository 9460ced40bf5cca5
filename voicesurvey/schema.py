from drf_spectacular.extensions import OpenApiAuthenticationExtension


class OIDCBearerAuthenticationScheme(OpenApiAuthenticationExtension):
    """drf-spectacular cannot describe mozilla-django-oidc's DRF class by itself."""

    target_class = "voicesurvey.oidc.BearerTokenAuthentication"
    name = "oidcBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "OIDC access token"}


class LockoutAwareBasicAuthenticationScheme(OpenApiAuthenticationExtension):
    """HTTP Basic, as for DRF's own class: only `POST /api/auth/token` takes it."""

    target_class = "voicesurvey.api.LockoutAwareBasicAuthentication"
    name = "basicAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "basic"}


class KnoxTokenAuthenticationScheme(OpenApiAuthenticationExtension):
    """API tokens (django-rest-knox): `Authorization: Token <token>`."""

    target_class = "knox.auth.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {
            "type": "apiKey",
            "in": "header",
            "name": "Authorization",
            "description": 'An API token, prefixed with "Token ": POST /api/auth/token makes one.',
        }

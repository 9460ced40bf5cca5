from drf_spectacular.extensions import OpenApiAuthenticationExtension


class OIDCBearerAuthenticationScheme(OpenApiAuthenticationExtension):
    """drf-spectacular cannot describe mozilla-django-oidc's DRF class by itself."""

    target_class = "voicesurvey.oidc.BearerTokenAuthentication"
    name = "oidcBearer"

    def get_security_definition(self, auto_schema):
        return {"type": "http", "scheme": "bearer", "description": "OIDC access token"}

import re

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import SAFE_METHODS

from voicesurvey.permissions import ROLE_CAPABILITIES, CapabilityPermission


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


class LocalTimeFieldSchema(OpenApiSerializerFieldExtension):
    """DRF's TimeField reads and writes a wall-clock time without an offset ("09:00:00": the
    calling window is in the campaign's time zone); OpenAPI's `format: time` is RFC 3339's
    full-time, which needs one ("09:00:00Z"). So times are described as what they are."""

    target_class = "rest_framework.fields.TimeField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema, direction):
        return {
            "type": "string",
            "pattern": r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$",
            "example": "09:00:00",
            "description": "A local time, HH:MM[:SS], without a time zone.",
        }


# --- error responses ------------------------------------------------------------------------------

_ERROR_COMPONENT = "Error"
_VALIDATION_ERROR_COMPONENT = "ValidationError"
_ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
}
_VALIDATION_ERROR_SCHEMA = {
    "type": "object",
    "description": 'What was wrong: `{"field": ["problem", …]}` for each field (nested for '
    'nested fields), `non_field_errors` for the whole, or `{"detail": "…"}`.',
    "additionalProperties": {},
}
_ERROR_DESCRIPTIONS = {
    "400": "The request is not valid (the body, a parameter).",
    "401": "No credentials, or credentials that are not valid.",
    "403": "The caller's role does not allow this (or a session request without its CSRF token).",
    "404": "No such object (or no such page of results).",
    "413": "The file is over MAX_UPLOAD_MB.",
    "415": "The body's media type is not one this operation reads.",
    "429": "Too many requests of this kind this minute: wait before trying again.",
}
# The roles' shared capabilities: a permission asking for one of these refuses nobody signed in.
_EVERYONE_CAN = frozenset.intersection(*ROLE_CAPABILITIES.values())


_TAG_RULES = (  # (regular expression on the path, tag): the first that matches wins
    (r"/webhooks/subscriptions", "webhooks"),
    (r"/campaigns/\{[^}]+\}/contacts|/contacts/", "contacts"),
    (r"/campaigns/\{[^}]+\}/(stats|results)|/dashboard/", "stats"),
    (r"/campaigns/\{[^}]+\}/exports?\b|/exports/", "exports"),
    (r"/exclusions", "exclusions"),
    (r"/calls", "calls"),
    (r"/config/", "configuration"),
    (r"/api/(me|auth/)", "authentication"),
)


def api_tag(path: str) -> str:
    """The resource (a key of API_TAGS) an API path belongs to; campaigns by default."""
    for pattern, tag in _TAG_RULES:
        if re.search(pattern, path):
            return tag
    return "campaigns"


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's schema, with the error answers each operation can give documented
    (DEFAULT_SCHEMA_CLASS), so that the schema matches the responses (schemathesis checks it:
    voicesurvey/tests/test_api_fuzz.py). An error's body is `{"detail": "…"}`, a 400's also
    `{field: [problems]}`. Read from the view rather than written on each one:

    - 401 wherever authentication runs (a missing or bad token, on every operation);
    - 403 where a capability that not every role has is required, and on writes that accept a
      session (CSRF); 429 where 403 is (refusals are rate-limited: DENIALS_PER_MINUTE);
    - 404 with a path parameter, and on paginated lists (a page past the end);
    - 400 with a request body or query parameters, 415 with a request body.

    Codes an operation declares itself (`@extend_schema(responses=…)`: 400 for a lifecycle
    action, 413 for an upload, 429 for searches, 410) are kept; an error declared without a
    body gets the error body."""

    def get_tags(self) -> list[str]:
        """One tag per resource, read from the path (API_TAGS), so that Swagger groups the
        operations as a reader looks for them: a campaign's contacts under contacts, its
        statistics under stats, rather than everything under "api"."""
        return [api_tag(self.path)]

    def get_operation(self, path, path_regex, path_prefix, method, registry):
        operation = super().get_operation(path, path_regex, path_prefix, method, registry)
        if operation is None:
            return None
        responses = operation["responses"]
        for code in self._error_codes(operation):
            responses.setdefault(code, {"description": _ERROR_DESCRIPTIONS[code]})
        for code, response in responses.items():
            if code.startswith(("4", "5")) and "content" not in response:
                component = _VALIDATION_ERROR_COMPONENT if code == "400" else _ERROR_COMPONENT
                response["content"] = {"application/json": {"schema": self._error_ref(component)}}
        operation["responses"] = dict(sorted(responses.items()))
        return operation

    def _error_codes(self, operation) -> list[str]:
        codes = []
        parameters = operation.get("parameters", [])
        if operation.get("requestBody") or any(p["in"] == "query" for p in parameters):
            codes.append("400")
        authenticators = self.view.get_authenticators()
        if authenticators:
            codes.append("401")
        permissions = self.view.get_permissions()
        refuses_roles = any(
            isinstance(p, CapabilityPermission) and p.capability not in _EVERYONE_CAN
            for p in permissions
        )
        takes_sessions = any(isinstance(a, SessionAuthentication) for a in authenticators)
        if refuses_roles or (takes_sessions and self.method not in SAFE_METHODS):
            codes.append("403")
        if any(p["in"] == "path" for p in parameters) or self._is_paginated():
            codes.append("404")
        if operation.get("requestBody"):
            codes.append("415")
        if refuses_roles:
            codes.append("429")
        return codes

    def _is_paginated(self) -> bool:
        return self._is_list_view() and self._get_paginator() is not None

    def _error_ref(self, name: str) -> dict:
        schema = _VALIDATION_ERROR_SCHEMA if name == _VALIDATION_ERROR_COMPONENT else _ERROR_SCHEMA
        component = ResolvedComponent(
            name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
        )
        self.registry.register_on_missing(component)
        return component.ref

"""Shared API plumbing: the error shape, and the `GET /api/me` endpoint."""

from __future__ import annotations

from axes.handlers.proxy import AxesProxyHandler
from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import OpenApiResponse, extend_schema
from knox.auth import TokenAuthentication as KnoxTokenAuthentication
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import BasicAuthentication
from rest_framework.exceptions import ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from voicesurvey.permissions import user_capabilities
from voicesurvey.services import api_token_create, api_token_delete, user_timezone_set
from voicesurvey.zones import TIMEZONES


def exception_handler(exc, context):
    """DRF's handler, plus Django's ValidationError (raised by services) as a 400 by field."""
    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(detail=get_error_detail(exc))
    return drf_exception_handler(exc, context)


class MeOutputSerializer(serializers.Serializer):
    username = serializers.CharField()
    name = serializers.CharField()
    email = serializers.EmailField()
    role = serializers.CharField()
    capabilities = serializers.ListField(child=serializers.CharField())
    timezone = serializers.CharField(
        help_text="The zone the pages show every time in for this user; empty: each "
        "campaign's own on its pages, TIME_ZONE elsewhere."
    )


class MeInputSerializer(serializers.Serializer):
    timezone = serializers.ChoiceField(
        choices=["", *TIMEZONES],
        allow_blank=True,
        help_text='An IANA zone such as "Europe/Rome", or "" for the pages\' own zones.',
    )


class MeApi(APIView):
    """Who the caller is and what their role lets them do (`GET`); `PATCH` sets their own
    time zone for the pages."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        return Response(_me_data(request.user))

    @extend_schema(request=MeInputSerializer, responses=MeOutputSerializer)
    def patch(self, request):
        data = MeInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        user = user_timezone_set(user=request.user, zone=data.validated_data["timezone"])
        return Response(_me_data(user))


def _me_data(user) -> dict:
    return MeOutputSerializer(
        {
            "username": user.username,
            "name": user.name,
            "email": user.email,
            "role": user.role,
            "capabilities": sorted(user_capabilities(user)),
            "timezone": user.timezone,
        }
    ).data


# --- API tokens -----------------------------------------------------------------------------------


class TokenOutputSerializer(serializers.Serializer):
    token = serializers.CharField(help_text="Send as `Authorization: Token <token>`. Shown once.")
    expires_at = serializers.DateTimeField(allow_null=True)


class LockoutAwareBasicAuthentication(BasicAuthentication):
    """HTTP Basic that says so when django-axes has locked the account or address: 429 with
    the reason, not a 401 that invites another guess."""

    def authenticate_credentials(self, userid, password, request=None):
        try:
            return super().authenticate_credentials(userid, password, request)
        except exceptions.AuthenticationFailed:
            if request is not None and not AxesProxyHandler.is_allowed(
                request, {"username": userid}
            ):
                raise exceptions.Throttled(
                    detail="Too many failed sign-ins for this account or address: it is "
                    "locked for a while, or until an admin unlocks it."
                ) from None
            raise


class TokenApi(APIView):
    """`POST /api/auth/token` with HTTP Basic credentials: a new API token for that account
    (stored hashed, expiring after API_TOKEN_TTL_DAYS). Failed attempts count towards the
    login lockout, like the login page's. `DELETE /api/auth/token` with a token revokes it."""

    # Creating takes a password (throttled by django-axes through authenticate()); revoking
    # takes the token itself.
    authentication_classes = [LockoutAwareBasicAuthentication, KnoxTokenAuthentication]
    permission_classes = [IsAuthenticated]

    @extend_schema(
        request=None,
        responses={
            201: TokenOutputSerializer,
            400: OpenApiResponse(description="Sent without HTTP Basic credentials."),
            429: OpenApiResponse(description="Too many failed sign-ins: locked for a while."),
        },
    )
    def post(self, request):
        if not isinstance(request.successful_authenticator, LockoutAwareBasicAuthentication):
            raise ValidationError(
                {"detail": "Send the account's username and password with HTTP Basic."}
            )
        token, text = api_token_create(user=request.user, actor=request.user)
        return Response(
            TokenOutputSerializer({"token": text, "expires_at": token.expiry}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(
        request=None,
        responses={
            204: None,
            400: OpenApiResponse(description="Sent without the token to revoke."),
        },
    )
    def delete(self, request):
        if not isinstance(request.successful_authenticator, KnoxTokenAuthentication):
            raise ValidationError({"detail": "Send the token to revoke as Authorization: Token."})
        api_token_delete(token=request.auth, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

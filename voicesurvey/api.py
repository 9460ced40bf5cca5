"""Shared API plumbing: the error shape, and the `GET /api/me` endpoint."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import ValidationError
from rest_framework.fields import get_error_detail
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from voicesurvey.permissions import user_capabilities


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


class MeApi(APIView):
    """Who the caller is and what their role lets them do."""

    @extend_schema(responses=MeOutputSerializer)
    def get(self, request):
        user = request.user
        return Response(
            MeOutputSerializer(
                {
                    "username": user.username,
                    "name": user.name,
                    "email": user.email,
                    "role": user.role,
                    "capabilities": sorted(user_capabilities(user)),
                }
            ).data
        )

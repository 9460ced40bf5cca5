"""Campaign API (docs/architecture.md §8, "the rest of the API"): CRUD, where DELETE cancels, and
one view per lifecycle action. Reads for every role; writes for admins and campaign managers. Views
only translate: the services in campaigns/services.py do the work and the checks."""

from __future__ import annotations

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import lifecycle
from campaigns.models import Campaign, CampaignStatus, EmailTemplate, OutcomeType
from campaigns.selectors import campaign_get_with_counts, campaign_list_with_counts
from campaigns.services import (
    CAMPAIGN_FIELDS,
    campaign_activate,
    campaign_cancel,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_update,
)
from voicesurvey.models import User
from voicesurvey.permissions import CanManageCampaigns, CanView

# --- serializers -------------------------------------------------------------------------------


class CampaignInputSerializer(serializers.ModelSerializer):
    """The fields a person sets. Field types and choices are checked here; everything else
    (the window's order, what the status lets change) by the services."""

    call_days = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=7),
        max_length=7,
        required=False,
        help_text="ISO weekdays: 1 = Monday … 7 = Sunday.",
    )
    completed_email_template = serializers.PrimaryKeyRelatedField(
        queryset=EmailTemplate.objects.filter(type=OutcomeType.COMPLETED),
        required=False,
        allow_null=True,
    )
    refused_email_template = serializers.PrimaryKeyRelatedField(
        queryset=EmailTemplate.objects.filter(type=OutcomeType.REFUSED),
        required=False,
        allow_null=True,
    )
    not_reached_email_template = serializers.PrimaryKeyRelatedField(
        queryset=EmailTemplate.objects.filter(type=OutcomeType.NOT_REACHED),
        required=False,
        allow_null=True,
    )

    class Meta:
        model = Campaign
        fields = CAMPAIGN_FIELDS


class CampaignCountsSerializer(serializers.Serializer):
    total = serializers.IntegerField(source="contacts_total")
    attempted = serializers.IntegerField(source="contacts_attempted")
    completed = serializers.IntegerField(source="contacts_completed")
    refused = serializers.IntegerField(source="contacts_refused")
    not_reached = serializers.IntegerField(source="contacts_not_reached")


class CampaignOutputSerializer(serializers.ModelSerializer):
    created_by: serializers.SlugRelatedField[User] = serializers.SlugRelatedField(
        slug_field="username", read_only=True, allow_null=True
    )
    counts = CampaignCountsSerializer(source="*", read_only=True)
    allowed_actions = serializers.SerializerMethodField(
        help_text="The lifecycle actions the campaign's status allows now."
    )

    class Meta:
        model = Campaign
        fields = (
            "id",
            "status",
            *CAMPAIGN_FIELDS,
            "created_by",
            "created_at",
            "updated_at",
            "counts",
            "allowed_actions",
        )
        read_only_fields = fields

    def get_allowed_actions(self, campaign) -> list[str]:
        return lifecycle.allowed_actions(campaign.status)


def _campaign_data(campaign: Campaign) -> dict:
    """The output of a campaign just written, with its counts read again."""
    return CampaignOutputSerializer(campaign_get_with_counts(pk=campaign.pk)).data


# --- list and create ---------------------------------------------------------------------------


class CampaignFilter(django_filters.FilterSet):
    status = django_filters.MultipleChoiceFilter(choices=CampaignStatus.choices)
    created_after = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__gte", label="Created on or after (YYYY-MM-DD)"
    )
    created_before = django_filters.DateFilter(
        field_name="created_at", lookup_expr="date__lte", label="Created on or before (YYYY-MM-DD)"
    )

    class Meta:
        model = Campaign
        fields = ["status", "created_after", "created_before"]


class _ReadOrManage(APIView):
    """GET for every role; writes for those who manage campaigns."""

    def get_permissions(self):
        if self.request.method in ("GET", "HEAD", "OPTIONS"):
            return [CanView()]
        return [CanManageCampaigns()]


class CampaignListApi(_ReadOrManage, generics.ListAPIView):
    """`GET /api/campaigns` (filters: status, created_after, created_before; search: name)
    and `POST /api/campaigns` (a new draft)."""

    serializer_class = CampaignOutputSerializer
    filterset_class = CampaignFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter]
    search_fields = ["name"]

    def get_queryset(self):
        return campaign_list_with_counts().select_related("created_by")

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignOutputSerializer})
    def post(self, request):
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        campaign = campaign_create(actor=request.user, fields=data.validated_data)
        return Response(_campaign_data(campaign), status=status.HTTP_201_CREATED)


# --- one campaign ------------------------------------------------------------------------------


class CampaignDetailApi(_ReadOrManage, APIView):
    """`GET/PUT/PATCH /api/campaigns/{id}`; `DELETE` cancels the campaign (a soft delete).
    What may change depends on the status: see docs/architecture.md §5."""

    @extend_schema(responses=CampaignOutputSerializer)
    def get(self, request, campaign_id):
        return Response(CampaignOutputSerializer(_get_with_counts_or_404(campaign_id)).data)

    def _update(self, request, campaign_id, *, partial: bool) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        data = CampaignInputSerializer(campaign, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        campaign = campaign_update(
            campaign=campaign, actor=request.user, fields=data.validated_data
        )
        return Response(_campaign_data(campaign))

    @extend_schema(request=CampaignInputSerializer, responses=CampaignOutputSerializer)
    def put(self, request, campaign_id):
        return self._update(request, campaign_id, partial=False)

    @extend_schema(request=CampaignInputSerializer, responses=CampaignOutputSerializer)
    def patch(self, request, campaign_id):
        return self._update(request, campaign_id, partial=True)

    @extend_schema(
        responses={
            204: OpenApiResponse(description="Cancelled."),
            400: OpenApiResponse(description="Already completed or cancelled."),
        }
    )
    def delete(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        try:
            campaign_cancel(campaign=campaign, actor=request.user)
        except lifecycle.TransitionError as exc:
            return _not_allowed(exc)
        return Response(status=status.HTTP_204_NO_CONTENT)


def _not_allowed(exc: lifecycle.TransitionError) -> Response:
    return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)


def _get_with_counts_or_404(campaign_id) -> Campaign:
    try:
        return campaign_get_with_counts(pk=campaign_id)
    except Campaign.DoesNotExist:
        raise Http404("No such campaign.") from None


# --- lifecycle actions -------------------------------------------------------------------------


class _CampaignActionApi(APIView):
    """`POST /api/campaigns/{id}/<action>`: 200 with the campaign; 400 `{"detail": …}` when the
    status does not allow the action, or `{field: [problems]}` when activation finds problems."""

    permission_classes = [CanManageCampaigns]
    service: staticmethod  # each action's service, set by the subclasses below

    @extend_schema(
        request=None,
        responses={
            200: CampaignOutputSerializer,
            400: OpenApiResponse(description="Not allowed in this status, or problems by field."),
        },
    )
    def post(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        try:
            self.service(campaign=campaign, actor=request.user)
        except lifecycle.TransitionError as exc:
            return _not_allowed(exc)
        return Response(_campaign_data(campaign))


class CampaignActivateApi(_CampaignActionApi):
    """Draft → running (or scheduled, with a future `starts_at`). Every problem is listed."""

    service = staticmethod(campaign_activate)


class CampaignPauseApi(_CampaignActionApi):
    """Running → paused: no new calls; calls in flight finish."""

    service = staticmethod(campaign_pause)


class CampaignResumeApi(_CampaignActionApi):
    """Paused → running."""

    service = staticmethod(campaign_resume)


class CampaignCancelApi(_CampaignActionApi):
    """Any non-final status → cancelled."""

    service = staticmethod(campaign_cancel)

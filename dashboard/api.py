"""Statistics API (docs/architecture.md §8): one campaign's stats, and the five system dashboard
endpoints.

The views only read the query, call a selector and return its figures; the output serializers
describe the answers in the OpenAPI schema. Answers are the selectors' dictionaries as they are,
so the time-series timestamps keep the campaign's UTC offset.
"""

from __future__ import annotations

from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.models import Provider
from campaigns.models import Campaign, CampaignStatus
from dashboard import selectors
from dashboard.cache import campaign_stats_cached, system_stats_cached
from voicesurvey.permissions import CanAdminister
from voicesurvey.stats_cache import campaign_stats_invalidate

# --- campaign stats -----------------------------------------------------------------------------


class CampaignStatsQuerySerializer(serializers.Serializer):
    include_time_series = serializers.BooleanField(default=True)
    time_series_hours = serializers.IntegerField(
        min_value=selectors.TIME_SERIES_HOURS_RANGE[0],
        max_value=selectors.TIME_SERIES_HOURS_RANGE[1],
        default=selectors.DEFAULT_TIME_SERIES_HOURS,
    )
    time_series_days = serializers.IntegerField(
        min_value=selectors.TIME_SERIES_DAYS_RANGE[0],
        max_value=selectors.TIME_SERIES_DAYS_RANGE[1],
        default=selectors.DEFAULT_TIME_SERIES_DAYS,
    )


def _integers(name: str, *fields: str):
    return inline_serializer(name, {f: serializers.IntegerField() for f in fields})


class TimeSeriesPointSerializer(serializers.Serializer):
    timestamp = serializers.DateTimeField(help_text="Start of the bucket, in the campaign's zone.")
    attempts = serializers.IntegerField(help_text="Attempts started in the bucket.")
    completed = serializers.IntegerField()
    refused = serializers.IntegerField()
    not_reached = serializers.IntegerField(help_text="Of those: no answer, busy or failed.")


class CampaignStatsOutputSerializer(serializers.Serializer):
    campaign_id = serializers.UUIDField()
    campaign_name = serializers.CharField()
    campaign_status = serializers.ChoiceField(choices=CampaignStatus.choices)
    contacts = _integers(
        "CampaignStatsContacts",
        "total",
        "pending",
        "in_progress",
        "completed",
        "refused",
        "not_reached",
        "excluded",
    )
    call_outcomes = _integers(
        "CampaignStatsCallOutcomes",
        "total_attempts",
        "completed",
        "refused",
        "no_answer",
        "busy",
        "failed",
    )
    callbacks_waiting = serializers.IntegerField(
        help_text="Pending contacts who asked to be called back later, waiting for that time."
    )
    rates = inline_serializer(
        "CampaignStatsRates",
        {
            name: serializers.FloatField(help_text="Percent, 0–100, two decimals.")
            for name in ("completion_rate", "refusal_rate", "not_reached_rate", "answer_rate")
        },
    )
    duration_stats = inline_serializer(
        "CampaignStatsDurations",
        {
            f"{name}_duration_seconds": serializers.FloatField(
                allow_null=True, help_text="Answer to end; null without answered calls."
            )
            for name in ("average", "min", "max", "total")
        },
    )
    time_series_hourly = TimeSeriesPointSerializer(many=True)
    time_series_daily = TimeSeriesPointSerializer(many=True)
    generated_at = serializers.DateTimeField()
    cached = serializers.BooleanField()


class CampaignStatsApi(APIView):
    """A campaign's contacts, call outcomes, rates, talk time and time series (all roles).
    Cached for STATS_CACHE_TTL_SECONDS per campaign and query."""

    @extend_schema(
        parameters=[CampaignStatsQuerySerializer],
        responses=CampaignStatsOutputSerializer,
    )
    def get(self, request, campaign_id):
        # A plain dict, not the QueryDict: with a QueryDict DRF reads a missing boolean as
        # False (HTML checkbox semantics) instead of its default.
        query = CampaignStatsQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        return Response(campaign_stats_cached(campaign=campaign, **query.validated_data))


class CampaignStatsInvalidateApi(APIView):
    """Drop the campaign's cached statistics (admin only)."""

    permission_classes = [CanAdminister]

    @extend_schema(request=None, responses={204: None})
    def post(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        campaign_stats_invalidate(campaign_id=campaign.pk)
        return Response(status=204)


# --- system dashboard ---------------------------------------------------------------------------


class SystemOverviewOutputSerializer(serializers.Serializer):
    total_campaigns = serializers.IntegerField()
    total_contacts = serializers.IntegerField()
    total_call_attempts = serializers.IntegerField()
    total_responses = serializers.IntegerField()
    pending_contacts = serializers.IntegerField()
    in_progress_calls = serializers.IntegerField()
    failed_calls = serializers.IntegerField()
    emails_sent = serializers.IntegerField()
    emails_failed = serializers.IntegerField()
    scheduled_campaigns = serializers.IntegerField()


class SystemQueueOutputSerializer(serializers.Serializer):
    pending = serializers.IntegerField(
        help_text="Contacts the scheduler would dial now: due, and in calling time where they are."
    )
    processing = serializers.IntegerField(help_text="Calls in flight.")
    success = serializers.IntegerField(help_text="Completed attempts.")
    failed = serializers.IntegerField(help_text="Failed attempts.")
    avg_processing_time_ms = serializers.FloatField(allow_null=True)
    oldest_pending_age_seconds = serializers.IntegerField(allow_null=True)


class SystemOrchestratorOutputSerializer(serializers.Serializer):
    last_run_at = serializers.DateTimeField(allow_null=True)
    actions_last_run = serializers.IntegerField(help_text="Calls placed by the last tick.")
    actions_last_24h = serializers.IntegerField()
    queue_saturation = serializers.FloatField(help_text="Calls in flight / max concurrent.")
    active_workers = serializers.IntegerField(
        allow_null=True, help_text="Live task clusters; null when the broker is unreachable."
    )


class PlatformSerializer(serializers.Serializer):
    calls_placed = serializers.IntegerField()
    calls_completed = serializers.IntegerField()
    calls_failed = serializers.IntegerField()
    answer_rate = serializers.FloatField(help_text="Percent of finished calls answered.")
    avg_duration_seconds = serializers.FloatField(allow_null=True)


SystemPlatformsOutputSerializer = type(
    "SystemPlatformsOutputSerializer",
    (serializers.Serializer,),
    {provider: PlatformSerializer() for provider in Provider.values},
)


class SystemCampaignsOutputSerializer(serializers.Serializer):
    total_campaigns = serializers.IntegerField()
    by_status = _integers("SystemCampaignsByStatus", *CampaignStatus.values)
    billed_minutes = serializers.IntegerField(help_text="Started minutes of talk time.")
    total_budget_spent = serializers.FloatField(help_text="Billed minutes × cost per minute.")


# Overview, queue, platforms and campaigns aggregate whole tables: they are cached for
# STATS_CACHE_TTL_SECONDS (see dashboard/cache.py). The orchestrator's figures are live.
_CACHED = "Cached for STATS_CACHE_TTL_SECONDS (60 s by default)."


class SystemOverviewApi(APIView):
    @extend_schema(responses=SystemOverviewOutputSerializer, description=_CACHED)
    def get(self, request):
        return Response(system_stats_cached("overview")[0])


class SystemQueueApi(APIView):
    @extend_schema(responses=SystemQueueOutputSerializer, description=_CACHED)
    def get(self, request):
        return Response(system_stats_cached("queue")[0])


class SystemOrchestratorApi(APIView):
    @extend_schema(responses=SystemOrchestratorOutputSerializer)
    def get(self, request):
        return Response(selectors.system_orchestrator())


class SystemPlatformsApi(APIView):
    @extend_schema(responses=SystemPlatformsOutputSerializer, description=_CACHED)
    def get(self, request):
        return Response(system_stats_cached("platforms")[0])


class SystemCampaignsApi(APIView):
    @extend_schema(responses=SystemCampaignsOutputSerializer, description=_CACHED)
    def get(self, request):
        return Response(system_stats_cached("campaigns")[0])

"""Statistics API (docs/architecture.md §8): one campaign's stats and survey results, and the
five system dashboard endpoints.

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
from campaigns.models import Campaign, CampaignStatus, Language, QuestionType
from contacts.attributes import attribute_name_is_valid
from dashboard import selectors
from dashboard.cache import campaign_results_cached, campaign_stats_cached, system_stats_cached
from dashboard.results import GROUP_NONE, GROUP_OTHER, GROUP_VALUE, ResultsFilters
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
    rate_bases = inline_serializer(
        "CampaignStatsRateBases",
        {
            "contacts_callable": serializers.IntegerField(
                help_text="What completion, refusal and not-reached rates divide by: the "
                "contacts that could be called (all but the excluded)."
            ),
            "finished_attempts": serializers.IntegerField(
                help_text="What the answer rate divides by."
            ),
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


# --- campaign results ---------------------------------------------------------------------------

ATTRIBUTE_PREFIX = "attr."


def _check_attribute_name(name: str) -> None:
    if not attribute_name_is_valid(name):
        raise serializers.ValidationError(
            "Not an attribute name: a letter, then lower-case letters, digits and single "
            "underscores, at most 40 characters."
        )


class CampaignResultsQuerySerializer(serializers.Serializer):
    # "from" is a Python keyword: the field is declared below, under its query name.
    to = serializers.DateField(
        required=False, help_text="Last day (inclusive), in the campaign's time zone."
    )
    language = serializers.ChoiceField(
        choices=Language.choices, required=False, help_text="The language the survey was in."
    )
    attempt = serializers.IntegerField(
        min_value=1, required=False, help_text="The completing call's attempt number."
    )
    by = serializers.CharField(
        required=False,
        validators=[_check_attribute_name],
        help_text="A contact attribute: each question's figures per value of it (the 20 most "
        'frequent values, then "other", then "none" for contacts without it).',
    )
    text_page = serializers.IntegerField(
        min_value=1, default=1, help_text="Page of the free-text answers (20 a page)."
    )
    text_search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        default="",
        help_text="Free-text answers containing this (case-insensitive).",
    )

    def get_fields(self):
        fields = super().get_fields()
        fields["from"] = serializers.DateField(
            required=False, help_text="First day, in the campaign's time zone."
        )
        return fields

    def validate(self, attrs):
        if attrs.get("from") and attrs.get("to") and attrs["from"] > attrs["to"]:
            raise serializers.ValidationError({"from": ["After `to`."]})
        return attrs


def results_filters_parse(query_params) -> tuple[ResultsFilters, str | None]:
    """The query as the selector's filters and breakdown; 400 naming each field that is wrong
    (`attr.<name>` included)."""
    query = CampaignResultsQuerySerializer(data=query_params.dict())
    errors = {} if query.is_valid() else dict(query.errors)
    attributes = {}
    for key in query_params:
        if key.startswith(ATTRIBUTE_PREFIX):
            name = key[len(ATTRIBUTE_PREFIX) :]
            try:
                _check_attribute_name(name)
            except serializers.ValidationError as exc:
                errors[key] = exc.detail
            attributes[name] = query_params[key]
    if errors:
        raise serializers.ValidationError(errors)
    data = query.validated_data
    filters = ResultsFilters(
        date_from=data.get("from"),
        date_to=data.get("to"),
        language=data.get("language"),
        attempt=data.get("attempt"),
        attributes=attributes,
        text_page=data["text_page"],
        text_search=data["text_search"],
    )
    return filters, data.get("by")


class ChoiceCountSerializer(serializers.Serializer):
    count = serializers.IntegerField()
    share = serializers.FloatField(help_text="Percent of the answered, two decimals.")


class DistributionPointSerializer(serializers.Serializer):
    value = serializers.FloatField(help_text="A value (an integer for integers).")
    count = serializers.IntegerField()


class NpsSerializer(serializers.Serializer):
    promoters = serializers.IntegerField(help_text="9–10.")
    passives = serializers.IntegerField(help_text="7–8.")
    detractors = serializers.IntegerField(help_text="0–6.")
    score = serializers.FloatField(
        allow_null=True,
        help_text="% promoters − % detractors, one decimal, -100 … 100; null without answers.",
    )


class TextAnswerSerializer(serializers.Serializer):
    text = serializers.CharField()
    call_id = serializers.UUIDField(allow_null=True, help_text="Its call: /calls/<call_id>.")
    external_contact_id = serializers.CharField()
    language = serializers.CharField()
    completed_at = serializers.DateTimeField(allow_null=True)


class TextAnswersSerializer(serializers.Serializer):
    count = serializers.IntegerField(help_text="Answers (matching the search, if any).")
    page = serializers.IntegerField()
    page_size = serializers.IntegerField()
    pages = serializers.IntegerField()
    search = serializers.CharField(allow_blank=True)
    items = TextAnswerSerializer(many=True, help_text="Newest survey first.")


class QuestionFiguresSerializer(serializers.Serializer):
    """What every question has, and the figures of its type (only its type's fields)."""

    asked = serializers.IntegerField(help_text="Responses with the question asked.")
    answered = serializers.IntegerField()
    unanswered = serializers.IntegerField(help_text="Asked, not understood twice.")
    skipped = serializers.IntegerField(help_text="Responses where a skip rule jumped over it.")
    yes = ChoiceCountSerializer(required=False, help_text="yes_no.")
    no = ChoiceCountSerializer(required=False, help_text="yes_no.")
    distribution = DistributionPointSerializer(
        many=True,
        required=False,
        help_text="scale, number: every value of the range, zero-filled, in order (a number "
        "without bounds, or with a range over 101 values: the values seen).",
    )
    mean = serializers.FloatField(required=False, allow_null=True, help_text="Two decimals.")
    median = serializers.FloatField(required=False, allow_null=True, help_text="Two decimals.")
    nps = NpsSerializer(required=False, help_text="A scale read as Net Promoter Score.")
    options = inline_serializer(
        "OptionResult",
        {
            "value": serializers.CharField(),
            # "label" is a Field attribute: declared in this mapping, not as a class attribute.
            "label": serializers.DictField(
                child=serializers.CharField(), help_text="Per language."
            ),
            "count": serializers.IntegerField(),
            "share": serializers.FloatField(help_text="Percent of the answered, two decimals."),
        },
        many=True,
        required=False,
        help_text="single_choice: every option, in order.",
    )


class BreakdownGroupSerializer(QuestionFiguresSerializer):
    group = serializers.ChoiceField(
        choices=[GROUP_VALUE, GROUP_OTHER, GROUP_NONE],
        help_text="value: one of the 20 most frequent values; other: the rest; none: contacts "
        "without the attribute.",
    )
    value = serializers.CharField(allow_null=True, help_text="The attribute's value (group value).")
    responses = serializers.IntegerField()


class QuestionResultSerializer(QuestionFiguresSerializer):
    position = serializers.IntegerField()
    key = serializers.CharField()
    type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.DictField(child=serializers.CharField(), help_text="Per language.")
    texts = TextAnswersSerializer(required=False, help_text="free_text: a page of the answers.")
    breakdown = BreakdownGroupSerializer(many=True, required=False, help_text="With `by`.")


class CampaignResultsOutputSerializer(serializers.Serializer):
    campaign_id = serializers.UUIDField()
    filters = inline_serializer(
        "CampaignResultsFilters",
        {
            "from": serializers.DateField(allow_null=True),
            "to": serializers.DateField(allow_null=True),
            "language": serializers.CharField(allow_null=True),
            "attempt": serializers.IntegerField(allow_null=True),
            "attributes": serializers.DictField(child=serializers.CharField()),
            "text_page": serializers.IntegerField(),
            "text_search": serializers.CharField(allow_blank=True),
        },
    )
    by = serializers.CharField(allow_null=True)
    responses = serializers.IntegerField(help_text="Completed surveys the filters select.")
    questions = QuestionResultSerializer(many=True, help_text="In position order.")
    generated_at = serializers.DateTimeField()
    cached = serializers.BooleanField()


class CampaignResultsApi(APIView):
    """A campaign's survey results per question (all roles), over the completed surveys the
    filters select. Cached for STATS_CACHE_TTL_SECONDS per campaign and query; invalidated with
    the campaign's statistics."""

    @extend_schema(
        parameters=[CampaignResultsQuerySerializer],
        responses=CampaignResultsOutputSerializer,
        description="Filters on contact attributes: `attr.<name>=<value>`, any number of them, "
        "all of which must hold (e.g. `attr.region=north`). A name is a letter, then lower-case "
        "letters, digits and single underscores. A malformed one is a 400 naming `attr.<name>`.",
    )
    def get(self, request, campaign_id):
        filters, by = results_filters_parse(request.query_params)
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        return Response(campaign_results_cached(campaign=campaign, filters=filters, by=by))


# --- system dashboard ---------------------------------------------------------------------------


class SystemOverviewOutputSerializer(serializers.Serializer):
    total_campaigns = serializers.IntegerField()
    total_contacts = serializers.IntegerField()
    total_call_attempts = serializers.IntegerField()
    total_responses = serializers.IntegerField()
    pending_contacts = serializers.IntegerField(
        help_text="Pending contacts of scheduled, running and paused campaigns."
    )
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
    actions_last_24h = serializers.IntegerField(
        help_text="Calls placed (attempts started) since the start of the UTC hour 23 hours "
        "ago: the sum of the campaigns' last 24 hourly figures."
    )
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
    total_budget_spent = serializers.FloatField(
        help_text="Billed minutes × cost per minute: the sum of the campaigns' spend."
    )
    currency = serializers.CharField(help_text="CALL_COST_CURRENCY (ISO 4217).")


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

"""Campaign API (docs/architecture.md §8, "the rest of the API"): CRUD, where DELETE cancels, and
one view per lifecycle action. Reads for every role; writes for admins and campaign managers. Views
only translate: the services in campaigns/services.py do the work and the checks."""

from __future__ import annotations

from typing import Any

import django_filters
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import generics, serializers, status
from rest_framework.filters import SearchFilter
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns import lifecycle
from campaigns.languages import Language
from campaigns.models import Campaign, CampaignStatus, EmailTemplate, OutcomeType, QuestionType
from campaigns.questionnaire import FREE_TEXT_MAX, SKIP_OPS
from campaigns.selectors import (
    CAMPAIGN_SORT_CHOICES,
    campaign_facts,
    campaign_get_with_counts,
    campaign_list_search,
    campaign_questionnaire_data,
    campaigns_facts,
)
from campaigns.services import (
    CAMPAIGN_FIELDS,
    campaign_activate,
    campaign_cancel,
    campaign_clone,
    campaign_create,
    campaign_pause,
    campaign_resume,
    campaign_update,
)
from voicesurvey.models import User
from voicesurvey.permissions import CanManageCampaigns, CanView

# --- serializers -------------------------------------------------------------------------------


class OptionSerializer(serializers.Serializer):
    value = serializers.CharField(max_length=100, help_text="What is stored and exported.")
    digit = serializers.CharField(max_length=1, help_text="Its keypad key, 1–9.")
    # `label` is also an attribute of every DRF field: declared through vars(), like `if`.
    vars()["label"] = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=200),
        help_text='Per language, what is said: {"en": "Red", "it": "Rosso"}.',
    )
    synonyms = serializers.DictField(
        child=serializers.ListField(child=serializers.CharField(max_length=100), max_length=20),
        required=False,
        help_text="Per language, other words that mean this option.",
    )


class SkipRuleSerializer(serializers.Serializer):
    vars()["if"] = serializers.ChoiceField(
        choices=SKIP_OPS, help_text="How the answer is compared: equals, one_of, below, above."
    )
    value = serializers.CharField(required=False, max_length=100)
    values = serializers.ListField(
        child=serializers.CharField(max_length=100), required=False, max_length=20
    )
    to = serializers.CharField(max_length=40, help_text='A later question\'s key, or "end".')


class QuestionSerializer(serializers.Serializer):
    """One question, in campaigns/questionnaire.py's shape; the services check the rules
    between fields (ranges, options, forward-only skips, translations)."""

    key = serializers.CharField(max_length=40, help_text="Unique in the campaign: q1, q2… ")
    type = serializers.ChoiceField(choices=QuestionType.choices)
    text = serializers.DictField(
        child=serializers.CharField(allow_blank=True, max_length=1000),
        help_text="Per language, the question as said.",
    )
    min = serializers.IntegerField(required=False, allow_null=True)
    max = serializers.IntegerField(required=False, allow_null=True)
    nps = serializers.BooleanField(required=False, default=False)
    max_length = serializers.IntegerField(required=False, min_value=1, max_value=FREE_TEXT_MAX)
    options = OptionSerializer(many=True, required=False)
    skip = SkipRuleSerializer(many=True, required=False)


# The fixed script's fields before questionnaires (issue 13): still accepted on writes, mapped
# onto the default language's intro and questions 1–3. `questions` and `texts` win.
LEGACY_SCRIPT_FIELDS = (
    "intro_script",
    "question_1_text",
    "question_1_type",
    "question_2_text",
    "question_2_type",
    "question_3_text",
    "question_3_type",
)
_LEGACY_TYPES = {
    "free_text": "free_text",
    "numeric": "number",
    "number": "number",
    "scale": "scale",
}
LEGACY_QUESTION_TYPES = list(_LEGACY_TYPES)


class CampaignInputSerializer(serializers.ModelSerializer):
    """The fields a person sets. Field types and choices are checked here; everything else
    (the window's order, what the status lets change, the questionnaire's rules) by the
    services."""

    languages = serializers.ListField(
        child=serializers.ChoiceField(choices=Language.choices),
        required=False,
        max_length=len(Language.choices),
        help_text="The survey's languages; `language` is the default among them.",
    )
    texts = serializers.DictField(
        child=serializers.DictField(child=serializers.CharField(allow_blank=True, max_length=5000)),
        required=False,
        help_text="Per language: intro (required), consent, repeat, goodbye.",
    )
    questions = QuestionSerializer(
        many=True, required=False, help_text="The questionnaire: 1 to 20 questions, in order."
    )
    intro_script = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        help_text="Deprecated: texts.",
    )
    question_1_text = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Deprecated: questions."
    )
    question_2_text = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Deprecated: questions."
    )
    question_3_text = serializers.CharField(
        write_only=True, required=False, allow_blank=True, help_text="Deprecated: questions."
    )
    question_1_type = serializers.ChoiceField(
        choices=LEGACY_QUESTION_TYPES, write_only=True, required=False, help_text="Deprecated."
    )
    question_2_type = serializers.ChoiceField(
        choices=LEGACY_QUESTION_TYPES, write_only=True, required=False, help_text="Deprecated."
    )
    question_3_type = serializers.ChoiceField(
        choices=LEGACY_QUESTION_TYPES, write_only=True, required=False, help_text="Deprecated."
    )

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
        fields = (*CAMPAIGN_FIELDS, "questions", *LEGACY_SCRIPT_FIELDS)


def campaign_input(data: dict, campaign: Campaign | None) -> tuple[dict, list | None]:
    """The validated input split into the campaign's fields and its questionnaire (None: not
    sent), with the deprecated script fields mapped onto the new ones."""
    data = dict(data)
    questions = data.pop("questions", None)
    legacy = {name: data.pop(name) for name in LEGACY_SCRIPT_FIELDS if name in data}
    if not legacy:
        return data, _plain(questions)
    language = data.get("language") or (campaign.language if campaign else Language.EN)
    if "intro_script" in legacy and "texts" not in data:
        texts = dict(campaign.texts or {}) if campaign else {}
        texts[language] = {**texts.get(language, {}), "intro": legacy["intro_script"]}
        data["texts"] = texts
    if questions is None and any(name.startswith("question_") for name in legacy):
        current = campaign_questionnaire_data(campaign) if campaign else []
        questions = []
        for n in (1, 2, 3):
            question = dict(current[n - 1]) if n <= len(current) else {"key": f"q{n}"}
            text = legacy.get(f"question_{n}_text", question.get("text", {}).get(language, ""))
            question["text"] = {**question.get("text", {}), language: text}
            kind = _LEGACY_TYPES[legacy.get(f"question_{n}_type", "") or "free_text"]
            if f"question_{n}_type" in legacy or "type" not in question:
                question["type"] = kind
                question.update({"min": 1, "max": 10} if kind == "scale" else {})
            questions.append(question)
    return data, _plain(questions)


def _plain(value: Any) -> Any:
    """Nested serializer output as plain dicts and lists (stored as JSON)."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value


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
    questions = serializers.SerializerMethodField(help_text="The questionnaire, in order.")
    allowed_actions = serializers.SerializerMethodField(
        help_text="The lifecycle actions the campaign's status allows now."
    )

    class Meta:
        model = Campaign
        fields: tuple[str, ...] = (
            "id",
            "status",
            *CAMPAIGN_FIELDS,
            "questions",
            "created_by",
            "created_at",
            "updated_at",
            "counts",
            "allowed_actions",
        )
        read_only_fields = fields

    def get_allowed_actions(self, campaign) -> list[str]:
        return lifecycle.allowed_actions(campaign.status)

    @extend_schema_field(QuestionSerializer(many=True))
    def get_questions(self, campaign) -> list[dict]:
        return campaign_questionnaire_data(campaign)


class CampaignDiallingSerializer(serializers.Serializer):
    dialling = serializers.BooleanField(help_text="Calls are being placed now.")
    reason = serializers.CharField(
        help_text=(
            "Why (not): dialling, draft, scheduled, paused, budget_reached, completed, "
            "cancelled, nothing_left, finishing, provider_outage, scheduler_stopped, "
            "concurrency_limit, waiting_for_retries, outside_calling_hours."
        )
    )
    message = serializers.CharField(
        help_text="The reason in a sentence; times in the campaign's time zone, named."
    )
    next_dial_at = serializers.DateTimeField(
        allow_null=True, help_text="When dialling (re)starts, when known."
    )
    contacts_left = serializers.IntegerField(help_text="Contacts still to dial.")
    due_now = serializers.IntegerField(help_text="Of those, due and in calling hours now.")
    in_flight = serializers.IntegerField(help_text="The campaign's calls in progress.")


class CampaignProgressSerializer(serializers.Serializer):
    contacts_total = serializers.IntegerField()
    contacts_done = serializers.IntegerField(
        help_text="Completed, refused, excluded, or not reached with no attempt left."
    )
    contacts_left = serializers.IntegerField(help_text="Still to dial, or on a call now.")
    percent_done = serializers.FloatField(allow_null=True)
    calls_last_hour = serializers.IntegerField(help_text="Attempts started in the last hour.")
    calls_per_hour = serializers.FloatField(
        allow_null=True, help_text="The pace: attempts per hour of activity (24 h, else ever)."
    )
    attempts_left = serializers.IntegerField(help_text="Attempts still expected.")
    calling_hours_left = serializers.FloatField(allow_null=True)
    estimated_finish = serializers.DateTimeField(
        allow_null=True, help_text="From the pace and the calling hours ahead; running only."
    )


class CampaignCostSerializer(serializers.Serializer):
    currency = serializers.CharField(help_text="CALL_COST_CURRENCY (ISO 4217).")
    billed_minutes = serializers.IntegerField(help_text="Started minutes of talk time.")
    spent = serializers.DecimalField(max_digits=14, decimal_places=2)
    completed_surveys = serializers.IntegerField()
    per_completed_survey = serializers.DecimalField(
        max_digits=14, decimal_places=2, allow_null=True
    )
    budget = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    budget_left = serializers.DecimalField(max_digits=14, decimal_places=2, allow_null=True)
    budget_reached = serializers.BooleanField()


class CampaignListOutputSerializer(CampaignOutputSerializer):
    """A campaign of the list, with the engine's progress and cost of it (`campaigns_facts`,
    by campaign id in the context's "facts")."""

    progress = serializers.SerializerMethodField(
        help_text="Contacts done of all, calls per hour, estimated finish."
    )
    cost = serializers.SerializerMethodField(help_text="Spend, cost per completed survey, budget.")

    class Meta(CampaignOutputSerializer.Meta):
        fields = (*CampaignOutputSerializer.Meta.fields, "progress", "cost")
        read_only_fields = fields

    def _facts(self, campaign) -> dict:
        return self.context.get("facts", {}).get(campaign.pk, {})

    def _fact(self, campaign, name: str, serializer: type[serializers.Serializer]) -> dict | None:
        value = self._facts(campaign).get(name)
        return None if value is None else serializer(value).data

    @extend_schema_field(CampaignProgressSerializer(allow_null=True))
    def get_progress(self, campaign) -> dict | None:
        return self._fact(campaign, "progress", CampaignProgressSerializer)

    @extend_schema_field(CampaignCostSerializer(allow_null=True))
    def get_cost(self, campaign) -> dict | None:
        return self._fact(campaign, "cost", CampaignCostSerializer)


class CampaignDetailOutputSerializer(CampaignListOutputSerializer):
    """One campaign, with the engine's reading of it (`campaign_facts`, in the context's
    "facts"): also whether it dials now."""

    dialling = serializers.SerializerMethodField(
        help_text="Whether it dials now and, if not, why and when it will."
    )

    class Meta(CampaignOutputSerializer.Meta):
        fields = (*CampaignOutputSerializer.Meta.fields, "dialling", "progress", "cost")
        read_only_fields = fields

    def _facts(self, campaign) -> dict:
        return self.context.get("facts", {})

    @extend_schema_field(CampaignDiallingSerializer(allow_null=True))
    def get_dialling(self, campaign) -> dict | None:
        return self._fact(campaign, "dialling", CampaignDiallingSerializer)


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


class CampaignListQuerySerializer(serializers.Serializer):
    sort = serializers.ChoiceField(
        choices=[value for value, _ in CAMPAIGN_SORT_CHOICES],
        required=False,
        help_text="name, created, progress (share of contacts done) or status (in the order "
        'of a campaign\'s life); "-" before it for descending. Default -created.',
    )
    created_after = serializers.DateField(required=False)
    created_before = serializers.DateField(required=False)

    def validate(self, attrs):
        after, before = attrs.get("created_after"), attrs.get("created_before")
        if after and before and after > before:
            raise serializers.ValidationError(
                {"created_before": "Must be on or after created_after."}
            )
        return attrs


class CampaignListApi(_ReadOrManage, generics.ListAPIView):
    """`GET /api/campaigns` (filters: status, created_after, created_before; search: name;
    sort: name, created, progress, status, "-" for descending) and `POST /api/campaigns` (a
    new draft). A bad parameter is a 400 naming it."""

    serializer_class = CampaignListOutputSerializer
    filterset_class = CampaignFilter
    filter_backends = [django_filters.rest_framework.DjangoFilterBackend, SearchFilter]
    search_fields = ["name"]

    def get_queryset(self):
        query = CampaignListQuerySerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        sort = query.validated_data.get("sort", "-created")
        return (
            campaign_list_search(sort=sort)
            .select_related("created_by")
            .prefetch_related("questions")
        )

    @extend_schema(
        parameters=[
            OpenApiParameter(
                "sort",
                enum=[value for value, _ in CAMPAIGN_SORT_CHOICES],
                description=str(CampaignListQuerySerializer().fields["sort"].help_text),
            )
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_serializer(self, *args, **kwargs):
        # The page's progress and cost, read for all its campaigns at once.
        if kwargs.get("many"):
            campaigns = list(args[0])
            kwargs["context"] = {
                **self.get_serializer_context(),
                "facts": campaigns_facts(campaigns=campaigns, now=timezone.now()),
            }
            args = (campaigns, *args[1:])
        return super().get_serializer(*args, **kwargs)

    @extend_schema(request=CampaignInputSerializer, responses={201: CampaignOutputSerializer})
    def post(self, request):
        data = CampaignInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        fields, questions = campaign_input(data.validated_data, None)
        campaign = campaign_create(actor=request.user, fields=fields, questions=questions)
        return Response(_campaign_data(campaign), status=status.HTTP_201_CREATED)


# --- one campaign ------------------------------------------------------------------------------


class CampaignDetailApi(_ReadOrManage, APIView):
    """`GET/PUT/PATCH /api/campaigns/{id}`; `DELETE` cancels the campaign (a soft delete).
    What may change depends on the status: see docs/architecture.md §5."""

    @extend_schema(responses=CampaignDetailOutputSerializer)
    def get(self, request, campaign_id):
        campaign = _get_with_counts_or_404(campaign_id)
        facts = campaign_facts(campaign=campaign, now=timezone.now())
        return Response(CampaignDetailOutputSerializer(campaign, context={"facts": facts}).data)

    def _update(self, request, campaign_id, *, partial: bool) -> Response:
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        data = CampaignInputSerializer(campaign, data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        fields, questions = campaign_input(data.validated_data, campaign)
        campaign = campaign_update(
            campaign=campaign, actor=request.user, fields=fields, questions=questions
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


class CampaignCloneInputSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, allow_blank=True, max_length=200, help_text='Default "<name> (copy)".'
    )


class CampaignCloneApi(APIView):
    """`POST /api/campaigns/{id}/clone`: a new draft with the campaign's script, questionnaire
    and settings, without its contacts."""

    permission_classes = [CanManageCampaigns]

    @extend_schema(request=CampaignCloneInputSerializer, responses={201: CampaignOutputSerializer})
    def post(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        data = CampaignCloneInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        clone = campaign_clone(
            campaign=campaign, actor=request.user, name=data.validated_data.get("name", "")
        )
        return Response(
            _campaign_data(_get_with_counts_or_404(clone.pk)), status=status.HTTP_201_CREATED
        )

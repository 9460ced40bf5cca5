"""API of the calls engine: `GET /api/calls/{call_id}`, the provider configuration
(`/api/config/provider`, admins only), and a number's erasure (`POST /api/contacts/forget`,
GDPR, admins only: it deletes calls)."""

from __future__ import annotations

import dataclasses

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from calls.erasure import contact_forget
from calls.models import CallAttempt, ProviderConfig
from calls.selectors import (
    call_attempt_answers,
    call_attempt_events,
    call_attempt_get,
    provider_config_get,
)
from calls.services import PROVIDER_CONFIG_FIELDS, provider_config_update
from voicesurvey.permissions import (
    CanAdminister,
    Capability,
    CapabilityPermission,
    phone_number_for,
)


class CanReadCallDetails(CapabilityPermission):
    """Managers and admins. The design's matrix lets every role read call details, but the
    calls issue limits them to managers and admins: a call's transcript and answers are the
    callee's own words, which viewers (who see phone numbers masked) do not get either. The
    capability that is exactly those two roles is seeing phone numbers."""

    capability = Capability.SEE_PHONE_NUMBERS


class CallCampaignSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()


class CallContactSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone_number = serializers.CharField()
    external_contact_id = serializers.CharField()
    state = serializers.CharField()


class CallAnswerSerializer(serializers.Serializer):
    number = serializers.IntegerField(help_text="The question's position.")
    key = serializers.CharField()
    question = serializers.CharField(help_text="As the callee heard it, in the call's language.")
    question_type = serializers.CharField()
    status = serializers.ChoiceField(choices=["answered", "unanswered"])
    answer = serializers.CharField(allow_blank=True)
    raw = serializers.CharField(allow_blank=True, help_text="The digits keyed or the words said.")
    mode = serializers.CharField(allow_blank=True, help_text="speech, dtmf, or empty.")
    confidence = serializers.FloatField(allow_null=True)
    asked = serializers.IntegerField(help_text="How many times the question was asked.")


class CallEventSerializer(serializers.Serializer):
    status = serializers.CharField()
    event_key = serializers.CharField()
    received_at = serializers.DateTimeField()


class CallDetailOutputSerializer(serializers.Serializer):
    call_id = serializers.UUIDField()
    campaign = CallCampaignSerializer()
    contact = CallContactSerializer()
    attempt_number = serializers.IntegerField()
    provider = serializers.CharField()
    provider_call_id = serializers.CharField()
    outcome = serializers.CharField(allow_null=True, help_text="null while the call is in flight")
    provider_raw_status = serializers.CharField()
    error_code = serializers.CharField()
    started_at = serializers.DateTimeField()
    answered_at = serializers.DateTimeField(allow_null=True)
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_seconds = serializers.IntegerField(allow_null=True, help_text="answered → ended")
    dialogue_step = serializers.CharField()
    transcript = serializers.CharField(help_text="snippet of the dialogue, prompts and replies")
    trace_id = serializers.CharField(
        help_text="the `trace_id` of this call's log lines in every process (the tick that "
        "placed it, its webhooks); empty for calls placed before traces were kept"
    )
    answers = CallAnswerSerializer(many=True)
    events = CallEventSerializer(many=True)


class CallDetailApi(APIView):
    """One call attempt: outcome, timestamps, provider ids, error, transcript and answers."""

    permission_classes = [CanReadCallDetails]

    @extend_schema(responses=CallDetailOutputSerializer)
    def get(self, request, call_id):
        try:
            attempt = call_attempt_get(call_id=call_id)
        except CallAttempt.DoesNotExist as exc:
            raise Http404("No such call.") from exc
        contact = attempt.contact
        data = {
            "call_id": attempt.call_id,
            "campaign": {"id": attempt.campaign_id, "name": attempt.campaign.name},
            "contact": {
                "id": contact.pk,
                "phone_number": phone_number_for(request.user, contact.phone_number),
                "external_contact_id": contact.external_contact_id,
                "state": contact.state,
            },
            "attempt_number": attempt.attempt_number,
            "provider": attempt.provider,
            "provider_call_id": attempt.provider_call_id,
            "outcome": attempt.outcome,
            "provider_raw_status": attempt.provider_raw_status,
            "error_code": attempt.error_code,
            "started_at": attempt.started_at,
            "answered_at": attempt.answered_at,
            "ended_at": attempt.ended_at,
            "duration_seconds": attempt.duration_seconds,
            "dialogue_step": attempt.dialogue_step,
            "transcript": attempt.transcript,
            "trace_id": attempt.trace_id,
            "answers": [dataclasses.asdict(a) for a in call_attempt_answers(attempt=attempt)],
            "events": call_attempt_events(attempt=attempt).values(
                "status", "event_key", "received_at"
            ),
        }
        return Response(CallDetailOutputSerializer(data).data)


class ProviderConfigSerializer(serializers.ModelSerializer):
    class Meta:
        model = ProviderConfig
        fields = (*PROVIDER_CONFIG_FIELDS, "updated_at")
        read_only_fields = ("updated_at",)


class ProviderConfigApi(APIView):
    """`GET/PUT/PATCH /api/config/provider`: the telephony settings (admins only). Choosing a
    provider this installation cannot use (Twilio without its settings) is a 400 on
    `provider`, saying what is missing."""

    permission_classes = [CanAdminister]

    @extend_schema(responses=ProviderConfigSerializer)
    def get(self, request):
        return Response(ProviderConfigSerializer(provider_config_get()).data)

    def _update(self, request, *, partial: bool) -> Response:
        data = ProviderConfigSerializer(provider_config_get(), data=request.data, partial=partial)
        data.is_valid(raise_exception=True)
        config = provider_config_update(actor=request.user, fields=data.validated_data)
        return Response(ProviderConfigSerializer(config).data)

    @extend_schema(request=ProviderConfigSerializer, responses=ProviderConfigSerializer)
    def put(self, request):
        return self._update(request, partial=False)

    @extend_schema(request=ProviderConfigSerializer, responses=ProviderConfigSerializer)
    def patch(self, request):
        return self._update(request, partial=True)


# --- GDPR ---------------------------------------------------------------------------------------


class ContactForgetInputSerializer(serializers.Serializer):
    phone_number = serializers.CharField(max_length=40)


class ContactForgetOutputSerializer(serializers.Serializer):
    contacts = serializers.IntegerField(help_text="Contacts deleted, one per campaign.")
    campaigns = serializers.IntegerField()
    attempts = serializers.IntegerField(help_text="Their call attempts, deleted with them.")


class ContactForgetApi(APIView):
    """`POST /api/contacts/forget` `{phone_number}`: delete everything held about the number in
    every campaign (GDPR; admins only). 200 with the counts, also when nothing was held."""

    permission_classes = [CanAdminister]

    @extend_schema(request=ContactForgetInputSerializer, responses=ContactForgetOutputSerializer)
    def post(self, request):
        data = ContactForgetInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        report = contact_forget(
            phone_number=data.validated_data["phone_number"], actor=request.user
        )
        return Response(ContactForgetOutputSerializer(report).data)

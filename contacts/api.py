"""Contacts and exclusion list API (docs/architecture.md §8, "the rest of the API").

- `POST /api/campaigns/{id}/contacts/upload`: a CSV file of contacts (admins, managers);
- `GET /api/campaigns/{id}/contacts`: a campaign's contacts, filtered (every role; phone
  numbers and emails masked for viewers);
- `GET, POST /api/exclusions`, `POST /api/exclusions/import`: the exclusion list, read and
  added to by admins and managers (docs/architecture.md §7 "manage exclusion list"; its numbers are
  those of people who asked not to be called, so viewers, who see no numbers, do not read it
  either);
- `DELETE /api/exclusions/{id}`: admins only.

A number's erasure, `POST /api/contacts/forget`, deletes calls: it is the engine's (calls/api.py).

Views translate and call one service or selector; file-level import problems are 400 with
`{"detail": …}` (413 over the size limit), never a 500.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.urls import reverse
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import exceptions, generics, serializers, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from campaigns.models import Campaign
from contacts.attributes import MAX_ATTRIBUTE_VALUE, MAX_ATTRIBUTES, attribute_name_is_valid
from contacts.csv_import import CsvImportError, upload_file_name, upload_size_error
from contacts.models import (
    CallOutcome,
    Contact,
    ContactState,
    ExclusionEntry,
    ExclusionSource,
    PreferredLanguage,
)
from contacts.search import ContactSearchRefused, contact_search_screen
from contacts.selectors import contact_list, exclusion_list
from contacts.services.exclusions import exclusion_add, exclusion_import, exclusion_remove
from contacts.services.imports import contact_import
from contacts.services.rejected_rows import (
    rejected_rows_csv,
    rejected_rows_file_name,
    rejected_rows_get,
    rejected_rows_keep,
)
from contacts.services.requeue import RequeueRefused, campaign_requeue_not_reached
from voicesurvey.permissions import (
    CanAdminister,
    CanManageCampaigns,
    CanManageExclusions,
    Capability,
    phone_number_for,
    user_has_capability,
)
from voicesurvey.ratelimit import requester_key

# --- imports ------------------------------------------------------------------------------------


class CsvUploadInputSerializer(serializers.Serializer):
    file = serializers.FileField(
        allow_empty_file=True,  # the import says what is wrong with an empty file
        help_text="A CSV file: comma, semicolon or tab separated; UTF-8 (with or without BOM), "
        "else Windows-1252/latin-1; at most MAX_UPLOAD_MB.",
    )


class RowErrorSerializer(serializers.Serializer):
    line = serializers.IntegerField(help_text="Line in the file; the header is line 1.")
    field = serializers.CharField(help_text='The column concerned ("" for the whole row).')
    code = serializers.CharField(
        help_text="missing_phone, invalid_phone, unclosed_quote, invalid_email, "
        "unknown_language, invalid_boolean, too_long, duplicate_in_file, already_in_campaign."
    )
    reason = serializers.CharField()
    value = serializers.CharField(
        help_text='The offending cell as read, a phone number masked ("" for the whole row).'
    )


class ImportReportSerializer(serializers.Serializer):
    """What every CSV import report has (contacts/csv_import.py `ImportReport`)."""

    rows = serializers.IntegerField(help_text="Data rows read (blank lines are not counted).")
    rejected = serializers.IntegerField()
    rejected_by_code = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Every rejected row counted by its code, commonest first.",
    )
    errors_not_listed = serializers.IntegerField()
    # The serializer's metaclass takes declared fields off the class, so this field does not
    # shadow Serializer.errors, as the stubs believe.
    errors = RowErrorSerializer(  # type: ignore[assignment]
        many=True, help_text="The first 1,000 rejected rows, by line (all are counted)."
    )
    encoding = serializers.CharField(help_text="utf-8, utf-8-sig, cp1252 or latin-1.")
    delimiter = serializers.ChoiceField(choices=["comma", "semicolon", "tab"])
    ignored_columns = serializers.ListField(
        child=serializers.CharField(),
        help_text="Header cells read as nothing (no field, and not kept as an attribute), in "
        "header order.",
    )
    ignored_column_reasons = serializers.DictField(
        child=serializers.CharField(), help_text="Each ignored header cell → why it was ignored."
    )
    rejected_rows_url = serializers.CharField(
        allow_null=True,
        help_text="GET it (as the uploader, within a day) for the rejected rows as a CSV: their "
        "columns as uploaded and an `error` column (the first 10,000 rows). null: none.",
    )


class ContactImportReportSerializer(ImportReportSerializer):
    accepted = serializers.IntegerField(
        help_text="Contacts created, the excluded ones included: accepted + rejected = rows."
    )
    excluded = serializers.IntegerField(
        help_text="Of the accepted, those stored as excluded (on the exclusion list, or "
        "do_not_call): never dialled."
    )
    attribute_columns = serializers.ListField(
        child=serializers.CharField(),
        help_text="The attribute names (normalised: region, customer_tier) of the columns that "
        "are no contact field, kept on each contact as `attributes`; at most 30.",
    )


class ExclusionImportReportSerializer(ImportReportSerializer):
    added = serializers.IntegerField()
    already_listed = serializers.IntegerField(
        help_text="Numbers already on the list, or earlier in the same file."
    )
    contacts_excluded = serializers.IntegerField(
        help_text="Contacts (of any campaign) that could still be dialled, now excluded."
    )


def _import_error(exc: CsvImportError) -> Response:
    code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE if exc.code == "too_large" else 400
    return Response({"detail": exc.message}, status=code)


def _uploaded_file(request):
    """The `file` of a multipart request, or the Response refusing the request: over the size
    limit before the body is read, when the client says so; no file."""
    too_large = upload_size_error(request.META.get("CONTENT_LENGTH"))
    if too_large is not None:
        return None, _import_error(too_large)
    data = CsvUploadInputSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    return data.validated_data["file"], None


_UPLOAD_RESPONSES = {
    400: OpenApiResponse(
        description='A file-level problem: `{"detail": …}`; no file: `{"file": […]}`.'
    ),
    413: OpenApiResponse(description="Over MAX_UPLOAD_MB."),
}


def _with_url(report, url: str | None) -> dict:
    """The report's fields (its properties too) with the rejected rows' download URL."""
    data: dict[str, Any] = dict(vars(report))
    data["errors_not_listed"] = report.errors_not_listed
    data["rejected_rows_url"] = url
    return data


class RejectedRowsApi(APIView):
    """`GET /api/rejected-rows/{rejected_id}` (the report's `rejected_rows_url`): the rejected
    rows of one's own upload, contacts or exclusions, as a CSV (text/csv) of their columns as
    uploaded plus `error`; for a day, for the uploader only (404 otherwise)."""

    permission_classes = [CanManageCampaigns]

    @extend_schema(responses={(200, "text/csv"): str})
    def get(self, request, rejected_id):
        rejected = rejected_rows_get(rejected_id=rejected_id, user=request.user)
        if rejected is None:
            raise exceptions.NotFound(
                "These rejected rows are no longer kept (a day after the upload), or were not "
                "yours."
            )
        response = HttpResponse(rejected_rows_csv(rejected), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = (
            f'attachment; filename="{rejected_rows_file_name(rejected)}"'
        )
        return response


class CampaignContactsUploadApi(APIView):
    """`POST /api/campaigns/{id}/contacts/upload` (multipart, field `file`): every valid row
    becomes a contact, every other row is reported with its line and reason. All or nothing:
    a file that fails part-way imports nothing. 201 when contacts were created, else 200."""

    permission_classes = [CanManageCampaigns]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": CsvUploadInputSerializer},
        responses={
            201: ContactImportReportSerializer,
            200: ContactImportReportSerializer,
            **_UPLOAD_RESPONSES,
        },
    )
    def post(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        file, refused = _uploaded_file(request)
        if refused:
            return refused
        try:
            report = contact_import(campaign=campaign, file=file, actor=request.user)
        except CsvImportError as exc:
            return _import_error(exc)
        kept = rejected_rows_keep(
            report=report, actor=request.user, campaign=campaign, file_name=upload_file_name(file)
        )
        url = reverse("api:rejected-rows", args=[kept.pk]) if kept else None
        return Response(
            ContactImportReportSerializer(_with_url(report, url)).data,
            status=status.HTTP_201_CREATED if report.accepted else status.HTTP_200_OK,
        )


# --- re-queue -----------------------------------------------------------------------------------
class CampaignRequeueOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField(help_text="The new draft campaign.")
    name = serializers.CharField()
    status = serializers.CharField()
    requeued_from = serializers.UUIDField(help_text="The finished campaign it came from.")
    contacts = serializers.IntegerField(help_text="Not-reached contacts copied in, pending.")


class CampaignRequeueApi(APIView):
    """`POST /api/campaigns/{id}/requeue`: a new draft cloned from this finished (completed or
    cancelled) campaign, with its not-reached contacts that may still be called copied in as
    pending. 201; 400 `{"detail": …}` when the campaign is not finished or has no such contact."""

    permission_classes = [CanManageCampaigns]

    @extend_schema(
        request=None,
        responses={
            201: CampaignRequeueOutputSerializer,
            400: OpenApiResponse(description="Not finished, or no contact left not reached."),
        },
    )
    def post(self, request, campaign_id):
        campaign = get_object_or_404(Campaign, pk=campaign_id)
        try:
            result = campaign_requeue_not_reached(campaign=campaign, actor=request.user)
        except RequeueRefused as exc:
            return Response({"detail": str(exc)}, status=status.HTTP_400_BAD_REQUEST)
        clone = result.campaign
        data = {
            "id": clone.pk,
            "name": clone.name,
            "status": clone.status,
            "requeued_from": campaign.pk,
            "contacts": result.contacts,
        }
        return Response(CampaignRequeueOutputSerializer(data).data, status=status.HTTP_201_CREATED)


# --- contacts -----------------------------------------------------------------------------------


class ContactListInputSerializer(serializers.Serializer):
    state = serializers.ChoiceField(choices=ContactState.choices, required=False)
    last_outcome = serializers.ChoiceField(choices=CallOutcome.choices, required=False)
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="A phone number in any notation, or an external id: matched exactly. "
        "Viewers search by external id only (a phone-shaped search is 400); every role's "
        "searches are limited per minute (429 above it).",
    )


class ContactOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    campaign_id = serializers.UUIDField()
    external_contact_id = serializers.CharField()
    phone_number = serializers.CharField(help_text="E.164; masked (+39 *** *** 4567) for viewers.")
    email = serializers.CharField(allow_null=True, help_text="null for viewers.")
    preferred_language = serializers.ChoiceField(choices=PreferredLanguage.choices)
    timezone = serializers.CharField()
    has_prior_consent = serializers.BooleanField()
    do_not_call = serializers.BooleanField()
    state = serializers.ChoiceField(choices=ContactState.choices)
    attempts_count = serializers.IntegerField()
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_outcome = serializers.ChoiceField(choices=CallOutcome.choices, allow_null=True)
    next_attempt_at = serializers.DateTimeField(allow_null=True)
    callback_at = serializers.DateTimeField(
        allow_null=True, help_text="When the callee asked to be called back (then pending)."
    )
    attributes = serializers.DictField(
        child=serializers.CharField(),
        help_text="The uploaded file's other columns, {name: value}; empty values are absent.",
    )
    created_at = serializers.DateTimeField()


def _contact_data(contact: Contact, user, personal: bool) -> dict:
    return {
        "id": contact.id,
        "campaign_id": contact.campaign_id,
        "external_contact_id": contact.external_contact_id,
        "phone_number": phone_number_for(user, contact.phone_number),
        "email": contact.email if personal else None,
        "preferred_language": contact.preferred_language,
        "timezone": contact.timezone,
        "has_prior_consent": contact.has_prior_consent,
        "do_not_call": contact.do_not_call,
        "state": contact.state,
        "attempts_count": contact.attempts_count,
        "last_attempt_at": contact.last_attempt_at,
        "last_outcome": contact.last_outcome or None,
        "next_attempt_at": contact.next_attempt_at,
        "callback_at": contact.callback_at,
        "attributes": contact.attributes,
        "created_at": contact.created_at,
    }


ATTRIBUTE_FILTER_PREFIX = "attr."


def _attribute_filters(query_params) -> dict[str, str]:
    """`attr.<name>=<value>` parameters as {name: value}, or a 400 naming the parameter."""
    filters: dict[str, str] = {}
    for parameter, values in query_params.lists():
        if not parameter.startswith(ATTRIBUTE_FILTER_PREFIX):
            continue
        name = parameter.removeprefix(ATTRIBUTE_FILTER_PREFIX)
        if not attribute_name_is_valid(name):
            problem = (
                "Not an attribute name: lower-case letters, digits and single underscores, "
                "starting with a letter, at most 40 characters (as the upload report lists "
                "them)."
            )
        elif len(values) > 1:
            problem = "Give each attribute once."
        elif not values[0]:
            problem = "Give a value to match (contacts have no empty attributes)."
        elif len(values[0]) > MAX_ATTRIBUTE_VALUE:
            problem = f"At most {MAX_ATTRIBUTE_VALUE} characters, as attributes are."
        else:
            filters[name] = values[0]
            continue
        raise exceptions.ValidationError({parameter: [problem]})
    if len(filters) > MAX_ATTRIBUTES:
        raise exceptions.ValidationError(
            {"attr": [f"At most {MAX_ATTRIBUTES} attribute filters, as there are attributes."]}
        )
    return filters


class CampaignContactsApi(generics.ListAPIView):
    """`GET /api/campaigns/{id}/contacts?state=&last_outcome=&search=&attr.<name>=&page=`
    (and `page_size=`): the campaign's contacts in upload order, paginated."""

    serializer_class = ContactOutputSerializer
    filter_backends: list = []  # filtered by the selector, from the checked query below

    def get_queryset(self):
        campaign = get_object_or_404(Campaign, pk=self.kwargs["campaign_id"])
        query = ContactListInputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        sees_phones = user_has_capability(self.request.user, Capability.SEE_PHONE_NUMBERS)
        try:
            contact_search_screen(
                search=query.validated_data.get("search", ""),
                sees_phone_numbers=sees_phones,
                requester=requester_key(self.request),
            )
        except ContactSearchRefused as exc:
            if exc.status == 429:
                raise exceptions.Throttled(detail=exc.message) from None
            raise exceptions.ValidationError({"search": [exc.message]}) from None
        return contact_list(
            campaign=campaign,
            search_phone_numbers=sees_phones,
            attributes=_attribute_filters(self.request.query_params),
            **query.validated_data,
        )

    @extend_schema(
        description="The campaign's contacts in upload order, paginated. Besides the "
        "parameters below, `attr.<name>=<value>` keeps the contacts whose attribute `<name>` "
        "is exactly `<value>` (`?attr.region=north&attr.tier=gold`: both); a name that is "
        "not an attribute name as stored (lower case, digits, single underscores) is 400 "
        "naming the parameter. Every role may filter so.",
        parameters=[ContactListInputSerializer],
        responses={
            200: ContactOutputSerializer(many=True),
            429: OpenApiResponse(description="Too many searches this minute."),
        },
    )
    def get(self, request, campaign_id):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is set: always a page
        personal = user_has_capability(request.user, Capability.SEE_PHONE_NUMBERS)
        rows = [_contact_data(contact, request.user, personal) for contact in page]
        return self.get_paginated_response(ContactOutputSerializer(rows, many=True).data)


# --- exclusions ---------------------------------------------------------------------------------


class ExclusionOutputSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    phone_number = serializers.CharField()
    reason = serializers.CharField()
    # A declared field, not Field.source: the serializer's metaclass takes it off the class.
    source = serializers.ChoiceField(choices=ExclusionSource.choices)  # type: ignore[assignment]
    added_by = serializers.CharField(
        help_text="Who or what added it: a username, the imported file's name, "
        '"the callee, during a call", or "unknown" (added before this was recorded).'
    )
    added_by_user_id = serializers.IntegerField(allow_null=True)
    campaign_id = serializers.UUIDField(
        allow_null=True, help_text="The campaign it came from (a callee's request)."
    )
    call_id = serializers.UUIDField(
        allow_null=True, help_text="The call in which the callee asked not to be called."
    )
    source_detail = serializers.CharField(help_text="The imported file's name, for an import.")
    created_at = serializers.DateTimeField()


class ExclusionAddInputSerializer(serializers.Serializer):
    phone_number = serializers.CharField(max_length=40, help_text="Any notation; stored E.164.")
    reason = serializers.CharField(max_length=255, required=False, allow_blank=True, default="")


class ExclusionAddOutputSerializer(ExclusionOutputSerializer):
    created = serializers.BooleanField(help_text="false: the number was already listed.")
    contacts_excluded = serializers.IntegerField()


class _SearchInputSerializer(serializers.Serializer):
    search = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=255,
        help_text="A phone number in any notation, matched exactly.",
    )


def _exclusion_data(entry: ExclusionEntry, user) -> dict:
    return {
        "id": entry.id,
        "phone_number": phone_number_for(user, entry.phone_number),
        "reason": entry.reason,
        "source": entry.source,
        "added_by": entry.added_by_label,
        "added_by_user_id": entry.added_by_id,
        "campaign_id": entry.campaign_id,
        "call_id": entry.call_attempt_id,
        "source_detail": entry.source_detail,
        "created_at": entry.created_at,
    }


class ExclusionListApi(generics.ListAPIView):
    """`GET /api/exclusions?search=` (newest first, paginated) and `POST /api/exclusions`
    `{phone_number, reason}`: 201 when added, 200 when it was already listed."""

    permission_classes = [CanManageExclusions]
    serializer_class = ExclusionOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        query = _SearchInputSerializer(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return exclusion_list(search=query.validated_data.get("search", ""))

    @extend_schema(parameters=[_SearchInputSerializer])
    def get(self, request):
        page = self.paginate_queryset(self.get_queryset())
        assert page is not None  # DEFAULT_PAGINATION_CLASS is set: always a page
        rows = [_exclusion_data(entry, request.user) for entry in page]
        return self.get_paginated_response(ExclusionOutputSerializer(rows, many=True).data)

    @extend_schema(
        request=ExclusionAddInputSerializer,
        responses={201: ExclusionAddOutputSerializer, 200: ExclusionAddOutputSerializer},
    )
    def post(self, request):
        data = ExclusionAddInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        entry, created, excluded = exclusion_add(
            **data.validated_data, source=ExclusionSource.API, actor=request.user
        )
        return Response(
            ExclusionAddOutputSerializer(
                {
                    **_exclusion_data(entry, request.user),
                    "created": created,
                    "contacts_excluded": excluded,
                }
            ).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class ExclusionImportApi(APIView):
    """`POST /api/exclusions/import` (multipart, field `file`: a phone column, optionally a
    reason): adds every valid number, excludes the contacts that could still be dialled with
    them in every campaign. 201 when numbers were added, else 200."""

    permission_classes = [CanManageExclusions]
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        request={"multipart/form-data": CsvUploadInputSerializer},
        responses={
            201: ExclusionImportReportSerializer,
            200: ExclusionImportReportSerializer,
            **_UPLOAD_RESPONSES,
        },
    )
    def post(self, request):
        file, refused = _uploaded_file(request)
        if refused:
            return refused
        try:
            report = exclusion_import(file=file, actor=request.user)
        except CsvImportError as exc:
            return _import_error(exc)
        kept = rejected_rows_keep(
            report=report, actor=request.user, campaign=None, file_name=upload_file_name(file)
        )
        url = reverse("api:rejected-rows", args=[kept.pk]) if kept else None
        return Response(
            ExclusionImportReportSerializer(_with_url(report, url)).data,
            status=status.HTTP_201_CREATED if report.added else status.HTTP_200_OK,
        )


class ExclusionDetailApi(APIView):
    """`DELETE /api/exclusions/{id}`: take the number off the list (admins). Contacts it
    excluded stay excluded."""

    permission_classes = [CanAdminister]

    @extend_schema(responses={204: OpenApiResponse(description="Removed.")})
    def delete(self, request, entry_id):
        entry = get_object_or_404(ExclusionEntry, pk=entry_id)
        exclusion_remove(entry=entry, actor=request.user)
        return Response(status=status.HTTP_204_NO_CONTENT)

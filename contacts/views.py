"""Contact pages: the CSV upload and its row report, the campaign page's contacts table, and
the exclusion list. Every form works as a plain POST or GET without JavaScript; with htmx the
upload and the table's filters swap only their part of the page.

Who sees what: the contacts table is for every role (phone numbers masked for viewers);
uploads are for those who manage campaigns; the exclusion list is read, added to and imported
into by admins and managers (docs/architecture.md §7 "manage exclusion list"; viewers do not see it
at all, as it is nothing but phone numbers), and only admins remove from it.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from campaigns.models import Campaign
from contacts.attributes import MAX_ATTRIBUTE_VALUE, attribute_name_is_valid
from contacts.csv_import import CsvImportError, upload_file_name, upload_size_error
from contacts.forms import CsvUploadForm, ExclusionAddForm
from contacts.models import ContactState, ExclusionEntry, ExclusionSource
from contacts.search import ContactSearchRefused, contact_search_screen
from contacts.selectors import contact_attribute_names_cached, contact_list, exclusion_list
from contacts.services.exclusions import exclusion_add, exclusion_import, exclusion_remove
from contacts.services.imports import contact_import
from contacts.services.rejected_rows import (
    rejected_rows_csv,
    rejected_rows_file_name,
    rejected_rows_get,
    rejected_rows_keep,
)
from contacts.services.requeue import RequeueRefused, campaign_requeue_not_reached
from voicesurvey.htmx import is_htmx, render_partial_or_page
from voicesurvey.permissions import (
    Capability,
    phone_number_for,
    require_capability,
    user_has_capability,
)
from voicesurvey.ratelimit import requester_key
from voicesurvey.zones import page_zone

CONTACTS_PAGE_SIZE = 50
EXCLUSIONS_PAGE_SIZE = 50
TABLE_TEMPLATE = "contacts/_contacts_table.html"
REPORT_TEMPLATE = "contacts/_import_report.html"


# --- the contacts table -------------------------------------------------------------------------


def contacts_table_context(*, request: HttpRequest, campaign: Campaign) -> dict:
    """What `contacts/_contacts_table.html` shows (three queries: the campaign's attribute
    names, unless cached; the count; the page), read from the request's `state`, `q`, `attr`
    and `attr_value` (one attribute filter, exact) and `page`. Keys are prefixed `contacts_`
    so that they can join a page's own context."""
    state = request.GET.get("state", "")
    if state not in ContactState.values:
        state = ""
    search = request.GET.get("q", "").strip()[:255]
    attribute = request.GET.get("attr", "")
    attribute_value = request.GET.get("attr_value", "").strip()[:MAX_ATTRIBUTE_VALUE]
    if not (attribute_name_is_valid(attribute) and attribute_value):
        attribute = attribute_value = ""
    user = request.user
    sees_phones = user_has_capability(user, Capability.SEE_PHONE_NUMBERS)
    contacts = contact_list(
        campaign=campaign,
        state=state,
        search=search,
        search_phone_numbers=sees_phones,
        attributes={attribute: attribute_value} if attribute else None,
    )
    error, status = "", 200
    try:
        contact_search_screen(
            search=search, sees_phone_numbers=sees_phones, requester=requester_key(request)
        )
    except ContactSearchRefused as exc:
        error, status, contacts = exc.message, exc.status, contacts.none()
    page = Paginator(contacts, CONTACTS_PAGE_SIZE).get_page(request.GET.get("page"))
    return {
        "contacts_error": error,
        "contacts_status": status,
        "contacts_searches_phones": sees_phones,
        "campaign": campaign,
        "zone": page_zone(campaign.timezone),
        "contacts_page": page,
        "contacts_rows": [
            (contact, phone_number_for(user, contact.phone_number)) for contact in page.object_list
        ],
        "contacts_state": state,
        "contacts_q": search,
        "contacts_attribute": attribute,
        "contacts_attribute_value": attribute_value,
        "contacts_filtered": bool(state or search or attribute),
        "contacts_query": urlencode(
            {
                key: value
                for key, value in (
                    ("state", state),
                    ("q", search),
                    ("attr", attribute),
                    ("attr_value", attribute_value),
                )
                if value
            }
        ),
        "contacts_states": ContactState.choices,
        "contacts_attribute_names": contact_attribute_names_cached(campaign),
    }


@require_GET
@require_capability(Capability.VIEW)
def contacts_table(request, campaign_id):
    """The table alone for htmx; without it, a page around the table, so that its filter form
    and page links work without JavaScript."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    context = contacts_table_context(request=request, campaign=campaign)
    return render_partial_or_page(
        request,
        partial=TABLE_TEMPLATE,
        page="contacts/contacts_page.html",
        context=context,
        status=context["contacts_status"],
    )


# --- the upload ---------------------------------------------------------------------------------


@require_POST
@require_capability(Capability.MANAGE_CAMPAIGNS)
def contacts_upload(request, campaign_id):
    """Import the posted CSV into the campaign and show its row report: the report alone for
    htmx (with the contacts table refreshed out of band), a page around it otherwise.
    File-level problems are a message and a 400."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    report, error = None, None
    refused = upload_size_error(request.META.get("CONTENT_LENGTH"))
    if refused is not None:
        error = refused.message
    else:
        form = CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            error = str(form.errors["file"][0])  # a message: ErrorList gives str, not the error
        else:
            try:
                report = contact_import(
                    campaign=campaign, file=form.cleaned_data["file"], actor=request.user
                )
            except CsvImportError as exc:
                error = exc.message
    context: dict[str, Any] = {"campaign": campaign, "report": report, "error": error}
    if report is not None:
        kept = rejected_rows_keep(
            report=report,
            actor=request.user,
            campaign=campaign,
            file_name=upload_file_name(form.cleaned_data["file"]),
        )
        if kept is not None:
            context["rejected_download_url"] = reverse("contacts:rejected_rows", args=[kept.pk])
    status = 400 if error else 200
    if not is_htmx(request):
        return render(request, "contacts/import_report.html", context, status=status)
    imported = report is not None and report.accepted
    if imported:
        context |= contacts_table_context(request=request, campaign=campaign)
        context["contacts_table_oob"] = True
    response = render(request, REPORT_TEMPLATE, context, status=status)
    if imported:  # the page's statistics panel listens for this, and refreshes itself
        response["HX-Trigger"] = "contacts-imported"
    return response


# --- the exclusion list -------------------------------------------------------------------------


def _exclusion_page(
    request,
    *,
    add_form=None,
    import_report=None,
    import_error=None,
    rejected_download_url=None,
    status=200,
):
    search = request.GET.get("q", "").strip()[:255]
    page = Paginator(exclusion_list(search=search), EXCLUSIONS_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    user = request.user
    return render(
        request,
        "contacts/exclusion_list.html",
        {
            "page": page,
            "entries": [(entry, phone_number_for(user, entry.phone_number)) for entry in page],
            "q": search,
            "query": urlencode({"q": search}) if search else "",
            "add_form": add_form or ExclusionAddForm(),
            "import_report": import_report,
            "import_error": import_error,
            "rejected_download_url": rejected_download_url,
        },
        status=status,
    )


@require_GET
@require_capability(Capability.MANAGE_EXCLUSIONS)
def exclusion_list_view(request):
    return _exclusion_page(request)


@require_POST
@require_capability(Capability.MANAGE_EXCLUSIONS)
def exclusion_add_view(request):
    form = ExclusionAddForm(request.POST)
    if form.is_valid():
        try:
            entry, created, excluded = exclusion_add(
                **form.cleaned_data, source=ExclusionSource.MANUAL, actor=request.user
            )
        except ValidationError as exc:
            for field, problems in exc.message_dict.items():
                for problem in problems:
                    form.add_error(field, problem)
        else:
            shown = phone_number_for(request.user, entry.phone_number)
            if created:
                messages.success(
                    request,
                    f"{shown} is on the exclusion list; {excluded} contact"
                    f"{'' if excluded == 1 else 's'} will not be called.",
                )
            else:
                messages.info(request, f"{shown} was already on the exclusion list.")
            return redirect("contacts:exclusion_list")
    return _exclusion_page(request, add_form=form, status=400)


@require_POST
@require_capability(Capability.MANAGE_EXCLUSIONS)
def exclusion_import_view(request):
    refused = upload_size_error(request.META.get("CONTENT_LENGTH"))
    if refused is not None:
        return _exclusion_page(request, import_error=refused.message, status=400)
    form = CsvUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _exclusion_page(request, import_error=form.errors["file"][0], status=400)
    try:
        report = exclusion_import(file=form.cleaned_data["file"], actor=request.user)
    except CsvImportError as exc:
        return _exclusion_page(request, import_error=exc.message, status=400)
    kept = rejected_rows_keep(
        report=report,
        actor=request.user,
        campaign=None,
        file_name=upload_file_name(form.cleaned_data["file"]),
    )
    return _exclusion_page(
        request,
        import_report=report,
        rejected_download_url=reverse("contacts:rejected_rows", args=[kept.pk]) if kept else None,
    )


@require_POST
@require_capability(Capability.ADMINISTER)
def exclusion_remove_view(request, entry_id):
    entry = get_object_or_404(ExclusionEntry, pk=entry_id)
    shown = phone_number_for(request.user, entry.phone_number)
    exclusion_remove(entry=entry, actor=request.user)
    messages.success(
        request,
        f"{shown} is off the exclusion list. Contacts it excluded stay excluded; "
        "new uploads will include the number.",
    )
    return redirect("contacts:exclusion_list")


@require_POST
@require_capability(Capability.MANAGE_CAMPAIGNS)
def campaign_requeue_view(request, campaign_id):
    """The campaign page's "Re-queue not reached" button: a new draft with the contacts this
    finished campaign did not reach, or back to the page saying why not."""
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        result = campaign_requeue_not_reached(campaign=campaign, actor=request.user)
    except RequeueRefused as exc:
        messages.error(request, str(exc))
        return redirect("campaign_detail", campaign_id=campaign.pk)
    messages.success(
        request,
        f"{result.contacts} not-reached contact{'' if result.contacts == 1 else 's'} of "
        f"“{campaign.name}” re-queued in this new draft: activate it to call them again.",
    )
    return redirect("campaign_detail", campaign_id=result.campaign.pk)


# --- rejected rows ------------------------------------------------------------------------------


@require_GET
@require_capability(Capability.MANAGE_CAMPAIGNS)
def rejected_rows_download(request, rejected_id):
    """The rejected rows of one's own upload (contacts or exclusions), as a CSV to fix and
    upload again."""
    rejected = rejected_rows_get(rejected_id=rejected_id, user=request.user)
    if rejected is None:
        raise Http404(
            "These rejected rows are no longer kept (a day after the upload), or were not yours."
        )
    response = HttpResponse(rejected_rows_csv(rejected), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{rejected_rows_file_name(rejected)}"'
    return response

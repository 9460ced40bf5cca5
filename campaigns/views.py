"""Campaign pages: the list, the create and edit forms, the campaign page (configuration,
lifecycle actions, contacts upload, statistics, contacts, exports) and the lifecycle actions.
Thin: the services do the work; their errors become field errors or messages."""

from __future__ import annotations

import zoneinfo
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST

from campaigns import lifecycle
from campaigns.forms import CampaignForm, CampaignListQueryForm, campaign_zone
from campaigns.languages import Language, language_name
from campaigns.models import Campaign, CampaignStatus
from campaigns.questionnaire import (
    MAX_OPTIONS,
    MIN_OPTIONS,
    QUESTION_TYPE_LABELS,
    SKIP_OPS,
    TEXT_LABELS,
)
from campaigns.questionnaire_form import error_place, questionnaire_display, texts_display
from campaigns.selectors import (
    campaign_list_search,
    campaign_list_with_counts,
    campaign_questionnaire,
    campaign_questionnaire_data,
)
from campaigns.services import (
    CAMPAIGN_ACTIONS,
    campaign_clone,
    campaign_create,
    campaign_update,
)
from voicesurvey.permissions import Capability, require_capability
from voicesurvey.zones import page_zone

_ACTION_DONE = {
    "activate": "The campaign is {status}.",
    "pause": "The campaign is paused: no new calls start; calls in flight finish.",
    "resume": "The campaign is running again.",
    "cancel": "The campaign is cancelled.",
}


@require_capability(Capability.VIEW)
def campaign_list(request):
    data = request.GET.copy()
    if data.get("status", "") not in CampaignStatus.values:
        data.pop("status", None)  # an unknown status shows every campaign, as it always did
    form = CampaignListQueryForm(data)
    if form.is_valid():
        campaigns = campaign_list_search(**form.search_kwargs())
        status_code = 200
    else:
        campaigns = campaign_list_with_counts().none()
        status_code = 400
    status = form.cleaned_data.get("status", "") if form.is_valid() else ""
    # What the filters and pagination links carry over.
    kept = {
        name: data[name]
        for name in ("search", "created_after", "created_before", "sort")
        if data.get(name)
    }
    page = Paginator(campaigns, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "campaigns/campaign_list.html",
        {
            "page": page,
            "form": form,
            "status": status,
            "statuses": CampaignStatus.choices,
            "status_query": urlencode(kept),
            "query": urlencode({**({"status": status} if status else {}), **kept}),
            "filtered": bool(kept.keys() - {"sort"}),
        },
        status=status_code,
    )


def _form_page(request, *, form, campaign=None, status=200):
    frozen = form.questionnaire_frozen and campaign is not None
    return render(
        request,
        "campaigns/campaign_form.html",
        {
            "form": form,
            "campaign": campaign,
            # What the questionnaire editor (static/js/questionnaire.js) needs besides the
            # form's own JSON boxes.
            "editor_setup": {
                "types": QUESTION_TYPE_LABELS,
                "languages": dict(Language.choices),
                "textLabels": TEXT_LABELS,
                "skipOps": SKIP_OPS,
                "minOptions": MIN_OPTIONS,
                "maxOptions": MAX_OPTIONS,
                "errors": form.questionnaire_errors,
            },
            # A live campaign's questionnaire cannot change: shown as on the campaign page.
            **(_questionnaire_context(campaign) if frozen else {}),
        },
        status=status,
    )


def _questionnaire_context(campaign: Campaign) -> dict:
    languages = campaign.survey_languages
    return {
        "survey_languages": [(code, language_name(code)) for code in languages],
        "questionnaire": questionnaire_display(campaign_questionnaire(campaign), languages),
        "texts": texts_display(campaign.texts, languages),
    }


@require_capability(Capability.MANAGE_CAMPAIGNS)
def campaign_new(request):
    if request.method != "POST":
        return _form_page(request, form=CampaignForm())
    with timezone.override(campaign_zone(request.POST, None)):
        form = CampaignForm(request.POST)
        if form.is_valid():
            try:
                campaign = campaign_create(
                    actor=request.user, fields=form.changed_fields(), questions=form.questions()
                )
            except ValidationError as exc:
                form.put_errors(exc)
            else:
                messages.success(request, "Campaign created as a draft.")
                return redirect("campaign_detail", campaign_id=campaign.pk)
        return _form_page(request, form=form, status=400)


@require_capability(Capability.MANAGE_CAMPAIGNS)
def campaign_edit(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.is_final:
        messages.error(request, f"A {campaign.status} campaign cannot be edited.")
        return redirect("campaign_detail", campaign_id=campaign.pk)
    with timezone.override(campaign_zone(request.POST, campaign)):
        if request.method != "POST":
            return _form_page(request, form=CampaignForm(campaign=campaign), campaign=campaign)
        form = CampaignForm(request.POST, campaign=campaign)
        if form.is_valid():
            try:
                campaign_update(
                    campaign=campaign,
                    actor=request.user,
                    fields=form.changed_fields(),
                    questions=form.questions(),
                )
            except ValidationError as exc:
                form.put_errors(exc)
            else:
                messages.success(request, "Campaign saved.")
                return redirect("campaign_detail", campaign_id=campaign.pk)
        return _form_page(request, form=form, campaign=campaign, status=400)


@require_capability(Capability.VIEW)
def campaign_detail(request, campaign_id):
    campaign = get_object_or_404(
        Campaign.objects.select_related(
            "created_by",
            "completed_email_template",
            "refused_email_template",
            "not_reached_email_template",
        ),
        pk=campaign_id,
    )
    zone = page_zone(campaign.timezone)
    return render(
        request,
        "campaigns/campaign_detail.html",
        {
            "campaign": campaign,
            "zone": zone,
            "actions": lifecycle.allowed_actions(campaign.status),
            "editable": not campaign.is_final,
            "starts_at_local": (
                campaign.starts_at.astimezone(zoneinfo.ZoneInfo(zone))
                if campaign.starts_at
                else None
            ),
            "currency": settings.CALL_COST_CURRENCY,
            **_questionnaire_context(campaign),
        },
    )


@require_POST
@require_capability(Capability.MANAGE_CAMPAIGNS)
def campaign_action(request, campaign_id, action):
    service = CAMPAIGN_ACTIONS[action]
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    try:
        service(campaign=campaign, actor=request.user)
    except lifecycle.TransitionError as exc:
        messages.error(request, str(exc))
    except ValidationError as exc:
        labels = _field_labels()
        questions = campaign_questionnaire_data(campaign)
        messages.error(request, "The campaign cannot be activated yet:")
        for field, problems in exc.message_dict.items():
            # "questions.3.text.it" → "Question 3 (q3), text, Italian"
            label = labels.get(field) or error_place(field, questions)
            for problem in problems:
                messages.warning(request, f"{label}: {problem}")
    else:
        messages.success(request, _ACTION_DONE[action].format(status=campaign.status))
    return redirect("campaign_detail", campaign_id=campaign.pk)


def _field_labels() -> dict[str, str]:
    labels = {name: str(field.label) for name, field in CampaignForm().fields.items()}
    labels["contacts"] = "Contacts"
    return labels


@require_POST
@require_capability(Capability.MANAGE_CAMPAIGNS)
def campaign_clone_view(request, campaign_id):
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    clone = campaign_clone(campaign=campaign, actor=request.user)
    messages.success(request, f"Cloned from “{campaign.name}” as a draft, without contacts.")
    return redirect("campaign_detail", campaign_id=clone.pk)

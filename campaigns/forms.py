"""The campaign form of the create and edit pages. It only reads the input (types, choices,
the model fields' own validators); the services check the rest, and their errors are put back
on the form's fields by `CampaignForm.put_errors`."""

from __future__ import annotations

import zoneinfo
from typing import cast

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import Case, QuerySet, When

from campaigns import lifecycle
from campaigns.languages import Language, language_name
from campaigns.models import (
    WEEKDAYS,
    Campaign,
    CampaignStatus,
    EmailTemplate,
    OutcomeType,
    default_call_days,
    default_timezone,
)
from campaigns.questionnaire_form import labelled_errors
from campaigns.selectors import CAMPAIGN_SORT_CHOICES, campaign_questionnaire_data
from campaigns.services import CAMPAIGN_FIELDS
from voicesurvey.zones import TIMEZONES

_WIDGETS: dict[str, forms.Widget | type[forms.Widget]] = {
    "description": forms.Textarea(attrs={"rows": 2}),
    "texts": forms.Textarea(attrs={"rows": 6, "class": "json", "data-qe-texts": ""}),
    "call_window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "call_window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
}
_LABELS = {
    "timezone": "Time zone",
    "language": "Default language",
    "texts": "Texts (JSON: per language, intro, consent, repeat, goodbye)",
    "call_window_start": "Calls from (local time)",
    "call_window_end": "Calls until (local time)",
    "retry_interval_minutes": "Retry after (minutes)",
    "starts_at": "Starts at (the campaign's local time; empty: when activated)",
    "budget": f"Budget in {settings.CALL_COST_CURRENCY} (reached, it pauses; empty: no limit)",
    "completed_email_template": "Email after a completed survey",
    "refused_email_template": "Email after a refusal",
    "not_reached_email_template": "Email when not reached",
}
_TEMPLATE_TYPES = {
    "completed_email_template": OutcomeType.COMPLETED,
    "refused_email_template": OutcomeType.REFUSED,
    "not_reached_email_template": OutcomeType.NOT_REACHED,
}


def email_templates_for(*, outcome: str, language: str) -> QuerySet[EmailTemplate]:
    """The templates of one outcome, in `language` first, then by name."""
    return (
        EmailTemplate.objects.filter(type=outcome)
        .annotate(other_language=Case(When(locale=language, then=0), default=1))
        .order_by("other_language", "name", "pk")
    )


def email_template_label(template: EmailTemplate) -> str:
    """A template's name, with its language unless the name already gives it ("Thanks (en)")."""
    if f"({template.locale})" in template.name:
        return template.name
    return f"{template.name} ({language_name(template.locale)})"


class CampaignForm(forms.Form):
    """All of CAMPAIGN_FIELDS, and the questionnaire; those the campaign's status does not let
    change are disabled (shown, not submitted). `starts_at` is read and shown in the campaign's
    time zone. `texts` and `questionnaire` are JSON (campaigns/questionnaire.py's shapes):
    static/js/questionnaire.js edits them as a form, and without JavaScript they are typed."""

    def __init__(self, data=None, files=None, *, campaign: Campaign | None = None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if campaign is not None:
            initial = {
                **{name: getattr(campaign, name) for name in CAMPAIGN_FIELDS},
                **{name: getattr(campaign, f"{name}_id") for name in _TEMPLATE_TYPES},
                "languages": campaign.survey_languages,
                "questionnaire": campaign_questionnaire_data(campaign),
                **initial,
            }
        super().__init__(data, files, initial=initial, **kwargs)
        self.campaign = campaign
        # The services' errors about the questionnaire and the texts, by their own keys
        # ("questions.3.options", "texts.it.intro"), for the editor to put beside each field.
        self.questionnaire_errors: dict[str, list[str]] = {}
        self.fields.update(
            forms.fields_for_model(Campaign, fields=CAMPAIGN_FIELDS, widgets=_WIDGETS)
        )
        self.fields["call_days"] = forms.TypedMultipleChoiceField(
            choices=WEEKDAYS,
            coerce=int,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            label="Call days",
            initial=default_call_days,
        )
        self.fields["languages"] = forms.MultipleChoiceField(
            choices=Language.choices,
            required=False,
            widget=forms.CheckboxSelectMultiple(attrs={"data-qe-languages": ""}),
            label="Survey languages",
            help_text="The default language is always one of them.",
            initial=[Language.EN],
        )
        self.fields["questionnaire"] = forms.JSONField(
            required=False,
            label="Questionnaire (JSON: a list of questions)",
            widget=forms.Textarea(attrs={"rows": 10, "class": "json", "data-qe-questions": ""}),
            initial=list,
        )
        self.fields["language"].widget.attrs["data-qe-default-language"] = ""
        model_validators = {f.name: f.validators for f in Campaign._meta.fields}
        for name, field in self.fields.items():
            # The model fields' own validators (1–5 attempts, a real time zone …), so that
            # the form reports them with the rest, before the service sees the values. (The
            # choice fields' choices already keep them in range.)
            if name in ("call_days", "languages"):
                continue
            field.validators = [*field.validators, *model_validators.get(name, [])]
        language = (data or {}).get("language") or (campaign.language if campaign else Language.EN)
        for name, outcome in _TEMPLATE_TYPES.items():
            # A foreign key's form field, as fields_for_model makes it: each template once, by
            # its name (and its language when the name does not say it), the campaign's
            # language first.
            template_field = cast(forms.ModelChoiceField, self.fields[name])
            template_field.queryset = email_templates_for(outcome=outcome, language=language)
            template_field.label_from_instance = email_template_label  # type: ignore[method-assign,assignment]
        for name, label in _LABELS.items():
            self.fields[name].label = label
        # Chosen from the list, not typed: a select (static/js/zone_search.js adds a search
        # box that narrows it); a zone no longer in the list stays selectable on its campaign.
        zones = TIMEZONES
        current = campaign.timezone if campaign else None
        if current and current not in zones:
            zones = [current, *zones]
        self.fields["timezone"].widget = forms.Select(
            choices=[(zone, zone.replace("_", " ")) for zone in zones],
            attrs={"data-zone-select": ""},
        )
        if campaign is not None:
            editable = lifecycle.editable_fields(campaign.status)
            if editable is not None:
                for name, field in self.fields.items():
                    # The questionnaire is the service's "questions".
                    field_name = "questions" if name == "questionnaire" else name
                    field.disabled = field_name not in editable

    def clean_questionnaire(self):
        """Only the JSON's types: a list of objects whose numbers are numbers (the service
        compares them). What they mean is the service's to check."""
        questions = self.cleaned_data.get("questionnaire")
        if questions in (None, ""):
            return None
        if not isinstance(questions, list) or not all(isinstance(q, dict) for q in questions):
            raise ValidationError('A list of questions, each an object: [{"key": "q1", …}].')
        for number, question in enumerate(questions, start=1):
            for name in ("min", "max", "max_length"):
                value = question.get(name)
                if value is not None and (not isinstance(value, int) or isinstance(value, bool)):
                    raise ValidationError(
                        f"Question {number}: {name} is a whole number, not {value!r}."
                    )
        return questions

    @property
    def questionnaire_frozen(self) -> bool:
        return self.fields["questionnaire"].disabled

    def changed_fields(self) -> dict:
        """The cleaned values of the campaign's fields that may be submitted (disabled ones
        are not); the questionnaire is apart (`questions`)."""
        fields = {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled and name != "questionnaire"
        }
        # An empty JSON box is no text and no language (the service then takes the default).
        if "texts" in fields and fields["texts"] is None:
            fields["texts"] = {}
        return fields

    def questions(self) -> list | None:
        """The questionnaire sent, for the services' `questions`: None when it may not change
        or (on a new campaign) when none was written, so that a draft can be saved with a name
        only; an emptied one on an existing campaign is sent empty, for the service to refuse."""
        if self.fields["questionnaire"].disabled:
            return None
        sent = self.cleaned_data.get("questionnaire")
        if not sent:
            return [] if self.campaign is not None and self.initial.get("questionnaire") else None
        return sent

    def put_errors(self, error: ValidationError) -> None:
        """A service's ValidationError, on the fields it names; the questionnaire's and the
        texts' (keyed "questions.3.options", "texts.it.intro") on their box, each message
        saying which question and language it is about."""
        questions = getattr(self, "cleaned_data", {}).get("questionnaire")
        questions = questions if isinstance(questions, list) else []
        for field, messages in error.message_dict.items():
            head = field.split(".")[0]
            if head in ("questions", "texts"):
                self.questionnaire_errors[field] = list(messages)
                self.add_error(
                    "questionnaire" if head == "questions" else "texts",
                    labelled_errors({field: messages}, questions),
                )
                continue
            self.add_error(
                field if field in self.fields and field != NON_FIELD_ERRORS else None, messages
            )

    def questionnaire_summary(self) -> list[str]:
        """The questionnaire's and the texts' errors, for the list at the top of the form."""
        return [*self.errors.get("questionnaire", ()), *self.errors.get("texts", ())]


def campaign_zone(data, campaign: Campaign | None) -> zoneinfo.ZoneInfo:
    """The zone to read `starts_at` in: the submitted one when valid, else the campaign's or
    the default."""
    for name in (data.get("timezone") if data else None, campaign and campaign.timezone):
        try:
            if name:
                return zoneinfo.ZoneInfo(name)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            continue
    return zoneinfo.ZoneInfo(default_timezone())


class CampaignListQueryForm(forms.Form):
    """The campaign list's search, filters and sort (the page's GET parameters; the API's are
    the same names). Every field is optional; a bad one is an error naming it."""

    search = forms.CharField(required=False, max_length=200, strip=True, label="Name")
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *CampaignStatus.choices]
    )
    created_after = forms.DateField(
        required=False, input_formats=["%Y-%m-%d"], label="Created from"
    )
    created_before = forms.DateField(required=False, input_formats=["%Y-%m-%d"], label="Created to")
    sort = forms.ChoiceField(
        required=False,
        choices=[("", "Newest first"), *CAMPAIGN_SORT_CHOICES],
        label="Sort by",
    )

    def clean(self):
        data = super().clean() or {}
        after, before = data.get("created_after"), data.get("created_before")
        if after and before and after > before:
            self.add_error("created_before", "Must be on or after “Created from”.")
        return data

    def search_kwargs(self) -> dict:
        """campaign_list_search's arguments (the form must be valid)."""
        data = self.cleaned_data
        return {
            "search": data["search"],
            "statuses": [data["status"]] if data["status"] else [],
            "created_after": data["created_after"],
            "created_before": data["created_before"],
            "sort": data["sort"] or "-created",
        }

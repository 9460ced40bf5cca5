"""The campaign form of the create and edit pages. It only reads the input (types, choices,
the model fields' own validators); the services check the rest, and their errors are put back
on the form's fields by `CampaignForm.put_errors`."""

from __future__ import annotations

import zoneinfo
from typing import cast

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError

from campaigns import lifecycle
from campaigns.models import (
    WEEKDAYS,
    Campaign,
    EmailTemplate,
    OutcomeType,
    default_call_days,
    default_timezone,
)
from campaigns.services import CAMPAIGN_FIELDS

_WIDGETS: dict[str, forms.Widget | type[forms.Widget]] = {
    "description": forms.Textarea(attrs={"rows": 2}),
    "intro_script": forms.Textarea(attrs={"rows": 4}),
    "question_1_text": forms.Textarea(attrs={"rows": 2}),
    "question_2_text": forms.Textarea(attrs={"rows": 2}),
    "question_3_text": forms.Textarea(attrs={"rows": 2}),
    "call_window_start": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "call_window_end": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
    "starts_at": forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
}
_LABELS = {
    "timezone": "Time zone",
    "intro_script": "Introduction and consent question",
    "question_1_text": "Question 1",
    "question_2_text": "Question 2",
    "question_3_text": "Question 3",
    "question_1_type": "Answer type",
    "question_2_type": "Answer type",
    "question_3_type": "Answer type",
    "call_window_start": "Calls from (local time)",
    "call_window_end": "Calls until (local time)",
    "retry_interval_minutes": "Retry after (minutes)",
    "starts_at": "Starts at (the campaign's local time; empty: when activated)",
    "completed_email_template": "Email after a completed survey",
    "refused_email_template": "Email after a refusal",
    "not_reached_email_template": "Email when not reached",
}
_TEMPLATE_TYPES = {
    "completed_email_template": OutcomeType.COMPLETED,
    "refused_email_template": OutcomeType.REFUSED,
    "not_reached_email_template": OutcomeType.NOT_REACHED,
}


class CampaignForm(forms.Form):
    """All of CAMPAIGN_FIELDS; those the campaign's status does not let change are disabled
    (shown, not submitted). `starts_at` is read and shown in the campaign's time zone."""

    def __init__(self, data=None, files=None, *, campaign: Campaign | None = None, **kwargs):
        initial = kwargs.pop("initial", None) or {}
        if campaign is not None:
            initial = {
                **{name: getattr(campaign, name) for name in CAMPAIGN_FIELDS},
                **{name: getattr(campaign, f"{name}_id") for name in _TEMPLATE_TYPES},
                **initial,
            }
        super().__init__(data, files, initial=initial, **kwargs)
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
        model_validators = {f.name: f.validators for f in Campaign._meta.fields}
        for name, field in self.fields.items():
            # The model fields' own validators (1–5 attempts, a real time zone …), so that
            # the form reports them with the rest, before the service sees the values. (The
            # call days' choices already keep them to weekdays.)
            if name == "call_days":
                continue
            field.validators = [*field.validators, *model_validators[name]]
        for name, outcome in _TEMPLATE_TYPES.items():
            # A foreign key's form field, as fields_for_model makes it.
            template_field = cast(forms.ModelChoiceField, self.fields[name])
            template_field.queryset = EmailTemplate.objects.filter(type=outcome)
        for name, label in _LABELS.items():
            self.fields[name].label = label
        self.fields["timezone"].widget = forms.TextInput(attrs={"list": "timezones"})
        if campaign is not None:
            editable = lifecycle.editable_fields(campaign.status)
            if editable is not None:
                for name, field in self.fields.items():
                    field.disabled = name not in editable

    def changed_fields(self) -> dict:
        """The cleaned values of the fields that may be submitted (disabled ones are not)."""
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if not self.fields[name].disabled
        }

    def put_errors(self, error: ValidationError) -> None:
        """A service's ValidationError, on the fields it names (the others on the form)."""
        for field, messages in error.message_dict.items():
            self.add_error(
                field if field in self.fields and field != NON_FIELD_ERRORS else None, messages
            )


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

"""The account page's form: the zone a user sees every time in."""

from __future__ import annotations

from django import forms

from voicesurvey.zones import TIMEZONES

PAGES_OWN_ZONES = "Each page's own zone (default)"


class AccountForm(forms.Form):
    # Chosen from the list, not typed: a select (static/js/zone_search.js adds a search box).
    timezone = forms.ChoiceField(
        label="Time zone",
        required=False,
        choices=[("", PAGES_OWN_ZONES), *((zone, zone.replace("_", " ")) for zone in TIMEZONES)],
        help_text="Every time on every page is shown in this zone, named. Exports and the API "
        "keep the campaign's zone.",
        widget=forms.Select(attrs={"data-zone-select": ""}),
    )

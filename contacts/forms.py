"""Page forms: they check the shape of the input only; the services decide the rest."""

from __future__ import annotations

from django import forms


class CsvUploadForm(forms.Form):
    # allow_empty_file: the import itself says what is wrong with an empty file.
    file = forms.FileField(
        label="CSV file",
        allow_empty_file=True,
        error_messages={"required": "Choose a CSV file to upload."},
    )


class ExclusionAddForm(forms.Form):
    phone_number = forms.CharField(
        label="Phone number", max_length=40, widget=forms.TextInput(attrs={"inputmode": "tel"})
    )
    reason = forms.CharField(label="Reason", max_length=255, required=False)

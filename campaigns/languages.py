"""The languages a survey can be written and spoken in. Adding one is a choice here and its
phrase table in calls/phrasebook/ (what the system says and understands in it)."""

from __future__ import annotations

from django.db import models


class Language(models.TextChoices):
    EN = "en", "English"
    IT = "it", "Italian"


def language_name(code: str) -> str:
    return Language(code).label if code in Language.values else code

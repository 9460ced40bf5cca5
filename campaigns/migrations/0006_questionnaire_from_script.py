"""The data step of 0005_questionnaire (see its docstring), a migration of its own so that
no table is altered in the transaction that writes its rows (PostgreSQL refuses: pending trigger events)."""

from django.db import migrations

# Old type → new type and settings (the old scale was 1–10).
_NEW_TYPES = {
    "free_text": {"type": "free_text"},
    "numeric": {"type": "number"},
    "scale": {"type": "scale", "min_value": 1, "max_value": 10},
}
_OLD_TYPES = {"free_text": "free_text", "number": "numeric", "scale": "scale"}



def questionnaire_from_script(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Question = apps.get_model("campaigns", "Question")
    for campaign in Campaign.objects.iterator(chunk_size=500):
        language = campaign.language
        campaign.languages = [language]
        campaign.texts = (
            {language: {"intro": campaign.intro_script}} if campaign.intro_script else {}
        )
        campaign.save(update_fields=["languages", "texts"])
        written = [
            (getattr(campaign, f"question_{n}_text"), getattr(campaign, f"question_{n}_type"))
            for n in (1, 2, 3)
        ]
        if not any(text.strip() for text, _ in written):
            continue
        Question.objects.bulk_create(
            Question(
                campaign=campaign,
                position=n,
                key=f"q{n}",
                text={language: text} if text else {},
                **_NEW_TYPES.get(kind, {"type": "free_text"}),
            )
            for n, (text, kind) in enumerate(written, start=1)
        )


def script_from_questionnaire(apps, schema_editor):
    Campaign = apps.get_model("campaigns", "Campaign")
    Question = apps.get_model("campaigns", "Question")
    for campaign in Campaign.objects.iterator(chunk_size=500):
        language = campaign.language
        campaign.intro_script = (campaign.texts or {}).get(language, {}).get("intro", "")
        for question in Question.objects.filter(campaign=campaign, position__lte=3):
            setattr(campaign, f"question_{question.position}_text", question.text.get(language, ""))
            setattr(
                campaign,
                f"question_{question.position}_type",
                _OLD_TYPES.get(question.type, "free_text"),
            )
        campaign.save()


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0005_questionnaire"),
    ]

    operations = [
        migrations.RunPython(questionnaire_from_script, script_from_questionnaire),
    ]

"""The fixed script (intro + three questions) becomes the questionnaire: the campaign's
language is its one language, the intro its intro in that language, and the three questions
(when any was written) its questions 1–3, keyed q1–q3, so that answers, exports and email
variables keep their names. Reversible while the questionnaire still fits the old shape."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0004_email_template_validators"),
    ]

    operations = [
        migrations.AddField(
            model_name="campaign",
            name="languages",
            field=models.JSONField(
                blank=True,
                default=list,
                help_text="The languages the survey is written in; `language` is the default among them.",
            ),
        ),
        migrations.AddField(
            model_name="campaign",
            name="texts",
            field=models.JSONField(
                blank=True,
                default=dict,
                help_text="Per language: intro (who is calling, why, how long, how to opt out), consent, repeat, goodbye.",
            ),
        ),
        migrations.CreateModel(
            name="Question",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField()),
                ("key", models.CharField(max_length=40)),
                (
                    "type",
                    models.CharField(
                        choices=[
                            ("yes_no", "Yes / no"),
                            ("scale", "Scale"),
                            ("number", "Number"),
                            ("single_choice", "Single choice"),
                            ("free_text", "Free text"),
                        ],
                        max_length=20,
                    ),
                ),
                ("text", models.JSONField(blank=True, default=dict)),
                ("min_value", models.IntegerField(blank=True, null=True)),
                ("max_value", models.IntegerField(blank=True, null=True)),
                ("nps", models.BooleanField(default=False)),
                ("max_length", models.PositiveIntegerField(default=500)),
                ("options", models.JSONField(blank=True, default=list)),
                ("skip", models.JSONField(blank=True, default=list)),
                (
                    "campaign",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="questions",
                        to="campaigns.campaign",
                    ),
                ),
            ],
            options={
                "ordering": ["campaign", "position"],
                "constraints": [
                    models.UniqueConstraint(
                        fields=("campaign", "position"), name="question_position_unique"
                    ),
                    models.UniqueConstraint(fields=("campaign", "key"), name="question_key_unique"),
                ],
            },
        ),
    ]

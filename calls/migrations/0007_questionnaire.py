"""A completed survey's three answer columns become one Answer row per question (value and
confidence kept; the question's type from the questionnaire campaigns 0005 wrote) and
`answer_values` {"q1": …}, which exports and emails read. Reversible for questions 1–3."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0006_dialled_at_and_dial_pace"),
        ("campaigns", "0005_questionnaire"),
    ]

    operations = [
        migrations.CreateModel(
            name="Answer",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("position", models.PositiveSmallIntegerField()),
                ("key", models.CharField(max_length=40)),
                ("question_type", models.CharField(max_length=20)),
                (
                    "status",
                    models.CharField(
                        choices=[("answered", "Answered"), ("unanswered", "Unanswered")],
                        max_length=12,
                    ),
                ),
                ("value", models.TextField(blank=True)),
                ("raw", models.TextField(blank=True)),
                ("mode", models.CharField(blank=True, max_length=8)),
                ("confidence", models.FloatField(blank=True, null=True)),
                ("asked", models.PositiveSmallIntegerField(default=1)),
            ],
            options={
                "ordering": ["response", "position"],
            },
        ),
        migrations.AddField(
            model_name="surveyresponse",
            name="answer_values",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="surveyresponse",
            name="language",
            field=models.CharField(blank=True, max_length=2),
        ),
        migrations.AddField(
            model_name="answer",
            name="response",
            field=models.ForeignKey(
                on_delete=django.db.models.deletion.CASCADE,
                related_name="answers",
                to="calls.surveyresponse",
            ),
        ),
        migrations.AddConstraint(
            model_name="answer",
            constraint=models.UniqueConstraint(
                fields=("response", "position"), name="answer_position_unique"
            ),
        ),
        migrations.AddConstraint(
            model_name="answer",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("confidence__isnull", True),
                    models.Q(("confidence__gte", 0), ("confidence__lte", 1)),
                    _connector="OR",
                ),
                name="answer_confidence_0_1",
                violation_error_message="Confidence is between 0 and 1.",
            ),
        ),
    ]

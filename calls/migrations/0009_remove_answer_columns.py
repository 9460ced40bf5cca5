"""The old columns go, in a migration of their own: PostgreSQL refuses to alter a table in
the transaction that just wrote its rows (pending trigger events)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0008_answers_from_columns"),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name="surveyresponse",
            name="surveyresponse_confidence_0_1",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q1_answer",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q1_confidence",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q2_answer",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q2_confidence",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q3_answer",
        ),
        migrations.RemoveField(
            model_name="surveyresponse",
            name="q3_confidence",
        ),
    ]

"""The old columns go, in a migration of their own: PostgreSQL refuses to alter a table in
the transaction that just wrote its rows (pending trigger events)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("campaigns", "0006_questionnaire_from_script"),
    ]

    operations = [
        migrations.RemoveField(
            model_name="campaign",
            name="intro_script",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_1_text",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_1_type",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_2_text",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_2_type",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_3_text",
        ),
        migrations.RemoveField(
            model_name="campaign",
            name="question_3_type",
        ),
    ]

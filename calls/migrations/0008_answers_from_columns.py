"""The data step of 0007_questionnaire (see its docstring), a migration of its own so that
no table is altered in the transaction that writes its rows (PostgreSQL refuses: pending trigger events)."""

from django.db import migrations



def answers_from_columns(apps, schema_editor):
    SurveyResponse = apps.get_model("calls", "SurveyResponse")
    Answer = apps.get_model("calls", "Answer")
    Question = apps.get_model("campaigns", "Question")
    types: dict = {}
    for question in Question.objects.filter(position__lte=3).values_list(
        "campaign_id", "position", "type"
    ):
        types[question[0], question[1]] = question[2]
    batch = []
    for response in SurveyResponse.objects.select_related("campaign").iterator(chunk_size=2000):
        values = {}
        for n in (1, 2, 3):
            value = getattr(response, f"q{n}_answer")
            confidence = getattr(response, f"q{n}_confidence")
            if not value and confidence is None:
                continue
            values[f"q{n}"] = value
            batch.append(
                Answer(
                    response=response,
                    position=n,
                    key=f"q{n}",
                    question_type=types.get((response.campaign_id, n), "free_text"),
                    status="answered" if value else "unanswered",
                    value=value,
                    confidence=confidence,
                )
            )
        response.answer_values = values
        response.language = response.campaign.language
        response.save(update_fields=["answer_values", "language"])
        if len(batch) >= 2000:
            Answer.objects.bulk_create(batch)
            batch = []
    Answer.objects.bulk_create(batch)


def columns_from_answers(apps, schema_editor):
    SurveyResponse = apps.get_model("calls", "SurveyResponse")
    Answer = apps.get_model("calls", "Answer")
    for answer in Answer.objects.filter(position__lte=3).iterator(chunk_size=2000):
        SurveyResponse.objects.filter(pk=answer.response_id).update(
            **{
                f"q{answer.position}_answer": answer.value,
                f"q{answer.position}_confidence": answer.confidence,
            }
        )


class Migration(migrations.Migration):
    dependencies = [
        ("calls", "0007_questionnaire"),
        ("campaigns", "0006_questionnaire_from_script"),
    ]

    operations = [
        migrations.RunPython(answers_from_columns, columns_from_answers),
    ]

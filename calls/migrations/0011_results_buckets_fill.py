"""The data step of 0010_results_buckets: the surveys already stored, counted into the results
rollup (calls/results_buckets.py keeps it from now on). A migration of its own so that no table
is altered in the transaction that writes its rows. Written with this migration's own models
and rules (one bucket row per UTC hour, language, attempt, position, status and value; free
text counted as ""), as results_buckets.py counts them."""

import datetime as dt
from collections import Counter

from django.db import migrations

NO_COMPLETION_HOUR = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def buckets_fill(apps, schema_editor):
    SurveyResponse = apps.get_model("calls", "SurveyResponse")
    ResultsBucket = apps.get_model("calls", "ResultsBucket")
    ResultsAttributeBucket = apps.get_model("calls", "ResultsAttributeBucket")
    hours: Counter = Counter()
    by_attribute: Counter = Counter()
    responses = (
        SurveyResponse.objects.select_related("contact", "call_attempt")
        .prefetch_related("answers")
        .order_by("pk")
    )
    for response in responses.iterator(chunk_size=2000):
        done = response.completed_at
        hour = (
            done.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
            if done
            else NO_COMPLETION_HOUR
        )
        attempt = response.call_attempt.attempt_number if response.call_attempt else 0
        head = (response.campaign_id, hour, response.language, attempt)
        lines = [(0, "", "")] + [
            (a.position, a.status, "" if a.question_type == "free_text" else a.value[:255])
            for a in response.answers.all()
        ]
        attributes = response.contact.attributes or {}
        for line in lines:
            hours[(*head, *line)] += 1
            for name, value in attributes.items():
                if isinstance(value, str):
                    by_attribute[(response.campaign_id, name, value, *line)] += 1
    ResultsBucket.objects.bulk_create(
        (
            ResultsBucket(
                campaign_id=c,
                hour=h,
                language=l,
                attempt_number=a,
                position=p,
                status=s,
                value=v,
                count=n,
            )
            for (c, h, l, a, p, s, v), n in hours.items()
        ),
        batch_size=2000,
    )
    ResultsAttributeBucket.objects.bulk_create(
        (
            ResultsAttributeBucket(
                campaign_id=c,
                name=name,
                attribute_value=av,
                position=p,
                status=s,
                value=v,
                count=n,
            )
            for (c, name, av, p, s, v), n in by_attribute.items()
        ),
        batch_size=2000,
    )


def buckets_empty(apps, schema_editor):
    apps.get_model("calls", "ResultsBucket").objects.all().delete()
    apps.get_model("calls", "ResultsAttributeBucket").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("calls", "0010_results_buckets")]

    operations = [migrations.RunPython(buckets_fill, buckets_empty)]

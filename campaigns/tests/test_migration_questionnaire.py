"""Migrations campaigns 0005 and calls 0007: the fixed script (intro + three questions) becomes
the questionnaire and the three answer columns become Answer rows, with nothing lost (on
SQLite and PostgreSQL alike); and back."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [
    ("campaigns", "0004_email_template_validators"),
    ("contacts", "0003_dialling_indexes"),
    ("calls", "0006_dialled_at_and_dial_pace"),
]
AFTER = [("calls", "0009_remove_answer_columns"), ("contacts", "0004_questionnaire")]


def _executor() -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _old_data(apps) -> dict:
    Campaign = apps.get_model("campaigns", "Campaign")
    Contact = apps.get_model("contacts", "Contact")
    SurveyResponse = apps.get_model("calls", "SurveyResponse")
    it = Campaign.objects.create(
        name="Old Italian",
        language="it",
        intro_script="Buongiorno, un breve sondaggio. Accetta?",
        question_1_text="Quanto è soddisfatto, da 1 a 10?",
        question_1_type="scale",
        question_2_text="Quante volte ci ha chiamato?",
        question_2_type="numeric",
        question_3_text="Cosa dovremmo migliorare?",
        question_3_type="free_text",
    )
    empty = Campaign.objects.create(name="Empty draft", language="en")
    done = Contact.objects.create(
        campaign_id=it.pk, phone_number="+393331112222", state="completed", attempts_count=1
    )
    SurveyResponse.objects.create(
        contact_id=done.pk,
        campaign_id=it.pk,
        q1_answer="8",
        q1_confidence=0.9,
        q2_answer="3",
        q2_confidence=None,
        q3_answer="=più assistenza",
        q3_confidence=0.61,
        consent_at=timezone.now() - dt.timedelta(minutes=3),
        completed_at=timezone.now(),
    )
    return {"it": it.pk, "empty": empty.pk, "contact": done.pk}


@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_script_and_answers_move_to_the_questionnaire_and_back():
    executor = _executor()
    executor.migrate(BEFORE)
    ids = _old_data(executor.loader.project_state(BEFORE).apps)

    executor = _executor()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps
    Campaign = new.get_model("campaigns", "Campaign")
    Question = new.get_model("campaigns", "Question")
    SurveyResponse = new.get_model("calls", "SurveyResponse")
    Answer = new.get_model("calls", "Answer")

    it = Campaign.objects.get(pk=ids["it"])
    assert it.languages == ["it"]
    assert it.texts == {"it": {"intro": "Buongiorno, un breve sondaggio. Accetta?"}}
    questions = list(Question.objects.filter(campaign_id=it.pk).order_by("position"))
    assert [(q.position, q.key, q.type) for q in questions] == [
        (1, "q1", "scale"),
        (2, "q2", "number"),
        (3, "q3", "free_text"),
    ]
    assert (questions[0].min_value, questions[0].max_value) == (1, 10)
    assert questions[1].text == {"it": "Quante volte ci ha chiamato?"}
    empty = Campaign.objects.get(pk=ids["empty"])
    assert (empty.languages, empty.texts) == (["en"], {})
    assert not Question.objects.filter(campaign_id=empty.pk).exists()

    response = SurveyResponse.objects.get(contact_id=ids["contact"])
    assert response.answer_values == {"q1": "8", "q2": "3", "q3": "=più assistenza"}
    assert response.language == "it"
    answers = list(Answer.objects.filter(response_id=response.pk).order_by("position"))
    assert [(a.key, a.question_type, a.status, a.value, a.confidence) for a in answers] == [
        ("q1", "scale", "answered", "8", 0.9),
        ("q2", "number", "answered", "3", None),
        ("q3", "free_text", "answered", "=più assistenza", 0.61),
    ]

    # And back: the old columns hold what they held.
    executor = _executor()
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    campaign = old.get_model("campaigns", "Campaign").objects.get(pk=ids["it"])
    assert campaign.intro_script == "Buongiorno, un breve sondaggio. Accetta?"
    assert (campaign.question_2_text, campaign.question_2_type) == (
        "Quante volte ci ha chiamato?",
        "numeric",
    )
    back = old.get_model("calls", "SurveyResponse").objects.get(contact_id=ids["contact"])
    assert (back.q1_answer, back.q1_confidence, back.q3_answer) == ("8", 0.9, "=più assistenza")

    executor = _executor()
    executor.migrate(executor.loader.graph.leaf_nodes())

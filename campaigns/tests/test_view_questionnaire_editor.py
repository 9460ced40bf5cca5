"""The campaign form's questionnaire: languages, texts and questions posted as the editor
(static/js/questionnaire.js) writes them, or as typed JSON without JavaScript."""

import json

import pytest
from django.urls import reverse

from campaigns.models import Campaign, Question
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions

pytestmark = pytest.mark.django_db

FORM = {
    "name": "Bilingual survey",
    "description": "",
    "language": "en",
    "languages": ["en", "it"],
    "timezone": "Europe/Rome",
    "texts": json.dumps(TEXTS),
    "questionnaire": json.dumps(seven_questions()),
    "max_attempts": "3",
    "retry_interval_minutes": "60",
    "call_window_start": "09:00",
    "call_window_end": "20:00",
    "call_days": ["1", "2", "3", "4", "5"],
    "starts_at": "",
    "completed_email_template": "",
    "refused_email_template": "",
    "not_reached_email_template": "",
}


def test_creates_a_bilingual_seven_question_survey(client, manager_user):
    client.force_login(manager_user)
    response = client.post(reverse("campaign_new"), FORM)
    campaign = Campaign.objects.get(name="Bilingual survey")
    assert response.status_code == 302
    assert campaign.languages == ["en", "it"]
    assert campaign.text("it", "consent") == "Accetta di partecipare?"
    rows = list(Question.objects.filter(campaign=campaign))
    assert [(q.position, q.key, q.type) for q in rows] == [
        (1, "q1", "yes_no"),
        (2, "q2", "scale"),
        (3, "q3", "number"),
        (4, "q4", "single_choice"),
        (5, "q5", "yes_no"),
        (6, "q6", "free_text"),
        (7, "q7", "scale"),
    ]
    assert rows[0].skip == [{"if": "equals", "value": "no", "to": "q5"}]
    assert rows[1].nps
    assert (rows[1].min_value, rows[1].max_value) == (0, 10)
    assert rows[3].options[1]["label"] == {"en": "Email", "it": "Posta elettronica"}
    assert rows[5].max_length == 200
    assert rows[6].text["it"] == "Quanto è soddisfatto nel complesso?"


def test_the_form_shows_the_questionnaire_to_edit_and_saves_changes(client, manager_user):
    campaign = CampaignFactory(questions=seven_questions(), languages=["en", "it"], texts=TEXTS)
    client.force_login(manager_user)
    page = client.get(reverse("campaign_edit", args=[campaign.pk]))
    assert page.status_code == 200
    sent = json.loads(page.context["form"]["questionnaire"].value())
    assert [q["key"] for q in sent] == ["q1", "q2", "q3", "q4", "q5", "q6", "q7"]
    assert b'id="questionnaire-setup"' in page.content  # the editor's data, for its script
    assert b"js/questionnaire.js" in page.content

    # Reordered (q7 first), a rule changed to jump to the end, q3 removed.
    questions = seven_questions()
    questions[0]["skip"] = [{"if": "equals", "value": "no", "to": "end"}]
    del questions[2]
    questions.insert(0, questions.pop())
    response = client.post(
        reverse("campaign_edit", args=[campaign.pk]),
        {**FORM, "name": campaign.name, "questionnaire": json.dumps(questions)},
    )
    assert response.status_code == 302, response.context["form"].errors
    rows = list(Question.objects.filter(campaign=campaign))
    assert [q.key for q in rows] == ["q7", "q1", "q2", "q4", "q5", "q6"]
    assert rows[1].skip == [{"if": "equals", "value": "no", "to": "end"}]


def test_a_draft_may_be_saved_with_a_name_only(client, manager_user):
    client.force_login(manager_user)
    response = client.post(
        reverse("campaign_new"), {**FORM, "texts": "", "questionnaire": "", "languages": []}
    )
    assert response.status_code == 302
    campaign = Campaign.objects.get(name="Bilingual survey")
    assert campaign.languages == ["en"]
    assert not Question.objects.filter(campaign=campaign).exists()


def test_errors_are_named_by_question_and_language(client, manager_user):
    questions = seven_questions()
    questions[3]["options"] = questions[3]["options"][:1]  # one option only
    questions[1]["skip"] = [{"if": "above", "value": "8", "to": "q1"}]  # backwards
    texts = {"en": TEXTS["en"], "it": {"intro": 5}}
    client.force_login(manager_user)
    response = client.post(
        reverse("campaign_new"),
        {**FORM, "questionnaire": json.dumps(questions), "texts": json.dumps(texts)},
    )
    assert response.status_code == 400
    assert not Campaign.objects.exists()
    content = response.content.decode()
    # The summary at the top names where each problem is…
    assert "Italian, Introduction: A text is a string." in content
    # …and the editor gets them by key, to show beside each question.
    errors = response.context["editor_setup"]["errors"]
    assert "texts.it.intro" in errors


def test_question_errors_are_named_by_question(client, manager_user):
    questions = seven_questions()
    questions[3]["options"] = questions[3]["options"][:1]
    questions[1]["skip"] = [{"if": "above", "value": "8", "to": "q1"}]
    client.force_login(manager_user)
    response = client.post(
        reverse("campaign_new"), {**FORM, "questionnaire": json.dumps(questions)}
    )
    assert response.status_code == 400
    content = response.content.decode()
    assert "Question 4 (q4), options: A single-choice question has 2 to 9 options (1 given)." in (
        content
    )
    assert "Question 2 (q2), skip rules: A jump goes forward only" in content
    assert set(response.context["editor_setup"]["errors"]) == {
        "questions.4.options",
        "questions.2.skip",
    }


def test_missing_texts_on_a_question_are_named_with_their_language(client, manager_user):
    """Saving a draft allows unwritten texts; activation then names them by question and
    language (the services' keys, "questions.3.text.it")."""
    questions = seven_questions()
    del questions[2]["text"]["it"]
    client.force_login(manager_user)
    assert client.post(reverse("campaign_new"), {**FORM, "questionnaire": json.dumps(questions)})
    campaign = Campaign.objects.get(name="Bilingual survey")
    response = client.post(reverse("campaign_activate", args=[campaign.pk]), follow=True)
    shown = [str(m) for m in response.context["messages"]]
    assert "Question 3 (q3), text, Italian: Question 3 has no Italian text." in shown


def test_typed_json_that_is_not_a_questionnaire_is_refused(client, manager_user):
    client.force_login(manager_user)
    for bad in ("{not json", '{"key": "q1"}', '[{"key": "q1", "type": "scale", "min": "1"}]'):
        response = client.post(reverse("campaign_new"), {**FORM, "questionnaire": bad})
        assert response.status_code == 400
        assert "questionnaire" in response.context["form"].errors
    assert not Campaign.objects.exists()


def test_a_running_campaign_shows_its_questionnaire_read_only(client, manager_user):
    campaign = CampaignFactory(status="running")
    before = list(Question.objects.filter(campaign=campaign).values_list("key", "text"))
    client.force_login(manager_user)
    page = client.get(reverse("campaign_edit", args=[campaign.pk]))
    assert page.context["form"].questionnaire_frozen
    content = page.content.decode()
    assert "its languages, texts and questions can no longer change" in content
    assert "How satisfied are you, from 1 to 10?" in content
    assert 'name="questionnaire"' not in content
    assert "data-qe-editor" not in content
    # Posted anyway: ignored, the rest is saved.
    response = client.post(
        reverse("campaign_edit", args=[campaign.pk]),
        {**FORM, "name": "Renamed", "language": "en", "languages": ["en"]},
    )
    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.name == "Renamed"
    assert campaign.languages == ["en"]
    assert list(Question.objects.filter(campaign=campaign).values_list("key", "text")) == before


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 403), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status):
    campaign = CampaignFactory()
    assert persona_client.get(reverse("campaign_new")).status_code == status
    assert persona_client.get(reverse("campaign_edit", args=[campaign.pk])).status_code == status
    response = persona_client.post(reverse("campaign_new"), FORM)
    assert response.status_code == (302 if status == 200 else status)
    response = persona_client.post(
        reverse("campaign_edit", args=[campaign.pk]), {**FORM, "name": "Edited"}
    )
    assert response.status_code == (302 if status == 200 else status)
    created = Campaign.objects.filter(name="Bilingual survey").first()
    assert (created is not None) == (status == 200)
    if created:
        assert Question.objects.filter(campaign=created).count() == 7
    assert Question.objects.filter(campaign=campaign).count() == (7 if status == 200 else 3)

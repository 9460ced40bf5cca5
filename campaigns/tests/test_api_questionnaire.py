"""The questionnaire through the campaign API: nested `questions`, `languages` and `texts`,
checked by the services; every problem named; frozen after activation; the deprecated script
fields still accepted; documented in the OpenAPI schema."""

import copy

import pytest

from campaigns.models import Campaign, Question
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

URL = "/api/campaigns"


def bilingual(**extra) -> dict:
    return {
        "name": "Bilingual survey",
        "language": "en",
        "languages": ["en", "it"],
        "texts": TEXTS,
        "questions": seven_questions(),
        **extra,
    }


def test_a_seven_question_bilingual_survey_is_created_and_read_back(manager_api):
    response = manager_api.post(URL, bilingual(), format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["languages"] == ["en", "it"]
    assert body["texts"]["it"]["consent"] == "Accetta di partecipare?"
    assert [q["key"] for q in body["questions"]] == [f"q{n}" for n in range(1, 8)]
    assert [q["type"] for q in body["questions"]] == [
        "yes_no",
        "scale",
        "number",
        "single_choice",
        "yes_no",
        "free_text",
        "scale",
    ]
    campaign = Campaign.objects.get(pk=body["id"])
    rows = list(Question.objects.filter(campaign=campaign))
    assert [row.position for row in rows] == list(range(1, 8))
    assert rows[0].skip == [{"if": "equals", "value": "no", "to": "q5"}]
    choice = rows[3]
    assert [o["digit"] for o in choice.options] == ["1", "2", "3"]
    assert choice.options[0]["label"]["it"]
    # Read back as sent: GET answers the same questionnaire.
    again = manager_api.get(f"{URL}/{campaign.pk}").json()
    assert again["questions"] == body["questions"]


def test_a_draft_may_be_saved_with_a_translation_missing_but_not_activated(manager_api):
    questions = seven_questions()
    del questions[2]["text"]["it"]
    created = manager_api.post(URL, bilingual(questions=questions), format="json")
    assert created.status_code == 201, created.json()
    campaign_id = created.json()["id"]
    ContactFactory(campaign_id=campaign_id)
    response = manager_api.post(f"{URL}/{campaign_id}/activate")
    assert response.status_code == 400
    problems = response.json()
    assert "questions.3.text.it" in problems, problems
    assert "Italian" in " ".join(problems["questions.3.text.it"])


def test_activation_names_a_missing_intro_per_language(manager_api):
    texts = copy.deepcopy(TEXTS)
    texts["it"]["intro"] = ""
    campaign_id = manager_api.post(URL, bilingual(texts=texts), format="json").json()["id"]
    ContactFactory(campaign_id=campaign_id)
    problems = manager_api.post(f"{URL}/{campaign_id}/activate").json()
    assert [k for k in problems if k.startswith("texts")] == ["texts.it.intro"]


def _broken() -> list[dict]:
    questions = seven_questions()
    questions[5]["skip"] = [{"if": "equals", "value": "x", "to": "q2"}]  # backwards
    questions[3]["options"] = questions[3]["options"][:1]  # a choice with one option
    return questions


def test_a_bad_questionnaire_is_refused_with_every_problem_named(manager_api):
    questions = _broken()
    response = manager_api.post(URL, bilingual(questions=questions), format="json")
    assert response.status_code == 400
    problems = response.json()
    assert "questions.6.skip" in str(problems), problems
    assert any(k.startswith("questions.4.options") for k in problems), problems
    assert not Campaign.objects.exists()


def test_duplicate_keypad_digits_are_refused(manager_api):
    questions = seven_questions()
    questions[3]["options"][1]["digit"] = questions[3]["options"][0]["digit"]
    response = manager_api.post(URL, bilingual(questions=questions), format="json")
    assert response.status_code == 400
    assert any(k.startswith("questions.4.options") for k in response.json()), response.json()


def test_twenty_one_questions_are_refused_and_twenty_accepted(manager_api):
    def many(count):
        return [
            {"key": f"q{n}", "type": "yes_no", "text": {"en": f"Question {n}?"}}
            for n in range(1, count + 1)
        ]

    payload = {"name": "Long", "texts": {"en": {"intro": "Hello."}}}
    refused = manager_api.post(URL, {**payload, "questions": many(21)}, format="json")
    assert refused.status_code == 400
    assert "questions" in refused.json()
    accepted = manager_api.post(URL, {**payload, "questions": many(20)}, format="json")
    assert accepted.status_code == 201, accepted.json()
    assert len(accepted.json()["questions"]) == 20


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"languages": ["en", "xx"]}, "languages"),
        ({"languages": ["it"], "language": "en"}, "language"),
        ({"texts": {"en": {"intro": "Hi", "farewell": "Bye"}}}, "texts.en"),
        ({"questions": [{"key": "q1", "type": "dance", "text": {"en": "?"}}]}, "questions"),
        ({"questions": "not a list"}, "questions"),
    ],
)
def test_malformed_input_is_a_400_naming_the_field(manager_api, body, field):
    response = manager_api.post(URL, {"name": "Bad", **body}, format="json")
    assert response.status_code == 400
    assert any(key.startswith(field) for key in response.json()), response.json()


def test_the_questionnaire_is_frozen_once_running(manager_api):
    campaign = CampaignFactory(status="running")
    response = manager_api.patch(
        f"{URL}/{campaign.pk}", {"questions": seven_questions()}, format="json"
    )
    assert response.status_code == 400
    assert "questions" in response.json()
    assert Question.objects.filter(campaign=campaign).count() == 3
    # The same questionnaire sent back as it was read is no change.
    current = manager_api.get(f"{URL}/{campaign.pk}").json()["questions"]
    same = manager_api.patch(f"{URL}/{campaign.pk}", {"questions": current}, format="json")
    assert same.status_code == 200, same.json()


def test_a_draft_questionnaire_is_replaced_by_patch(manager_api):
    campaign = CampaignFactory()
    response = manager_api.patch(
        f"{URL}/{campaign.pk}",
        {"languages": ["en", "it"], "texts": TEXTS, "questions": seven_questions()},
        format="json",
    )
    assert response.status_code == 200, response.json()
    assert Question.objects.filter(campaign=campaign).count() == 7


def test_the_old_script_fields_are_still_accepted(manager_api):
    response = manager_api.post(
        URL,
        {
            "name": "Old client",
            "language": "it",
            "intro_script": "Buongiorno, un breve sondaggio.",
            "question_1_text": "Quanto è soddisfatto, da 1 a 10?",
            "question_1_type": "scale",
            "question_2_text": "Quante volte?",
            "question_2_type": "numeric",
            "question_3_text": "Cosa migliorare?",
            "question_3_type": "free_text",
        },
        format="json",
    )
    assert response.status_code == 201, response.json()
    body = response.json()
    assert body["texts"] == {"it": {"intro": "Buongiorno, un breve sondaggio."}}
    assert [(q["type"], q["text"]["it"]) for q in body["questions"]] == [
        ("scale", "Quanto è soddisfatto, da 1 a 10?"),
        ("number", "Quante volte?"),
        ("free_text", "Cosa migliorare?"),
    ]
    assert (body["questions"][0]["min"], body["questions"][0]["max"]) == (1, 10)
    assert "intro_script" not in body


def test_viewers_cannot_write_a_questionnaire(viewer_api):
    assert viewer_api.post(URL, bilingual(), format="json").status_code == 403
    assert not Campaign.objects.exists()


def test_the_schema_documents_the_nested_questions(admin_api):
    schema = admin_api.get("/api/schema/", {"format": "json"}).json()
    components = schema["components"]["schemas"]
    question = components["Question"]["properties"]
    assert {"key", "type", "text", "min", "max", "nps", "options", "skip"} <= set(question)
    assert {"if", "value", "values", "to"} <= set(components["SkipRule"]["properties"])
    assert {"value", "digit", "label", "synonyms"} <= set(components["Option"]["properties"])
    output = components["CampaignOutput"]["properties"]
    assert output["questions"]["type"] == "array"

"""The rehearsal panel of a campaign page: the real dialogue (calls/dialogue.py) without a call.
Nothing is stored; the dialogue's state travels in the form, signed."""

from __future__ import annotations

import pytest
from django.core import signing
from django.urls import reverse

from calls.models import CallAttempt, SurveyResponse
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from voicesurvey.models import AuditLog

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(
        name="Bilingual", languages=["en", "it"], texts=TEXTS, questions=seven_questions()
    )


def url(campaign) -> str:
    return reverse("campaign_rehearse", args=[campaign.pk])


class Rehearsal:
    """Replies posted one after another, as the panel's form sends them."""

    def __init__(self, client, campaign, language="en"):
        self.client, self.campaign = client, campaign
        self.response = client.get(url(campaign), {"language": language}, HTTP_HX_REQUEST="true")
        assert self.response.status_code == 200

    @property
    def said(self) -> str:
        return self.response.context["turn"].say

    @property
    def last(self) -> dict:
        return self.response.context["log"][-1]

    def reply(self, **fields) -> Rehearsal:
        self.response = self.client.post(
            url(self.campaign),
            {"state": self.response.context["token"], "language": "", **fields},
            HTTP_HX_REQUEST="true",
        )
        assert self.response.status_code == 200, self.response.content
        return self

    @property
    def text(self) -> str:
        return " ".join(self.response.content.decode().split())


def test_the_panel_opens_on_the_first_prompt(client, viewer_user, campaign):
    client.force_login(viewer_user)
    response = client.get(url(campaign), HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    content = response.content.decode()
    assert "<html" not in content  # the panel alone, for htmx
    assert TEXTS["en"]["intro"] in content
    assert "Do you agree to take part?" in content
    assert '<option value="it">Italian</option>' in content
    for key in ("1", "9", "0", "*", "#"):
        assert f'name="key" value="{key}"' in content
    # Without htmx, a page around it.
    page = client.get(url(campaign))
    assert b"<html" in page.content
    assert TEXTS["en"]["intro"].encode() in page.content


def test_english_through_consent_questions_and_the_end_with_a_skip(client, viewer_user, campaign):
    client.force_login(viewer_user)
    rehearsal = Rehearsal(client, campaign, "en")
    assert rehearsal.said.startswith(TEXTS["en"]["intro"])

    rehearsal.reply(reply_text="yes, sure", confidence="0.92")
    assert rehearsal.last["reading"]["kind"] == "yes"
    assert rehearsal.last["next"] == "Next: question 1 (q1)."
    assert "Have you used our service in the last month?" in rehearsal.said

    rehearsal.reply(key="2")  # no: the rule skips to q5
    assert rehearsal.last["reading"] == {
        "kind": "answer",
        "kind_label": "an answer",
        "value": "no",
        "mode": "dtmf",
        "confidence": "1.00",
    }
    assert rehearsal.last["next"] == "Next: question 5 (q5). A skip rule jumps over questions 2–4."
    assert "A skip rule jumps over questions 2–4." in rehearsal.text
    assert "Would you use our service again?" in rehearsal.said
    # How it was understood, shown.
    assert "value <code data-value>no</code> · dtmf · confidence <span data-confidence>1.00" in (
        rehearsal.text
    )

    rehearsal.reply(reply_text="yes", confidence="0.85")
    assert rehearsal.last["reading"]["confidence"] == "0.85"
    assert "confidence <span data-confidence>0.85</span>" in rehearsal.text
    rehearsal.reply(reply_text="shorter waiting times")
    assert rehearsal.last["reading"]["value"] == "shorter waiting times"
    assert "How satisfied are you overall?" in rehearsal.said
    rehearsal.reply(key="9")  # out of a 1–5 scale: asked once more
    assert rehearsal.last["reading"]["kind"] == "out_of_range"
    assert rehearsal.last["next"] == "Question 7 (q7) is asked once more."
    rehearsal.reply(key="4")
    assert rehearsal.last["next"] == "The call ends: completed."
    assert rehearsal.response.context["turn"].hangup
    assert "The call ends: <strong>completed</strong>" in rehearsal.text
    assert "<code>q1</code> no; <code>q5</code> yes;" in rehearsal.text
    assert 'name="reply_text"' not in rehearsal.text  # nothing left to answer


def test_italian_through_every_question(client, manager_user, campaign):
    client.force_login(manager_user)
    rehearsal = Rehearsal(client, campaign, "it")
    assert rehearsal.said.startswith(TEXTS["it"]["intro"])
    assert "Accetta di partecipare?" in rehearsal.said
    rehearsal.reply(reply_text="sì")
    assert "Ha usato il nostro servizio nell'ultimo mese?" in rehearsal.said
    rehearsal.reply(reply_text="sì")
    assert rehearsal.last["next"] == "Next: question 2 (q2)."
    rehearsal.reply(key="9")
    assert rehearsal.last["reading"]["value"] == "9"
    rehearsal.reply(reply_text="tre")
    assert rehearsal.last["reading"]["value"] == "3"
    assert "Come preferisce essere contattato?" in rehearsal.said
    rehearsal.reply(reply_text="per telefono")
    assert rehearsal.last["reading"]["value"] == "phone"
    rehearsal.reply(key="1")
    rehearsal.reply(reply_text="niente")
    rehearsal.reply(reply_text="cinque")
    assert rehearsal.last["reading"]["value"] == "5"
    assert rehearsal.last["next"] == "The call ends: completed."
    answers = {a.key: a.value for a in rehearsal.response.context["answers"]}
    assert answers == {
        "q1": "yes",
        "q2": "9",
        "q3": "3",
        "q4": "phone",
        "q5": "yes",
        "q6": "niente",
        "q7": "5",
    }


def test_a_refusal_ends_the_call_as_refused(client, viewer_user, campaign):
    client.force_login(viewer_user)
    rehearsal = Rehearsal(client, campaign).reply(reply_text="no thanks")
    assert rehearsal.last["next"] == "The call ends: refused."


def test_a_tampered_state_is_refused(client, viewer_user, campaign):
    client.force_login(viewer_user)
    rehearsal = Rehearsal(client, campaign)
    token = rehearsal.response.context["token"]
    data = signing.loads(token, salt="rehearse")
    data["state"]["position"] = 6  # jump to the last question
    forged = signing.dumps(data, salt="wrong")
    for state in (forged, token[:-3] + "abc", "", "garbage"):
        response = client.post(url(campaign), {"state": state, "reply_text": "yes"})
        assert response.status_code == 400
        assert b"altered or cannot be read" in response.content
    # Another campaign's state.
    other = CampaignFactory()
    response = client.post(url(other), {"state": token, "reply_text": "yes"})
    assert response.status_code == 400
    assert b"belongs to another campaign" in response.content


def test_an_incomplete_draft_says_what_is_missing(client, viewer_user):
    questions = seven_questions()
    del questions[2]["text"]["it"]
    campaign = CampaignFactory(
        languages=["en", "it"], texts={"en": TEXTS["en"]}, questions=questions
    )
    client.force_login(viewer_user)
    response = client.get(url(campaign), {"language": "it"})
    assert response.status_code == 200
    content = response.content.decode()
    assert "cannot be rehearsed in this language yet" in content
    assert "The introduction in Italian is missing" in content
    assert "Question 3 has no Italian text." in content
    # English is complete: it can be rehearsed.
    response = client.get(url(campaign), {"language": "en"})
    assert response.context["turn"].say.startswith(TEXTS["en"]["intro"])
    empty = CampaignFactory(questions=[])
    response = client.get(url(empty))
    assert "A survey needs at least one question." in response.content.decode()


def test_nothing_is_written(client, manager_user, campaign, django_assert_max_num_queries):
    client.force_login(manager_user)
    counts = (CallAttempt.objects.count(), SurveyResponse.objects.count(), AuditLog.objects.count())
    rehearsal = Rehearsal(client, campaign)
    for reply in ({"reply_text": "yes"}, {"key": "1"}, {"key": "7"}, {"silence": "1"}):
        rehearsal.reply(**reply)
    assert rehearsal.response.context["state"].answers  # it went somewhere
    campaign.refresh_from_db()
    assert (
        CallAttempt.objects.count(),
        SurveyResponse.objects.count(),
        AuditLog.objects.count(),
    ) == counts
    with django_assert_max_num_queries(5):  # session, user, campaign, its questions (twice at most)
        rehearsal.reply(key="3")


def test_an_unknown_key_is_refused(client, viewer_user, campaign):
    client.force_login(viewer_user)
    rehearsal = Rehearsal(client, campaign)
    response = client.post(
        url(campaign), {"state": rehearsal.response.context["token"], "key": "A"}
    )
    assert response.status_code == 400


def test_the_campaign_page_loads_the_panel(client, viewer_user, campaign):
    client.force_login(viewer_user)
    content = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert f'hx-get="{url(campaign)}" hx-trigger="load"' in content


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status, campaign):
    response = persona_client.get(url(campaign))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(reverse("login"))
        response = persona_client.post(url(campaign), {"state": "", "reply_text": "yes"})
        assert response.status_code == 302
        return
    token = response.context["token"]
    response = persona_client.post(url(campaign), {"state": token, "reply_text": "yes"})
    assert response.status_code == 200
    assert response.context["log"][-1]["next"] == "Next: question 1 (q1)."


def test_an_unknown_campaign_is_a_404(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get("/campaigns/0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a/rehearse").status_code == 404

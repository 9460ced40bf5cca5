"""The campaign page and its lifecycle buttons."""

import pytest
from django.urls import reverse

from calls.selectors import provider_config_get
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import INTROS, CampaignFactory, three_questions
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status):
    campaign = CampaignFactory(status="running")
    response = persona_client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert response.status_code == status
    if status == 200:
        shows_actions = persona.role != "viewer"
        assert (b"data-actions" in response.content) == shows_actions
        assert (reverse("campaign_pause", args=[campaign.pk]).encode() in response.content) == (
            shows_actions
        )


@pytest.mark.parametrize(
    ("status", "buttons"),
    [
        ("draft", ["activate", "cancel"]),
        ("scheduled", ["cancel"]),
        ("running", ["pause", "cancel"]),
        ("paused", ["resume", "cancel"]),
        ("completed", []),
    ],
)
def test_only_the_actions_the_status_allows(client, manager_user, status, buttons):
    campaign = CampaignFactory(status=status)
    client.force_login(manager_user)
    content = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    for action in ("activate", "pause", "resume", "cancel"):
        assert (reverse(f"campaign_{action}", args=[campaign.pk]) in content) == (action in buttons)
    assert (reverse("campaign_edit", args=[campaign.pk]) in content) == (status != "completed")


def test_shows_the_configuration_and_script(client, viewer_user):
    questions = three_questions()
    questions[1]["text"] = {}
    campaign = CampaignFactory(call_days=[1, 3, 5], questions=questions)
    client.force_login(viewer_user)
    response = client.get(reverse("campaign_detail", args=[campaign.pk]))
    content = response.content.decode()
    assert "Mon, Wed, Fri" in content
    assert "How satisfied are you, from 1 to 10?" in content
    assert '<span class="badge">Scale</span> <span class="muted">1–10</span>' in content
    assert INTROS["en"] in content
    second = content.split("<strong>Question 2</strong>")[1].split("<strong>Question 3")[0]
    assert '<em class="error">missing</em>' in second  # question 2 has no text


def test_shows_the_questionnaire_in_every_language_with_its_skip_rules(client, viewer_user):
    campaign = CampaignFactory(
        questions=seven_questions(), language="en", languages=["en", "it"], texts=TEXTS
    )
    client.force_login(viewer_user)
    content = client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()
    assert "English (default), Italian" in content
    assert "<strong>Question 7</strong>" in content
    assert "Quanto è soddisfatto nel complesso?" in content
    assert "How satisfied are you overall?" in content
    assert "0–10 (Net Promoter Score)" in content
    assert "Posta elettronica" in content
    assert "<kbd>2</kbd>" in content
    assert "If the answer is no, go to question 5" in content
    assert "Accetta di partecipare?" in content
    assert "data-lang-switch" in content  # two languages: a switch (static/js/questionnaire.js)
    assert reverse("campaign_rehearse", args=[campaign.pk]) in content


def test_activation_problems_are_listed_by_field(client, manager_user):
    campaign = CampaignFactory(texts={}, call_days=[])
    client.force_login(manager_user)
    response = client.post(reverse("campaign_activate", args=[campaign.pk]), follow=True)
    messages = [str(m) for m in response.context["messages"]]
    assert messages[0] == "The campaign cannot be activated yet:"
    assert "Contacts: No contact can be dialled" in messages[1]
    assert (
        "English, Introduction: Introduction is missing in English: say who is calling, why, "
        "how long it takes and how to opt out." in messages
    )
    assert any(m.startswith("Call days: Choose at least one day") for m in messages)
    campaign.refresh_from_db()
    assert campaign.status == "draft"


def test_activate_pause_resume_cancel(client, manager_user):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign)
    client.force_login(manager_user)
    for action, status in [
        ("activate", "running"),
        ("pause", "paused"),
        ("resume", "running"),
        ("cancel", "cancelled"),
    ]:
        response = client.post(reverse(f"campaign_{action}", args=[campaign.pk]), follow=True)
        campaign.refresh_from_db()
        assert campaign.status == status
        assert response.redirect_chain[-1][0] == reverse("campaign_detail", args=[campaign.pk])


def test_a_refused_transition_says_why(client, manager_user):
    campaign = CampaignFactory(status="completed")
    client.force_login(manager_user)
    response = client.post(reverse("campaign_resume", args=[campaign.pk]), follow=True)
    assert [str(m) for m in response.context["messages"]] == [
        "The campaign is completed; a completed campaign cannot change."
    ]


@pytest.mark.parametrize(
    ("persona", "status"), [("viewer", 403), ("anonymous", 302)], indirect=["persona"]
)
def test_viewers_and_anonymous_cannot_act(persona_client, persona, status):
    campaign = CampaignFactory(status="running")
    response = persona_client.post(reverse("campaign_pause", args=[campaign.pk]))
    assert response.status_code == status
    campaign.refresh_from_db()
    assert campaign.status == "running"


def test_actions_are_post_only(client, manager_user):
    campaign = CampaignFactory(status="running")
    client.force_login(manager_user)
    assert client.get(reverse("campaign_pause", args=[campaign.pk])).status_code == 405


def test_an_unknown_campaign_is_a_404(client, viewer_user):
    client.force_login(viewer_user)
    assert client.get("/campaigns/0b5a1f1e-2a4c-4c4e-9a65-6c3f5b0e1d2a").status_code == 404


def test_the_page_in_a_fixed_number_of_queries(client, manager_user, django_assert_num_queries):
    provider_config_get()  # as any installation that has dialled has it
    campaign = CampaignFactory(status="running")
    for _ in range(5):
        CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome="busy")
    client.force_login(manager_user)
    with django_assert_num_queries(21):
        # session, user, the campaign with its creator and email templates, its questions;
        # the status panel: the provider configuration, calls in flight (the campaign's and
        # the provider's), dialable contacts per zone, the last scheduler tick, the progress
        # (contacts by state and attempts, the last hour's attempts, the stats buckets), when
        # it started and ended (audit log), the billed minutes;
        # whether a survey was completed (no: no results panel); the statistics:
        # contacts per state, closed calls per hour from their buckets, calls in flight; the
        # contacts table: its count, its page and its attribute names (cached after); the
        # latest exports
        assert client.get(reverse("campaign_detail", args=[campaign.pk])).status_code == 200
    with django_assert_num_queries(17):  # the statistics and attribute names come from the cache
        response = client.get(reverse("campaign_detail", args=[campaign.pk]))
    assert b"completed: none" in response.content

"""The campaign results panel: the `campaign_results_panel` view (a partial for htmx, a page
otherwise) and its place on the campaign page, against figures computed by hand from the four
surveys of `results_campaign` (dashboard/tests/conftest.py)."""

from __future__ import annotations

import json
import re
import uuid

import pytest
from django.urls import reverse

from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions

pytestmark = pytest.mark.django_db


@pytest.fixture
def manager_client(client, manager_user):
    client.force_login(manager_user)
    return client


@pytest.fixture
def campaign(results_campaign):
    """The four surveys of dashboard/tests/conftest.py."""
    return results_campaign


def url(campaign_id, query: str = "") -> str:
    return f"/campaigns/{campaign_id}/results" + (f"?{query}" if query else "")


def row(*cells) -> str:
    """A table row as the panel writes it: the first cell a row header, the others numbers."""
    first, *rest = cells
    return f'<tr><th scope="row">{first}</th>' + "".join(f'<td class="num">{c}</td>' for c in rest)


def card(content: str, position: int) -> str:
    """The HTML of one question's card."""
    start = content.index(f'-card-{position}" data-question="q{position}"')
    end = content.find("</article>", start)
    return content[start:end]


def test_url_name(campaign):
    assert reverse("campaign_results_panel", args=[campaign.pk]) == url(campaign.pk)


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 302)],
    indirect=["persona"],
)
def test_role_matrix(persona_client, persona, status, campaign):
    response = persona_client.get(url(campaign.pk))
    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith("/accounts/login/?next=")
    else:
        assert b"1. Have you used our service in the last month?" in response.content


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_missing_campaign_is_404(viewer_client, campaign_id):
    assert viewer_client.get(url(campaign_id)).status_code == 404


def test_each_question_has_its_figures_as_a_table(viewer_client, campaign):
    content = viewer_client.get(url(campaign.pk)).content.decode()

    assert "<strong data-responses>4</strong> completed surveys" in content
    q1 = card(content, 1)
    assert "Asked 4 · answered 4 · unanswered 0 · skipped 0" in q1
    assert row("Yes", 3, "75 %") in q1
    assert row("No", 1, "25 %") in q1
    # q2, NPS: 10 9 3 -> promoters 2, passives 0, detractors 1: (2 - 1) / 3 = 33.3.
    q2 = card(content, 2)
    assert "Asked 3 · answered 3 · unanswered 0 · skipped 1 · mean 7.33 · median 9" in q2
    assert row("Promoters (9–10)", 2) in q2
    assert row("Passives (7–8)", 0) in q2
    assert row("Detractors (0–6)", 1) in q2
    assert row("NPS score", "33.3") in q2
    assert row(10, 1) in q2
    assert row(5, 0) in q2
    q3 = card(content, 3)
    assert "mean 5 · median 3" in q3
    assert row(12, 1) in q3
    assert row(50, 0) in q3
    q4 = card(content, 4)
    assert row("Phone", 2, "66.67 %") in q4
    assert row("Email", 1, "33.33 %") in q4
    assert row("Letter", 0, "0 %") in q4
    assert row("Yes", 2, "50 %") in card(content, 5)
    q7 = card(content, 7)
    assert "mean 3.25 · median 3.5" in q7
    assert row(1, 1) in q7
    assert row(2, 0) in q7
    # Every chart's figures are in its json_script block, for static/js/results.js.
    assert content.count("data-results-chart=") == 7  # q2 has a gauge and a distribution
    assert content.count('type="application/json"') == 7


def test_free_text_answers_newest_first_linking_to_their_calls(manager_client, campaign):
    q6 = card(manager_client.get(url(campaign.pk)).content.decode(), 6)

    assert "4 answers; newest first." in q6
    texts = ["support was SLOW", "Più veloci", "Nothing", "Faster support please"]
    positions = [q6.index(f"<q>{text}</q>") for text in texts]
    assert positions == sorted(positions)
    assert q6.count('<a href="/calls/') == 4
    assert ", en, <time" in q6
    assert ">2026-11-02 10:00</time>" in q6  # in the campaign's time zone (Rome)


def test_viewers_see_free_text_without_links_to_calls(viewer_client, campaign):
    q6 = card(viewer_client.get(url(campaign.pk)).content.decode(), 6)
    assert "<q>Nothing</q>" in q6
    assert "/calls/" not in q6


def test_free_text_search(viewer_client, campaign):
    q6 = card(viewer_client.get(url(campaign.pk, "text_search=support")).content.decode(), 6)

    assert "2 answers containing “support”" in q6
    assert "<q>support was SLOW</q>" in q6
    assert "<q>Faster support please</q>" in q6
    assert "Nothing" not in q6
    assert 'name="text_search" value="support"' in q6


@pytest.mark.parametrize(
    ("query", "responses", "yes_row"),
    [
        ("language=it", 1, row("Yes", 1, "100 %")),
        ("attempt=1", 3, row("Yes", 2, "66.67 %")),
        ("from=2026-11-04&to=2026-11-05", 2, row("Yes", 1, "50 %")),
        ("attr=region&attr_value=north", 2, row("Yes", 2, "100 %")),  # the form's pair
        ("attr.region=south", 2, row("Yes", 1, "50 %")),  # the API's spelling
        ("language=&attempt=&from=&to=&attr=&attr_value=&by=", 4, row("Yes", 3, "75 %")),
    ],
)
def test_filters_change_the_figures(viewer_client, campaign, query, responses, yes_row):
    content = viewer_client.get(url(campaign.pk, query)).content.decode()
    assert f"<strong data-responses>{responses}</strong>" in content
    assert yes_row in card(content, 1)


def test_the_form_shows_the_filters_applied(viewer_client, campaign):
    content = viewer_client.get(url(campaign.pk, "attr.region=south&language=it")).content
    assert b'<option value="region" selected>region</option>' in content
    assert b'name="attr_value" value="south"' in content
    assert b'<option value="it" selected>Italian</option>' in content


def test_breakdown_by_an_attribute(viewer_client, campaign):
    content = viewer_client.get(url(campaign.pk, "by=region")).content.decode()

    assert "broken down by <strong>region</strong>" in content
    q1 = card(content, 1)
    assert "<caption>By region</caption>" in q1
    assert row("north", 2, 2, 2, 0, 0, "2 (100 %)", "0 (0 %)") in q1
    assert row("south", 2, 2, 2, 0, 0, "1 (50 %)", "1 (50 %)") in q1
    assert row("north", 2, 2, 2, 0, 0, "9.5", "9.5", "100") in card(content, 2)
    assert row("south", 2, 1, 1, 0, 1, "3", "3", "-100") in card(content, 2)
    # Each breakdown is a chart too, of the table's figures.
    assert chart_spec(content, campaign, 1) == {
        "kind": "stacked",
        "labels": ["north", "south"],
        "series": [{"label": "Yes", "data": [100.0, 50.0]}, {"label": "No", "data": [0.0, 50.0]}],
        "percent": True,
    }
    assert chart_spec(content, campaign, 2) | {"data": None} == {
        "kind": "bar",
        "labels": ["north", "south"],
        "data": None,
        "label": "NPS score",
        "horizontal": True,
    }
    assert chart_spec(content, campaign, 2)["data"] == [100.0, -100.0]
    assert f'data-results-chart="campaign-results-{campaign.pk.hex}-q1-by"' in content


def chart_spec(content: str, campaign, position: int) -> dict:
    """A breakdown chart's figures, as the page hands them to results.js."""
    found = re.search(
        rf'<script id="campaign-results-{campaign.pk.hex}-q{position}-by" '
        r'type="application/json">(.*?)</script>',
        content,
    )
    assert found, position
    return json.loads(found.group(1))


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("from=yesterday", "from: Date has wrong format."),
        ("attempt=0", "attempt: Ensure this value is greater than or equal to 1."),
        ("language=xx", "language: &quot;xx&quot; is not a valid choice."),
        ("from=2026-11-05&to=2026-11-01", "from: After `to`."),
        ("attr=Not%20a%20name&attr_value=x", "attr.Not a name: Not an attribute name"),
        ("by=2024", "by: Not an attribute name"),
    ],
)
def test_a_bad_parameter_is_a_400_saying_why(viewer_client, campaign, query, message):
    response = viewer_client.get(url(campaign.pk, query))
    assert response.status_code == 400
    assert "These filters cannot be applied" in response.content.decode()
    assert message in response.content.decode()
    assert b"data-results-body" not in response.content


def test_htmx_gets_the_panel_alone_and_a_page_otherwise(viewer_client, campaign):
    partial = viewer_client.get(url(campaign.pk), HTTP_HX_REQUEST="true").content
    assert partial.lstrip().startswith(b"<section")
    page = viewer_client.get(url(campaign.pk)).content
    assert b"<html" in page
    assert b"js/results.js" in page


# --- on the campaign page -----------------------------------------------------------------------


def detail(client, campaign):
    return client.get(reverse("campaign_detail", args=[campaign.pk])).content.decode()


def test_the_campaign_page_leads_with_the_results(viewer_client, campaign):
    content = detail(viewer_client, campaign)
    panel = f'id="campaign-results-{campaign.pk.hex}"'
    assert panel in content
    assert content.index(panel) < content.index(f'id="campaign-stats-{campaign.pk.hex}"')
    assert row("Yes", 3, "75 %") in content
    assert "js/results.js" in content
    # It refreshes its figures with the statistics' interval, not its filter form.
    assert f'hx-get="/campaigns/{campaign.pk}/results" hx-trigger="every 60s"' in content


def test_the_campaign_page_ignores_the_contacts_tables_query(viewer_client, campaign):
    page = reverse("campaign_detail", args=[campaign.pk])
    content = viewer_client.get(f"{page}?attr=region&attr_value=north").content.decode()
    assert "<strong data-responses>4</strong>" in content


def test_a_draft_shows_its_questionnaire_and_no_results(viewer_client):
    campaign = CampaignFactory(questions=seven_questions(), languages=["en", "it"], texts=TEXTS)
    content = detail(viewer_client, campaign)
    assert "Have you used our service in the last month?" in content  # the questionnaire
    assert "campaign-results-" not in content
    assert "data-results-chart" not in content


def test_no_results_panel_before_the_first_completed_survey(viewer_client):
    campaign = CampaignFactory(questions=seven_questions(), status="running")
    assert "campaign-results-" not in detail(viewer_client, campaign)

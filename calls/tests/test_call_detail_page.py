"""The call detail page (/calls/<call_id>) and the contact's latest-call link."""

import uuid

import pytest
from django.urls import reverse

from calls.tests.factories import CallAttemptFactory, CallEventFactory, SurveyResponseFactory
from campaigns.tests.factories import THREE_QUESTIONS
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls():
    contact = ContactFactory(phone_number="+393331234567", state="completed", attempts_count=2)
    first = CallAttemptFactory(contact=contact, attempt_number=1, outcome="busy")
    second = CallAttemptFactory(
        contact=contact,
        attempt_number=2,
        outcome="completed",
        transcript="consent: Hello there\ncallee: said “sì” (0.90) → yes",
    )
    SurveyResponseFactory(contact=contact, campaign=contact.campaign, call_attempt=second)
    CallEventFactory(attempt=second, event_key="status:ringing:2", status="ringing")
    return first, second


@pytest.mark.parametrize(
    ("persona", "status"), [("admin", 200), ("manager", 200), ("viewer", 403)], indirect=["persona"]
)
def test_role_matrix(persona_client, calls, status):
    assert persona_client.get(reverse("call_detail", args=[calls[1].pk])).status_code == status


def test_anonymous_goes_to_the_login_page(client, calls):
    response = client.get(reverse("call_detail", args=[calls[1].pk]))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_missing_call_is_404(client, manager_user):
    client.force_login(manager_user)
    assert client.get(reverse("call_detail", args=[uuid.uuid4()])).status_code == 404


def test_the_page_shows_the_call(client, manager_user, calls, django_assert_num_queries):
    first, second = calls
    client.force_login(manager_user)
    # 1 session, 2 user, 3 the attempt with campaign and contact, 4 its response, 5 the
    # campaign's questions (their text in the call's language), 6 the response's answers,
    # 7 its events, 8 the contact's other attempts.
    with django_assert_num_queries(8):
        response = client.get(reverse("call_detail", args=[second.pk]))
    page = response.content.decode()
    assert "+393331234567" in page
    assert "faster support" in page
    assert THREE_QUESTIONS["en"][2] in page
    assert "callee: said “sì” (0.90) → yes" in page
    assert "status:ringing:2" in page
    assert reverse("call_detail", args=[first.pk]) in page  # the other attempt, linked


def test_the_latest_call_of_a_contact(client, manager_user, calls):
    client.force_login(manager_user)
    contact = calls[0].contact
    response = client.get(reverse("contact_latest_call", args=[contact.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("call_detail", args=[calls[1].pk])
    never_called = ContactFactory()
    assert client.get(reverse("contact_latest_call", args=[never_called.pk])).status_code == 404


def test_viewers_cannot_follow_the_latest_call_link(client, viewer_user, calls):
    client.force_login(viewer_user)
    response = client.get(reverse("contact_latest_call", args=[calls[0].contact.pk]))
    assert response.status_code == 403


def test_the_page_names_its_campaign_links_back_and_says_attempt_of_at_most(
    client, manager_user, calls
):
    second = calls[1]
    campaign = second.contact.campaign
    client.force_login(manager_user)
    response = client.get(reverse("call_detail", args=[second.pk]))
    content = response.content.decode()
    assert f'href="{reverse("campaign_detail", args=[campaign.pk])}" data-campaign-link>' in content
    assert campaign.name in content
    assert f"attempt 2 of at most {campaign.max_attempts}" in content

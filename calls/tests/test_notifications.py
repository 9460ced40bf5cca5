"""The outbox drain (calls.services.notifications_drain): outcome events become follow-up
emails, sent once, retried with back-off, never twice."""

import datetime as dt
import socket

import pytest
from django.core import mail
from django.utils import timezone

from calls.models import EmailNotification, SurveyEvent
from calls.services import MAX_EMAIL_ATTEMPTS, notifications_drain
from calls.tests.factories import SurveyEventFactory
from campaigns.tests.factories import CampaignFactory, EmailTemplateFactory
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def campaign():
    return CampaignFactory(
        name="Winter survey",
        completed_email_template=EmailTemplateFactory(
            type="completed",
            subject="Thanks {{ contact.external_contact_id }}",
            body_text="You said {{ answers.q1 }} for {{ campaign.name }}. "
            "{{ contact.phone_number }}",
            body_html="<p>{{ answers.q3 }}</p>",
        ),
        refused_email_template=EmailTemplateFactory(type="refused", subject="Sorry"),
    )


def event(campaign, type="survey.completed", email="ann@example.org", **payload):
    contact = ContactFactory(campaign=campaign, email=email, external_contact_id="CRM-1")
    return SurveyEventFactory(
        campaign=campaign, contact=contact, type=type, payload=payload or {"attempts": 1}
    )


def test_an_event_becomes_one_email_rendered_from_the_campaigns_template(campaign):
    happened = event(campaign, answers={"q1": "9", "q2": "1", "q3": "<b>speed</b>"}, attempts=2)
    summary = notifications_drain()
    assert (summary.events, summary.emails_queued, summary.sent, summary.failed) == (1, 1, 1, 0)
    [message] = mail.outbox
    assert message.subject == "Thanks CRM-1"
    assert message.to == ["ann@example.org"]
    # Plain values only: the template cannot reach the phone number (or anything else).
    assert message.body == "You said 9 for Winter survey. "
    assert message.alternatives[0].content == "<p>&lt;b&gt;speed&lt;/b&gt;</p>"
    email = EmailNotification.objects.get()
    assert (email.event, email.status, email.attempts, email.error) == (happened, "sent", 1, "")
    assert email.provider_message_id == message.extra_headers["Message-ID"]
    happened.refresh_from_db()
    assert happened.processed_at is not None


def test_plain_text_is_sent_verbatim_and_only_html_is_escaped():
    campaign = CampaignFactory(
        name="L'assistenza & co",
        completed_email_template=EmailTemplateFactory(
            subject="{{ campaign.name }} <grazie>",
            body_text="{{ campaign.name }}: {{ answers.q1 }} ({{ contact.external_contact_id }})",
            body_html="<p>{{ campaign.name }}: {{ answers.q1 }}</p>",
        ),
    )
    event(campaign, answers={"q1": '"5" > 4'})
    assert notifications_drain().sent == 1
    [message] = mail.outbox
    assert message.subject == "L'assistenza & co <grazie>"
    assert message.body == 'L\'assistenza & co: "5" > 4 (CRM-1)'
    assert message.alternatives[0].content == (
        "<p>L&#x27;assistenza &amp; co: &quot;5&quot; &gt; 4</p>"
    )


def test_a_second_drain_never_sends_again(campaign):
    event(campaign)
    notifications_drain()
    SurveyEvent.objects.update(processed_at=None)  # even if the event were seen again
    summary = notifications_drain()
    assert (summary.emails_queued, summary.sent) == (1, 0)  # queued, but unique: no new row
    assert len(mail.outbox) == 1
    assert EmailNotification.objects.count() == 1


@pytest.mark.parametrize(
    ("kind", "email"), [("survey.not_reached", "x@example.org"), ("survey.completed", "")]
)
def test_no_template_or_no_address_means_no_email(campaign, kind, email):
    happened = event(campaign, type=kind, email=email)
    summary = notifications_drain()
    assert (summary.events, summary.emails_queued, len(mail.outbox)) == (1, 0, 0)
    happened.refresh_from_db()
    assert happened.processed_at is not None


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_failing_server_is_retried_with_back_off_then_given_up(campaign, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", closed_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    event(campaign)
    now = timezone.now()
    waits = [dt.timedelta(minutes=1), dt.timedelta(minutes=5), dt.timedelta(minutes=15)]
    for attempt, wait in enumerate(waits, start=1):
        assert notifications_drain(now=now).failed == 1
        email = EmailNotification.objects.get()
        assert (email.status, email.attempts) == ("pending", attempt)
        assert email.next_attempt_at == now + wait
        assert "ConnectionRefusedError" in email.error
        assert notifications_drain(now=now + wait - dt.timedelta(seconds=1)).failed == 0  # waits
        now += wait
    assert notifications_drain(now=now).failed == 1
    email = EmailNotification.objects.get()
    assert (email.status, email.attempts, email.next_attempt_at) == (
        "failed",
        MAX_EMAIL_ATTEMPTS,
        None,
    )
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    notifications_drain(now=now + dt.timedelta(days=1))
    assert mail.outbox == []  # given up for good


def test_a_server_back_in_time_sends_on_the_retry(campaign, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", closed_port()
    event(campaign)
    now = timezone.now()
    notifications_drain(now=now)
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    assert notifications_drain(now=now + dt.timedelta(minutes=1)).sent == 1
    email = EmailNotification.objects.get()
    assert (email.status, email.attempts, email.error) == ("sent", 2, "")


def test_a_broken_template_fails_for_good_with_the_reason(campaign):
    campaign.refused_email_template.body_text = "Hello {% if %}"
    campaign.refused_email_template.save()
    event(campaign, type="survey.refused")
    assert notifications_drain().failed == 1
    email = EmailNotification.objects.get()
    assert email.status == "failed"
    assert email.error.startswith("Template error:")
    assert mail.outbox == []


def test_a_template_that_cannot_render_fails_alone_and_the_others_go_out(campaign):
    # Saved past the edit-time check (a bulk load, an older row): it includes a template
    # these engines cannot load, which fails only when rendered.
    campaign.refused_email_template.body_text = 'Hello {% include "letterhead.txt" %}'
    campaign.refused_email_template.save()
    event(campaign, type="survey.refused")
    event(campaign, type="survey.completed", email="bob@example.org")
    summary = notifications_drain()
    assert (summary.sent, summary.failed) == (1, 1)
    assert [m.to for m in mail.outbox] == [["bob@example.org"]]
    broken = EmailNotification.objects.get(to_email="ann@example.org")
    assert broken.status == "failed"
    assert "letterhead.txt" in broken.error

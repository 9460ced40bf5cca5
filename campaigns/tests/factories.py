import datetime

import factory

from campaigns.models import Campaign, CampaignStatus, EmailTemplate, Language, OutcomeType


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    type = OutcomeType.COMPLETED
    locale = Language.EN
    subject = "Thank you, {{ contact.external_contact_id }}"
    body_text = "Thanks for answering {{ campaign.name }}: {{ answers.q1 }}."
    body_html = ""


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign ready to activate: intro, three questions, default window (09:00–20:00,
    Mon–Sat), three attempts an hour apart. `status` defaults to draft."""

    class Meta:
        model = Campaign

    name = factory.Sequence(lambda n: f"Campaign {n}")
    description = "A test campaign."
    status = CampaignStatus.DRAFT
    language = Language.EN
    timezone = "Europe/Rome"
    intro_script = "Hello, this is a short survey. Do you agree? Press 1 for yes, 2 for no."
    question_1_text = "How satisfied are you, from 1 to 10?"
    question_1_type = "scale"
    question_2_text = "How many times did you call us last month?"
    question_2_type = "numeric"
    question_3_text = "What should we improve?"
    question_3_type = "free_text"
    max_attempts = 3
    retry_interval_minutes = 60
    call_window_start = datetime.time(9, 0)
    call_window_end = datetime.time(20, 0)
    call_days = factory.LazyFunction(lambda: [1, 2, 3, 4, 5, 6])

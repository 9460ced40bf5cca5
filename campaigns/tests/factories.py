import datetime

import factory

from campaigns.models import (
    Campaign,
    CampaignStatus,
    EmailTemplate,
    Language,
    OutcomeType,
    Question,
)


class EmailTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailTemplate

    name = factory.Sequence(lambda n: f"Template {n}")
    type = OutcomeType.COMPLETED
    locale = Language.EN
    subject = "Thank you, {{ contact.external_contact_id }}"
    body_text = "Thanks for answering {{ campaign.name }}: {{ answers.q1 }}."
    body_html = ""


INTROS = {
    "en": "Hello, this is a short survey. Do you agree? Press 1 for yes, 2 for no.",
    "it": "Buongiorno, questo è un breve sondaggio. È d'accordo? Prema 1 per sì, 2 per no.",
}
# The three questions every campaign had before questionnaires (the seed's q1–q3).
THREE_QUESTIONS = {
    "en": (
        "How satisfied are you, from 1 to 10?",
        "How many times did you call us last month?",
        "What should we improve?",
    ),
    "it": (
        "Quanto è soddisfatto, da 1 a 10?",
        "Quante volte ci ha chiamato il mese scorso?",
        "Che cosa dovremmo migliorare?",
    ),
}


def three_questions(languages=("en",)) -> list[dict]:
    """The seed's questionnaire (scale 1–10, number, free text), in the questionnaire's JSON
    shape, written in `languages`."""
    texts = [{code: THREE_QUESTIONS[code][n] for code in languages} for n in range(3)]
    return [
        {"key": "q1", "type": "scale", "text": texts[0], "min": 1, "max": 10},
        {"key": "q2", "type": "number", "text": texts[1]},
        {"key": "q3", "type": "free_text", "text": texts[2], "max_length": 500},
    ]


def questions_save(campaign: Campaign, questions: list[dict]) -> None:
    """Replace the campaign's questionnaire with `questions` (no checks: tests may need a
    broken one)."""
    Question.objects.filter(campaign=campaign).delete()
    for position, data in enumerate(questions, start=1):
        Question.from_data(campaign, position, data).save()


class CampaignFactory(factory.django.DjangoModelFactory):
    """A campaign ready to activate: intro and the seed's three questions in its language,
    default window (09:00–20:00, Mon–Sat), three attempts an hour apart. `status` defaults to
    draft. `questions=[...]` (the JSON shape) replaces the three; `questions=[]` gives none."""

    class Meta:
        model = Campaign
        skip_postgeneration_save = True

    @factory.post_generation
    def questions(self, create, extracted, **kwargs):
        if not create:
            return
        chosen = extracted if extracted is not None else three_questions(self.survey_languages)
        questions_save(self, chosen)

    name = factory.Sequence(lambda n: f"Campaign {n}")
    description = "A test campaign."
    status = CampaignStatus.DRAFT
    language = Language.EN
    timezone = "Europe/Rome"
    languages = factory.LazyAttribute(lambda campaign: [campaign.language])
    texts = factory.LazyAttribute(
        lambda campaign: {campaign.language: {"intro": INTROS[campaign.language]}}
    )
    max_attempts = 3
    retry_interval_minutes = 60
    call_window_start = datetime.time(9, 0)
    call_window_end = datetime.time(20, 0)
    call_days = factory.LazyFunction(lambda: [1, 2, 3, 4, 5, 6])

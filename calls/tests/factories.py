import datetime

import factory
from django.utils import timezone

from calls.models import (
    Answer,
    CallAttempt,
    CallEvent,
    EmailNotification,
    Provider,
    SchedulerRun,
    SurveyEvent,
    SurveyEventType,
    SurveyResponse,
)
from calls.outcomes import call_stats_add
from calls.results_buckets import results_buckets_add
from campaigns.tests.factories import EmailTemplateFactory
from contacts.tests.factories import ContactFactory


class CallAttemptFactory(factory.django.DjangoModelFactory):
    """An attempt in flight (no outcome) for a new contact; pass outcome/ended_at to close it.
    A closed one is written straight into the table, with the times and states the test
    chooses, and counted in its stats bucket by the same upsert as `call_attempt_close` (the
    dashboards read closed attempts from their buckets)."""

    class Meta:
        model = CallAttempt

    contact = factory.SubFactory(ContactFactory)
    campaign = factory.SelfAttribute("contact.campaign")
    attempt_number = 1
    provider = Provider.SIMULATOR
    provider_call_id = factory.Sequence(lambda n: f"SIM-{n:08d}")
    started_at = factory.LazyFunction(timezone.now)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        attempt = super()._create(model_class, *args, **kwargs)
        if attempt.outcome is not None:
            call_stats_add(attempt=attempt)
        return attempt


class CallEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallEvent

    attempt = factory.SubFactory(CallAttemptFactory)
    event_key = factory.Sequence(lambda n: f"event-{n}")
    status = "ringing"
    payload = factory.LazyFunction(dict)


# The seed's three answers (scale, number, free text) and their confidences.
SEED_ANSWERS = {"q1": "8", "q2": "2", "q3": "faster support"}
SEED_CONFIDENCES = {"q1": 0.9, "q2": 0.85, "q3": 0.7}
SEED_TYPES = {"q1": "scale", "q2": "number", "q3": "free_text"}


class SurveyResponseFactory(factory.django.DjangoModelFactory):
    """A completed survey with an Answer row per value of `answer_values` (default: the seed's
    three answers)."""

    class Meta:
        model = SurveyResponse
        skip_postgeneration_save = True

    @factory.post_generation
    def answers(self, create, extracted, **kwargs):
        """The Answer rows, typed as the campaign's questions are (else as the seed's), counted
        into the results rollup as a survey's save counts them."""
        if not create:
            return
        types = dict(self.campaign.questions.values_list("position", "type"))
        rows = [
            Answer.objects.create(
                response=self,
                position=int(key[1:]),
                key=key,
                question_type=types.get(int(key[1:])) or SEED_TYPES.get(key, "free_text"),
                status="answered",
                value=value,
                raw=value,
                mode="speech",
                confidence=SEED_CONFIDENCES.get(key),
            )
            for key, value in self.answer_values.items()
        ]
        results_buckets_add(
            response=self,
            answers=rows,
            attempt_number=self.call_attempt.attempt_number if self.call_attempt else 0,
            attributes=self.contact.attributes or {},
        )

    contact = factory.SubFactory(ContactFactory, state="completed")
    campaign = factory.SelfAttribute("contact.campaign")
    language = "en"
    answer_values = factory.LazyFunction(lambda: dict(SEED_ANSWERS))
    consent_at = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(minutes=2))
    completed_at = factory.LazyFunction(timezone.now)


class SurveyEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SurveyEvent

    type = SurveyEventType.COMPLETED
    contact = factory.SubFactory(ContactFactory)
    campaign = factory.SelfAttribute("contact.campaign")
    payload = factory.LazyFunction(dict)


class EmailNotificationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = EmailNotification

    event = factory.SubFactory(SurveyEventFactory)
    contact = factory.SelfAttribute("event.contact")
    template = factory.SubFactory(EmailTemplateFactory)
    to_email = factory.SelfAttribute("contact.email")


class SchedulerRunFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = SchedulerRun

    started_at = factory.LazyFunction(timezone.now)
    finished_at = factory.LazyAttribute(lambda o: o.started_at + datetime.timedelta(seconds=1))

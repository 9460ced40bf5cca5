from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from campaigns.contact_states import ContactState
from campaigns.models import Campaign, Question
from campaigns.questionnaire import QuestionSpec


def campaign_list_with_counts() -> QuerySet[Campaign]:
    """Campaigns with their key contact counts, in one query."""
    return _with_counts(Campaign.objects.all()).order_by("-created_at")


def campaign_get_with_counts(*, pk) -> Campaign:
    """One campaign with the counts of `campaign_list_with_counts`; Campaign.DoesNotExist."""
    return _with_counts(Campaign.objects.filter(pk=pk)).select_related("created_by").get()


def _with_counts(campaigns: QuerySet[Campaign]) -> QuerySet[Campaign]:
    return campaigns.annotate(
        contacts_total=Count("contacts"),
        contacts_attempted=Count("contacts", filter=Q(contacts__attempts_count__gt=0)),
        contacts_completed=Count("contacts", filter=Q(contacts__state=ContactState.COMPLETED)),
        contacts_refused=Count("contacts", filter=Q(contacts__state=ContactState.REFUSED)),
        contacts_not_reached=Count("contacts", filter=Q(contacts__state=ContactState.NOT_REACHED)),
    )


def campaign_questionnaire(campaign: Campaign) -> tuple[QuestionSpec, ...]:
    """The campaign's questions in order, as campaigns/questionnaire.py's specs."""
    return tuple(question.spec() for question in Question.objects.filter(campaign=campaign))


def campaign_questionnaire_data(campaign: Campaign) -> list[dict]:
    """The campaign's questions in the JSON shape the API and the form share (prefetched
    `questions` when the list read them: one query for a page of campaigns)."""
    return [question.as_data() for question in campaign.questions.all()]

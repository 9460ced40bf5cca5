"""The export of a questionnaire: the seed's 11 columns stay exactly as they are, answers to
questions 4, 5 … are appended as q4_answer, q5_answer …; a skipped or unanswered question is
an empty cell; free text is neutralised in the new columns too (SQLite's writer and
PostgreSQL's COPY alike)."""

from __future__ import annotations

import pytest

from calls.tests.factories import SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from exports.selectors import EXPORT_COLUMNS
from exports.services import export_generate
from exports.tests.conftest import read_csv, stored_file
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db


def _completed(campaign, answers):
    contact = ContactFactory(campaign=campaign, state=ContactState.COMPLETED, attempts_count=1)
    SurveyResponseFactory(contact=contact, campaign=campaign, answer_values=answers)
    return contact


def test_seven_questions_append_four_columns_and_skipped_ones_stay_empty():
    campaign = CampaignFactory(languages=["en", "it"], texts=TEXTS, questions=seven_questions())
    full = _completed(
        campaign,
        {"q1": "yes", "q2": "9", "q3": "3", "q4": "email", "q5": "no", "q6": "=SUM(A1)", "q7": "4"},
    )
    skipped = _completed(campaign, {"q1": "no", "q5": "yes", "q6": "nothing", "q7": "5"})
    refused = ContactFactory(campaign=campaign, state=ContactState.REFUSED, attempts_count=1)

    job = export_generate(job=ExportJobFactory(campaign=campaign))
    header, *rows = read_csv(stored_file(job))
    assert header == [*EXPORT_COLUMNS, "q4_answer", "q5_answer", "q6_answer", "q7_answer"]
    answers = {row[1]: row[8:] for row in rows}
    assert answers[str(full.pk)] == ["yes", "9", "3", "email", "no", "'=SUM(A1)", "4"]
    assert answers[str(skipped.pk)] == ["no", "", "", "", "yes", "nothing", "5"]
    assert answers[str(refused.pk)] == [""] * 7


@pytest.mark.parametrize("count", [1, 3])
def test_three_questions_or_fewer_keep_the_seed_header_exactly(count):
    campaign = CampaignFactory(questions=seven_questions()[:count])
    contact = _completed(campaign, {"q1": "yes"})
    job = export_generate(job=ExportJobFactory(campaign=campaign))
    header, row = read_csv(stored_file(job))
    assert header == list(EXPORT_COLUMNS)
    assert len(header) == 11
    assert row[1] == str(contact.pk)
    assert row[8:] == ["yes", "", ""]


def test_an_old_three_question_campaign_exports_as_before():
    campaign = CampaignFactory()  # the seed's scale, number and free text
    contact = _completed(campaign, {"q1": "8", "q2": "2", "q3": "faster support"})
    job = export_generate(job=ExportJobFactory(campaign=campaign))
    header, row = read_csv(stored_file(job))
    assert header == list(EXPORT_COLUMNS)
    assert row[1] == str(contact.pk)
    assert row[8:] == ["8", "2", "faster support"]

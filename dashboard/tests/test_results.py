"""A campaign's results per question (docs/architecture.md §6.11): the selector and
GET /api/campaigns/{id}/results against figures computed by hand from ten chosen surveys."""

from __future__ import annotations

import datetime as dt
import json
import uuid
import zoneinfo

import pytest
from rest_framework.utils.encoders import JSONEncoder

from calls.models import Answer, CallOutcome
from calls.results_buckets import results_buckets_rebuild
from calls.tests.factories import CallAttemptFactory, SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from campaigns.tests.questionnaire_samples import TEXTS, seven_questions
from contacts.tests.factories import ContactFactory
from dashboard import results as results_module
from dashboard.cache import campaign_results_cached
from dashboard.results import ResultsFilters, campaign_results
from dashboard.tests.test_cache import UNREACHABLE_REDIS
from voicesurvey.stats_cache import campaign_stats_invalidate

pytestmark = pytest.mark.django_db

ROME = zoneinfo.ZoneInfo("Europe/Rome")
NOW = dt.datetime(2026, 12, 1, 12, 0, tzinfo=dt.UTC)
U = "unanswered"  # an Answer row, not understood; a position missing from a survey: skipped

# The ten surveys: language, the completing attempt, region (None: no attribute), completed
# (local time in Rome), answers by position. q1 "no" skips q2–q4 (the sample's rule).
SURVEYS = [
    ("en", 1, "north", (11, 2, 10, 0), {1: "yes", 2: "10", 3: "3", 4: "phone", 5: "yes",
                                        6: "Faster support please", 7: "5"}),
    ("en", 1, "north", (11, 2, 11, 0), {1: "yes", 2: "9", 3: "0", 4: "email", 5: "yes",
                                        6: "Nothing", 7: "4"}),
    ("it", 2, "south", (11, 3, 12, 0), {1: "yes", 2: "7", 3: "12", 4: "phone", 5: "no",
                                        6: U, 7: "3"}),
    ("en", 1, "south", (11, 3, 13, 0), {1: "no", 5: "no", 6: "Cheaper prices", 7: "1"}),
    ("it", 1, "north", (11, 4, 14, 0), {1: "yes", 2: "3", 3: U, 4: "letter", 5: "yes",
                                        6: "Più veloci", 7: U}),
    ("en", 3, None, (11, 4, 15, 0), {1: "no", 5: "yes", 6: "support was slow", 7: "2"}),
    # 00:30 in Rome is still 4 November in UTC: the date filters are local days.
    ("en", 1, "east", (11, 5, 0, 30), {1: "yes", 2: "0", 3: "5", 4: "phone", 5: "yes",
                                       6: U, 7: "5"}),
    ("it", 2, "south", (11, 5, 17, 0), {1: U, 2: "8", 3: "5", 4: "email", 5: "no",
                                        6: "Better SUPPORT hours", 7: "4"}),
    ("en", 1, "north", (11, 6, 18, 0), {1: "yes", 2: "10", 3: "50", 4: U, 5: "yes",
                                        6: "ok", 7: "5"}),
    ("en", 2, "west", (11, 6, 19, 0), {1: "no", 5: U, 6: "no comment", 7: "3"}),
]  # fmt: skip
TYPES = {1: "yes_no", 2: "scale", 3: "number", 4: "single_choice", 5: "yes_no", 6: "free_text",
         7: "scale"}  # fmt: skip


@pytest.fixture
def campaign():
    campaign = CampaignFactory(
        questions=seven_questions(),
        languages=["en", "it"],
        texts=TEXTS,
        timezone="Europe/Rome",
        status="running",
    )
    for n, (language, attempt, region, (month, day, hour, minute), answers) in enumerate(SURVEYS):
        contact = ContactFactory(
            campaign=campaign,
            state="completed",
            external_contact_id=f"C{n + 1:02d}",
            attributes={"region": region, "plan": "gold"} if region else {"plan": "gold"},
        )
        for number in range(1, attempt):
            CallAttemptFactory(contact=contact, attempt_number=number, outcome=CallOutcome.BUSY)
        call = CallAttemptFactory(
            contact=contact, attempt_number=attempt, outcome=CallOutcome.COMPLETED
        )
        response = SurveyResponseFactory(
            contact=contact,
            call_attempt=call,
            language=language,
            answer_values={f"q{p}": v for p, v in answers.items() if v != U},
            completed_at=dt.datetime(2026, month, day, hour, minute, tzinfo=ROME),
        )
        response.answers.all().delete()  # the factory's rows; ours, with their types, below
        Answer.objects.bulk_create(
            Answer(
                response=response,
                position=position,
                key=f"q{position}",
                question_type=TYPES[position],
                status="unanswered" if value == U else "answered",
                value="" if value == U else value,
                asked=2 if value == U else 1,
            )
            for position, value in answers.items()
        )
    # Written in bulk, as a restore would: the rollup is counted once from the rows.
    results_buckets_rebuild(campaign=campaign)
    return campaign


def zero_filled(low: int, high: int, **seen: int) -> list[dict]:
    return [{"value": v, "count": seen.get(f"v{v}", 0)} for v in range(low, high + 1)]


QUESTION_TEXTS = {q["key"]: q["text"] for q in seven_questions()}
OPTION_LABELS = {o["value"]: o["label"] for o in seven_questions()[3]["options"]}


def head(position: int, asked: int, answered: int, unanswered: int, skipped: int) -> dict:
    key = f"q{position}"
    return {
        "position": position,
        "key": key,
        "type": TYPES[position],
        "text": QUESTION_TEXTS[key],
        "asked": asked,
        "answered": answered,
        "unanswered": unanswered,
        "skipped": skipped,
    }


def option(value: str, count: int, share: float) -> dict:
    return {"value": value, "label": OPTION_LABELS[value], "count": count, "share": share}


def text(n: int) -> tuple[str, str]:
    """The free-text answer of survey n (1-based) and its contact's id."""
    return SURVEYS[n - 1][4][6], f"C{n:02d}"


# Every figure of the ten surveys, by hand.
EXPECTED_ALL = [
    # q1: 10 rows; survey 8 not understood. yes: 1 2 3 5 7 9; no: 4 6 10.
    head(1, 10, 9, 1, 0) | {"yes": {"count": 6, "share": 66.67},
                            "no": {"count": 3, "share": 33.33}},
    # q2 (NPS), skipped by 4 6 10: 10 9 7 3 0 8 10 -> sorted 0 3 7 8 9 10 10.
    head(2, 7, 7, 0, 3)
    | {
        "distribution": zero_filled(0, 10, v0=1, v3=1, v7=1, v8=1, v9=1, v10=2),
        "mean": 6.71,  # 47 / 7
        "median": 8,
        # promoters 9 10 10, passives 7 8, detractors 3 0: (3 - 2) / 7 = 14.29 %
        "nps": {"promoters": 3, "passives": 2, "detractors": 2, "score": 14.3},
    },
    # q3: survey 5 not understood: 3 0 12 5 5 50 -> sorted 0 3 5 5 12 50.
    head(3, 7, 6, 1, 3)
    | {
        "distribution": zero_filled(0, 50, v0=1, v3=1, v5=2, v12=1, v50=1),
        "mean": 12.5,  # 75 / 6
        "median": 5.0,
    },
    # q4: survey 9 not understood. phone 1 3 7, email 2 8, letter 5.
    head(4, 7, 6, 1, 3)
    | {"options": [option("phone", 3, 50.0), option("email", 2, 33.33),
                   option("letter", 1, 16.67)]},
    # q5: survey 10 not understood. yes 1 2 5 6 7 9; no 3 4 8.
    head(5, 10, 9, 1, 0) | {"yes": {"count": 6, "share": 66.67},
                            "no": {"count": 3, "share": 33.33}},
    # q6: 3 and 7 not understood; the texts: section below.
    head(6, 10, 8, 2, 0),
    # q7 (1–5): survey 5 not understood: 5 4 3 1 2 5 4 5 3 -> sorted 1 2 3 3 4 4 5 5 5.
    head(7, 10, 9, 1, 0)
    | {"distribution": zero_filled(1, 5, v1=1, v2=1, v3=2, v4=2, v5=3), "mean": 3.56, "median": 4},
]  # fmt: skip


def without_texts(questions: list[dict]) -> list[dict]:
    return [{k: v for k, v in q.items() if k != "texts"} for q in questions]


def text_items(figures: dict) -> list[tuple[str, str]]:
    return [(item["text"], item["external_contact_id"]) for item in figures["items"]]


def as_json(value):
    return json.loads(json.dumps(value, cls=JSONEncoder))


def url(campaign_id, query: str = "") -> str:
    return f"/api/campaigns/{campaign_id}/results" + (f"?{query}" if query else "")


# --- the figures ----------------------------------------------------------------------------------


def test_every_figure_of_every_question_as_computed_by_hand(campaign, viewer_api):
    results = campaign_results(campaign=campaign, filters=ResultsFilters(), by=None)

    assert results["responses"] == 10
    assert without_texts(results["questions"]) == EXPECTED_ALL
    texts = results["questions"][5]["texts"]
    assert texts | {"items": None} == {
        "count": 8,
        "page": 1,
        "page_size": 20,
        "pages": 1,
        "search": "",
        "items": None,
    }
    # Newest survey first; 3 and 7 were not understood.
    assert text_items(texts) == [text(n) for n in (10, 9, 8, 6, 5, 4, 2, 1)]
    newest = texts["items"][0]
    assert newest["language"] == "en"
    assert newest["completed_at"] == dt.datetime(2026, 11, 6, 19, 0, tzinfo=ROME)
    assert "phone_number" not in newest
    assert not any("+39" in str(v) for v in newest.values())
    survey_10 = campaign.survey_responses.get(contact__external_contact_id="C10")
    assert newest["call_id"] == str(survey_10.call_attempt.call_id)

    # The API answers the same, field for field.
    body = viewer_api.get(url(campaign.pk)).json()
    assert body.pop("cached") is False
    assert body.pop("generated_at")
    results.pop("generated_at")
    assert body == as_json(results)
    assert body["filters"] == {
        "from": None,
        "to": None,
        "language": None,
        "attempt": None,
        "attributes": {},
        "text_page": 1,
        "text_search": "",
    }


@pytest.mark.parametrize(
    ("filters", "query", "surveys"),
    [
        (ResultsFilters(language="it"), "language=it", {3, 5, 8}),
        (ResultsFilters(attempt=2), "attempt=2", {3, 8, 10}),
        # Local days: survey 7 (00:30 on the 5th in Rome, the 4th in UTC) is in.
        (
            ResultsFilters(date_from=dt.date(2026, 11, 5), date_to=dt.date(2026, 11, 6)),
            "from=2026-11-05&to=2026-11-06",
            {7, 8, 9, 10},
        ),
        (ResultsFilters(date_to=dt.date(2026, 11, 4)), "to=2026-11-04", {1, 2, 3, 4, 5, 6}),
        (ResultsFilters(attributes={"region": "north"}), "attr.region=north", {1, 2, 5, 9}),
        (
            ResultsFilters(language="it", attributes={"region": "south", "plan": "gold"}),
            "language=it&attr.region=south&attr.plan=gold",
            {3, 8},
        ),
        (ResultsFilters(attributes={"region": "nowhere"}), "attr.region=nowhere", set()),
    ],
)
def test_each_filter_selects_its_surveys(campaign, viewer_api, filters, query, surveys):
    results = campaign_results(campaign=campaign, filters=filters, by=None)

    assert results["responses"] == len(surveys)
    chosen = [SURVEYS[n - 1][4] for n in sorted(surveys)]
    for figures in results["questions"]:
        position = figures["position"]
        rows = [answers[position] for answers in chosen if position in answers]
        assert figures["asked"] == len(rows), position
        assert figures["unanswered"] == rows.count(U), position
        assert figures["skipped"] == len(surveys) - len(rows), position
    q1, q2 = results["questions"][0], results["questions"][1]
    q1_values = [answers[1] for answers in chosen]
    assert q1["yes"]["count"] == q1_values.count("yes")
    assert q1["no"]["count"] == q1_values.count("no")
    assert sum(p["count"] for p in q2["distribution"]) == q2["answered"]
    texts = results["questions"][5]["texts"]
    assert {contact for _, contact in text_items(texts)} == {
        f"C{n:02d}" for n in surveys if SURVEYS[n - 1][4][6] != U
    }

    body = viewer_api.get(url(campaign.pk, query)).json()
    results.pop("generated_at")
    assert {k: v for k, v in body.items() if k not in ("cached", "generated_at")} == as_json(
        results
    )


def test_italian_surveys_by_hand(campaign):
    """Surveys 3, 5, 8: the figures themselves, not only their counts."""
    questions = campaign_results(campaign=campaign, filters=ResultsFilters(language="it"), by=None)[
        "questions"
    ]

    assert questions[0] | {} == head(1, 3, 2, 1, 0) | {
        "yes": {"count": 2, "share": 100.0},
        "no": {"count": 0, "share": 0.0},
    }
    # q2: 7 3 8 -> mean 6, median 7; passives 7 8, detractor 3: score -33.3
    assert questions[1]["mean"] == 6.0
    assert questions[1]["median"] == 7
    assert questions[1]["nps"] == {"promoters": 0, "passives": 2, "detractors": 1, "score": -33.3}
    assert questions[3]["options"] == [
        option("phone", 1, 33.33),
        option("email", 1, 33.33),
        option("letter", 1, 33.33),
    ]
    assert text_items(questions[5]["texts"]) == [text(8), text(5)]


def test_no_survey_in_the_set_means_nulls_and_zeros(campaign):
    questions = campaign_results(
        campaign=campaign, filters=ResultsFilters(date_from=dt.date(2027, 1, 1)), by=None
    )["questions"]

    q2 = questions[1]
    assert (q2["asked"], q2["skipped"], q2["mean"], q2["median"]) == (0, 0, None, None)
    assert q2["nps"] == {"promoters": 0, "passives": 0, "detractors": 0, "score": None}
    assert q2["distribution"] == zero_filled(0, 10)
    assert questions[0]["yes"] == {"count": 0, "share": 0.0}
    assert questions[5]["texts"]["items"] == []


def test_a_number_without_bounds_lists_the_values_seen_in_numeric_order(campaign):
    campaign.questions.filter(position=3).update(min_value=None, max_value=None)

    q3 = campaign_results(campaign=campaign, filters=ResultsFilters(), by=None)["questions"][2]

    # As text "12" < "3" < "5" < "50"; as numbers 0 3 5 12 50.
    assert q3["distribution"] == [
        {"value": 0, "count": 1},
        {"value": 3, "count": 1},
        {"value": 5, "count": 2},
        {"value": 12, "count": 1},
        {"value": 50, "count": 1},
    ]
    assert (q3["mean"], q3["median"]) == (12.5, 5.0)


# --- breakdown ----------------------------------------------------------------------------------


def test_breakdown_by_attribute(campaign, viewer_api):
    results = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region")

    q1 = results["questions"][0]
    groups = [(g["group"], g["value"], g["responses"]) for g in q1["breakdown"]]
    # Most frequent first, ties by value; survey 6's contact has no region.
    assert groups == [
        ("value", "north", 4),
        ("value", "south", 3),
        ("value", "east", 1),
        ("value", "west", 1),
        ("none", None, 1),
    ]
    north, south, *_, none = q1["breakdown"]
    assert north | {} == {
        "group": "value",
        "value": "north",
        "responses": 4,
        "asked": 4,
        "answered": 4,
        "unanswered": 0,
        "skipped": 0,
        "yes": {"count": 4, "share": 100.0},
        "no": {"count": 0, "share": 0.0},
    }
    # South: 3 yes, 4 no, 8 not understood.
    assert (south["yes"]["count"], south["no"]["count"], south["unanswered"]) == (1, 1, 1)
    assert (none["no"]["count"], none["answered"]) == (1, 1)
    # q2 in the north: 10 9 3 10 -> promoters 3, detractor 1: 50.0; median (9 + 10) / 2.
    q2_north = results["questions"][1]["breakdown"][0]
    assert q2_north["nps"] == {"promoters": 3, "passives": 0, "detractors": 1, "score": 50.0}
    assert (q2_north["mean"], q2_north["median"]) == (8.0, 9.5)
    # South's survey 4 said no to q1: q2 skipped there.
    assert results["questions"][1]["breakdown"][1]["skipped"] == 1
    # Free text: counts per group, no list.
    q6_north = results["questions"][5]["breakdown"][0]
    assert q6_north["answered"] == 4
    assert "texts" not in q6_north
    # The whole set's figures are those without a breakdown.
    whole = [{k: v for k, v in q.items() if k != "breakdown"} for q in results["questions"]]
    assert without_texts(whole) == EXPECTED_ALL

    body = viewer_api.get(url(campaign.pk, "by=region")).json()
    results.pop("generated_at")
    assert body["by"] == "region"
    assert body["questions"] == as_json(results["questions"])


def test_breakdown_keeps_the_most_frequent_values_and_folds_the_rest(campaign, monkeypatch):
    monkeypatch.setattr(results_module, "BREAKDOWN_GROUPS", 2)

    q1 = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region")["questions"][0]

    groups = [(g["group"], g["value"], g["responses"]) for g in q1["breakdown"]]
    assert groups == [
        ("value", "north", 4),
        ("value", "south", 3),
        ("other", None, 2),
        ("none", None, 1),
    ]
    other = q1["breakdown"][2]  # east (7: yes) and west (10: no)
    assert (other["yes"]["count"], other["no"]["count"]) == (1, 1)


def test_a_value_spelled_like_a_group_stays_a_value(campaign):
    campaign.contacts.filter(external_contact_id="C07").update(attributes={"region": "other"})
    results_buckets_rebuild(campaign=campaign)

    q1 = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region")["questions"][0]

    groups = [(g["group"], g["value"], g["responses"]) for g in q1["breakdown"]]
    assert ("value", "other", 1) in groups
    assert all(g["group"] != "other" for g in q1["breakdown"])


def test_breakdown_with_filters(campaign):
    q5 = campaign_results(campaign=campaign, filters=ResultsFilters(language="en"), by="region")[
        "questions"
    ][4]

    # English: 1 2 4 6 7 9 10. North 1 2 9 (yes yes yes), south 4 (no), east 7, west 10, none 6.
    assert [(g["value"], g["responses"]) for g in q5["breakdown"]] == [
        ("north", 3),
        ("east", 1),
        ("south", 1),
        ("west", 1),
        (None, 1),
    ]
    assert q5["breakdown"][0]["yes"] == {"count": 3, "share": 100.0}
    assert q5["breakdown"][3]["unanswered"] == 1  # west: survey 10


# --- free text ------------------------------------------------------------------------------------


def test_free_text_pages_newest_first(campaign, viewer_api, monkeypatch):
    monkeypatch.setattr(results_module, "TEXT_PAGE_SIZE", 3)

    def page(n: int) -> dict:
        filters = ResultsFilters(text_page=n)
        return campaign_results(campaign=campaign, filters=filters, by=None)["questions"][5][
            "texts"
        ]

    assert [text_items(page(n)) for n in (1, 2, 3, 4)] == [
        [text(10), text(9), text(8)],
        [text(6), text(5), text(4)],
        [text(2), text(1)],
        [],
    ]
    assert (page(2)["pages"], page(2)["count"], page(2)["page"]) == (3, 8, 2)
    body = viewer_api.get(url(campaign.pk, "text_page=3")).json()
    items = body["questions"][5]["texts"]["items"]
    assert [i["external_contact_id"] for i in items] == ["C02", "C01"]


def test_free_text_search_is_case_insensitive_and_counts_its_matches(campaign, viewer_api):
    body = viewer_api.get(url(campaign.pk, "text_search=SuPpOrT")).json()

    texts = body["questions"][5]["texts"]
    assert [i["text"] for i in texts["items"]] == [
        "Better SUPPORT hours",
        "support was slow",
        "Faster support please",
    ]
    assert (texts["count"], texts["pages"], texts["search"]) == (3, 1, "SuPpOrT")
    # The search narrows the list, not the figures.
    assert body["questions"][5]["answered"] == 8
    assert body["responses"] == 10
    # LIKE's wildcards are searched for, not obeyed.
    nothing = viewer_api.get(url(campaign.pk, "text_search=%25")).json()
    assert nothing["questions"][5]["texts"]["count"] == 0


# --- queries, cache -------------------------------------------------------------------------------


def test_a_handful_of_queries_whatever_the_number_of_questions(campaign, django_assert_num_queries):
    # From the rollup: 1 the questionnaire, 2 the buckets per (position, status, value), 3 the
    # free-text question's page.
    with django_assert_num_queries(3):
        campaign_results(campaign=campaign, filters=ResultsFilters(language="en"), by=None)
    # A breakdown from the rollup: 1 questionnaire, 2 the whole set's buckets, 3 the top
    # groups, 4 the attribute's buckets, 5 the free-text page.
    with django_assert_num_queries(5):
        campaign_results(campaign=campaign, filters=ResultsFilters(), by="region")
    # From the answers: 1 the questionnaire, 2 the responses in the set, 3 answers per
    # (position, status, value), 4 the free-text question's page.
    with django_assert_num_queries(4):
        campaign_results(campaign=campaign, filters=ResultsFilters(), by=None, rollup=False)
    # 1 questionnaire, 2 responses and those without the attribute, 3 the top groups, 4 answers
    # per group, 5 the free-text page's matches counted, 6 the page.
    with django_assert_num_queries(6):
        campaign_results(
            campaign=campaign,
            filters=ResultsFilters(text_search="support", attributes={"plan": "gold"}),
            by="region",
        )


# --- the rollup ---------------------------------------------------------------------------------

ROLLUP_QUERIES = [
    (ResultsFilters(), None),
    (ResultsFilters(language="it"), None),
    (ResultsFilters(attempt=2), None),
    (ResultsFilters(language="en", attempt=1), None),
    (ResultsFilters(date_from=dt.date(2026, 11, 5), date_to=dt.date(2026, 11, 6)), None),
    (ResultsFilters(date_to=dt.date(2026, 11, 4)), None),
    (ResultsFilters(date_from=dt.date(2027, 1, 1)), None),
    (ResultsFilters(attributes={"region": "north"}), None),
    (ResultsFilters(attributes={"region": "nowhere"}), None),
    (ResultsFilters(attributes={"plan": "gold"}), None),
    (ResultsFilters(), "region"),
    (ResultsFilters(), "plan"),
    (ResultsFilters(), "nothing"),
]


@pytest.mark.parametrize(("filters", "by"), ROLLUP_QUERIES)
def test_the_rollup_gives_the_figures_of_the_answers(campaign, filters, by):
    assert results_module._bucket_source(campaign, filters, by) is not None
    from_rollup = campaign_results(campaign=campaign, filters=filters, by=by, now=NOW)
    from_answers = campaign_results(
        campaign=campaign, filters=filters, by=by, now=NOW, rollup=False
    )

    assert from_rollup == from_answers


def test_the_rollup_is_what_the_results_read(campaign):
    """The answers gone from under it, the rollup still holds every figure: it is read, not
    the answers (the free-text list aside, which reads them)."""
    before = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region", now=NOW)
    Answer.objects.filter(response__campaign=campaign).delete()

    after = campaign_results(campaign=campaign, filters=ResultsFilters(), by="region", now=NOW)
    assert without_texts(after["questions"]) == without_texts(before["questions"])
    assert (
        campaign_results(campaign=campaign, filters=ResultsFilters(), by=None, rollup=False)[
            "questions"
        ][0]["asked"]
        == 0
    )


@pytest.mark.parametrize(
    ("filters", "by"),
    [
        # Two attributes, or an attribute with any other filter: the answers are read.
        (ResultsFilters(attributes={"region": "north", "plan": "gold"}), None),
        (ResultsFilters(language="it", attributes={"region": "north"}), None),
        (ResultsFilters(language="it"), "region"),
        (ResultsFilters(attributes={"plan": "gold"}), "region"),
    ],
)
def test_queries_the_rollup_cannot_answer_read_the_answers(campaign, filters, by):
    assert results_module._bucket_source(campaign, filters, by) is None


def test_a_half_hour_zone_reads_the_answers_for_a_date_range(campaign):
    campaign.timezone = "Asia/Kolkata"  # UTC+5:30: its local midnights are half past the hour
    filters = ResultsFilters(date_from=dt.date(2026, 11, 5))

    assert results_module._bucket_source(campaign, filters, None) is None
    assert results_module._bucket_source(campaign, ResultsFilters(), None) == "hours"


def test_cached_per_query_and_invalidated_with_the_stats(campaign, django_assert_num_queries):
    filters = ResultsFilters(language="it")
    first = campaign_results_cached(campaign=campaign, filters=filters, by=None)
    assert first["cached"] is False

    with django_assert_num_queries(0):
        again = campaign_results_cached(campaign=campaign, filters=filters, by=None)
    assert again["cached"] is True
    assert again | {"cached": False} == first
    # Another query is another entry: filters, breakdown, the free-text page and search.
    for filters_, by in [
        (ResultsFilters(language="en"), None),
        (ResultsFilters(language="it"), "region"),
        (ResultsFilters(language="it", text_page=2), None),
        (ResultsFilters(language="it", text_search="x"), None),
        (ResultsFilters(language="it", attributes={"region": "south"}), None),
    ]:
        assert (
            campaign_results_cached(campaign=campaign, filters=filters_, by=by)["cached"] is False
        )

    campaign_stats_invalidate(campaign_id=campaign.pk)
    assert campaign_results_cached(campaign=campaign, filters=filters, by=None)["cached"] is False
    assert campaign_results_cached(campaign=campaign, filters=filters, by=None)["cached"] is True


def test_the_stats_invalidation_endpoint_drops_the_results_too(campaign, admin_api):
    assert admin_api.get(url(campaign.pk)).json()["cached"] is False
    assert admin_api.get(url(campaign.pk)).json()["cached"] is True

    assert admin_api.post(f"/api/campaigns/{campaign.pk}/stats/invalidate").status_code == 204

    assert admin_api.get(url(campaign.pk)).json()["cached"] is False


def test_redis_down_means_computed_results(settings, campaign, viewer_api):
    settings.CACHES = {"default": UNREACHABLE_REDIS}

    for _ in range(2):
        response = viewer_api.get(url(campaign.pk, "by=region"))
        assert response.status_code == 200
        assert response.json()["cached"] is False
        assert response.json()["responses"] == 10


# --- the API --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("persona", "status"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_role_matrix(persona_api, persona, status, campaign):
    response = persona_api.get(url(campaign.pk))
    assert response.status_code == status
    if status == 200:
        assert response.json()["responses"] == 10
    else:
        assert "detail" in response.json()


@pytest.mark.parametrize("campaign_id", [uuid.uuid4(), "not-a-uuid"])
def test_missing_campaign_is_404(viewer_api, campaign_id):
    assert viewer_api.get(url(campaign_id)).status_code == 404


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("from=2026-13-01", "from"),
        ("to=yesterday", "to"),
        ("from=2026-11-06&to=2026-11-05", "from"),
        ("language=fr", "language"),
        ("attempt=0", "attempt"),
        ("attempt=two", "attempt"),
        ("attempt=-1", "attempt"),
        ("attr.Region=north", "attr.Region"),
        ("attr.=north", "attr."),
        ("attr.2024=x", "attr.2024"),
        ("by=region%20name", "by"),
        ("by=", "by"),
        ("text_page=0", "text_page"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(viewer_api, campaign, query, field):
    response = viewer_api.get(url(campaign.pk, query))

    assert response.status_code == 400
    assert list(response.json()) == [field]


def test_a_campaign_without_questions(viewer_api):
    campaign = CampaignFactory(questions=[])

    response = viewer_api.get(url(campaign.pk))

    assert response.status_code == 200
    assert (response.json()["questions"], response.json()["responses"]) == ([], 0)


def test_the_schema_documents_the_endpoint(admin_api):
    schema = admin_api.get("/api/schema/?format=json").json()

    operation = schema["paths"]["/api/campaigns/{campaign_id}/results"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"from", "to", "language", "attempt", "by", "text_page", "text_search"} <= names
    assert "attr.<name>" in operation["description"]
    assert {"200", "400", "401", "404"} <= set(operation["responses"])

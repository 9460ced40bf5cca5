"""In a real browser (Debian's Chromium through Playwright), on a phone-sized and a wide
screen: a bilingual seven-question survey with a skip rule written in the questionnaire editor
(static/js/questionnaire.js), saved, read on the campaign page, and rehearsed in both
languages. The site's Content-Security-Policy is on (the `sign_in` fixture fails on anything
it blocks)."""

from __future__ import annotations

import re

import pytest

from campaigns.models import Campaign, Question

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1400]

QUESTIONS_EN = {
    "q1": "Have you used our service in the last month?",
    "q2": "How likely are you to recommend us to a friend?",
    "q3": "How many times did you call us?",
    "q4": "How do you prefer to be contacted?",
    "q5": "Would you use our service again?",
    "q6": "What should we improve?",
    "q7": "How satisfied are you overall?",
}
QUESTIONS_IT = {
    "q1": "Ha usato il nostro servizio nell'ultimo mese?",
    "q2": "Quanto è probabile che ci raccomandi a un amico?",
    "q3": "Quante volte ci ha chiamato?",
    "q4": "Come preferisce essere contattato?",
    "q5": "Userebbe di nuovo il nostro servizio?",
    "q6": "Che cosa dovremmo migliorare?",
    "q7": "Quanto è soddisfatto nel complesso?",
}
INTRO = {
    "en": "Hello, this is Acme with a three-minute survey; say stop at any time.",
    "it": "Buongiorno, la chiama Acme per un sondaggio di tre minuti; dica stop quando vuole.",
}
OPTIONS = [
    ("phone", "Phone", "Telefono"),
    ("email", "Email", "Posta"),
    ("letter", "Letter", "Lettera"),
]


def no_horizontal_overflow(page) -> bool:
    fits = page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")
    if not fits:  # say which elements stick out, for whoever reads the failure
        print(page.evaluate(WIDER_THAN_THE_SCREEN))
    return fits


WIDER_THAN_THE_SCREEN = """() => Array.from(document.querySelectorAll("body *"))
    .filter(e => e.getBoundingClientRect().right > window.innerWidth + 0.5)
    .slice(0, 20)
    .map(e => e.tagName + "." + e.className + " " + Math.round(e.getBoundingClientRect().right))"""


def question(page, number: int):
    return page.locator(f"[data-qe-question='{number}']")


def add_question(page, key: str, type_: str, text: str):
    page.get_by_role("button", name="Add a question").click()
    card = page.locator("[data-qe-question]").last
    card.locator("[data-field=key]").fill(key)
    card.locator("select[data-field=type]").select_option(type_)
    card = page.locator("[data-qe-question]").last  # the editor drew it anew
    card.locator("textarea[data-field=text]:visible").fill(text)
    return card


@pytest.mark.parametrize("width", WIDTHS)
def test_write_save_read_and_rehearse_a_bilingual_survey(sign_in, manager_user, width):
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/campaigns/new")
    editor = page.locator("[data-qe-editor]")
    editor.wait_for(state="visible")
    # The JSON boxes are the fallback without JavaScript: hidden now.
    assert not page.locator("textarea[name=questionnaire]").is_visible()
    page.fill("input[name=name]", "Bilingual survey")
    page.check("input[name=languages][value=it]")
    assert page.get_by_role("tab", name="Italian").is_visible()

    # English first: the texts around the questions.
    page.fill(".qe-lang[data-lang=en] textarea[data-qe-text=intro]", INTRO["en"])
    page.fill(".qe-lang[data-lang=en] textarea[data-qe-text=consent]", "Do you agree?")

    # Seven questions; each type shows its own settings only.
    add_question(page, "q1", "yes_no", QUESTIONS_EN["q1"])
    assert question(page, 1).locator("[data-field=min]").count() == 0
    card = add_question(page, "q2", "scale", QUESTIONS_EN["q2"])
    assert card.locator("[data-field=min]").is_visible()
    assert card.locator("[data-field=max_length]").count() == 0
    card.locator("[data-field=nps]").check()
    assert question(page, 2).locator("[data-field=min]").input_value() == "0"
    assert question(page, 2).locator("[data-field=max]").input_value() == "10"
    card = add_question(page, "q3", "number", QUESTIONS_EN["q3"])
    assert card.locator("[data-field=nps]").count() == 0
    card.locator("[data-field=min]").fill("0")
    card.locator("[data-field=max]").fill("50")
    card = add_question(page, "q4", "single_choice", QUESTIONS_EN["q4"])
    assert card.locator("[data-qe-option]").count() == 2
    card.get_by_role("button", name="Add an option").click()
    card = question(page, 4)
    for n, (value, english, _) in enumerate(OPTIONS):
        option = card.locator(f"[data-qe-option='{n + 1}']")
        option.locator("[data-field=value]").fill(value)
        assert option.locator("[data-field=digit]").input_value() == str(n + 1)
        option.locator("[data-field=label]:visible").fill(english)
    card.locator("[data-qe-option='1'] [data-field=synonyms]:visible").fill("telephone, mobile")
    add_question(page, "q5", "yes_no", QUESTIONS_EN["q5"])
    # q7 before q6, then moved down: the editor reorders.
    card = add_question(page, "q7", "scale", QUESTIONS_EN["q7"])
    card.locator("[data-field=min]").fill("1")
    card.locator("[data-field=max]").fill("5")
    card = add_question(page, "q6", "free_text", QUESTIONS_EN["q6"])
    assert card.locator("[data-field=max_length]").is_visible()
    assert card.locator("[data-field=min]").count() == 0
    card.locator("[data-field=max_length]").fill("200")
    question(page, 6).get_by_role("button", name="Move question 6 down").click()
    assert question(page, 6).locator("[data-field=key]").input_value() == "q6"
    assert question(page, 7).locator("[data-field=key]").input_value() == "q7"

    # The skip rule, as a sentence: If the answer [is] [no] go to [question 5].
    question(page, 1).get_by_role("button", name="Add a skip rule").click()
    rule = question(page, 1).locator("[data-qe-rule='1']")
    assert "If the answer" in rule.inner_text()
    assert "go to" in rule.inner_text()
    rule.locator("[data-field=op]").select_option("equals")
    rule.locator("[data-field=rule-value]").fill("no")
    rule.locator("[data-field=to]").select_option("q5")

    # Then Italian, in its tab.
    page.get_by_role("tab", name="Italian").click()
    assert not page.locator(".qe-lang[data-lang=en] textarea[data-qe-text=intro]").is_visible()
    page.fill(".qe-lang[data-lang=it] textarea[data-qe-text=intro]", INTRO["it"])
    page.fill(".qe-lang[data-lang=it] textarea[data-qe-text=consent]", "È d'accordo?")
    for number, key in enumerate(QUESTIONS_IT, start=1):
        question(page, number).locator("textarea[data-field=text]:visible").fill(QUESTIONS_IT[key])
    for n, (_, _, italian) in enumerate(OPTIONS):
        question(page, 4).locator(f"[data-qe-option='{n + 1}'] [data-field=label]:visible").fill(
            italian
        )
    assert no_horizontal_overflow(page)
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url(re.compile(r".*/campaigns/[0-9a-f-]{36}$"))

    campaign = Campaign.objects.get(name="Bilingual survey")
    assert campaign.languages == ["en", "it"]
    assert campaign.texts["it"]["intro"] == INTRO["it"]
    rows = list(Question.objects.filter(campaign=campaign))
    assert [(q.key, q.type) for q in rows] == [
        ("q1", "yes_no"),
        ("q2", "scale"),
        ("q3", "number"),
        ("q4", "single_choice"),
        ("q5", "yes_no"),
        ("q6", "free_text"),
        ("q7", "scale"),
    ]
    assert rows[0].skip == [{"if": "equals", "value": "no", "to": "q5"}]
    assert (rows[1].min_value, rows[1].max_value, rows[1].nps) == (0, 10, True)
    assert (rows[2].min_value, rows[2].max_value) == (0, 50)
    assert rows[3].options[0] == {
        "value": "phone",
        "digit": "1",
        "label": {"en": "Phone", "it": "Telefono"},
        "synonyms": {"en": ["telephone", "mobile"]},
    }
    assert rows[5].max_length == 200
    assert (rows[6].min_value, rows[6].max_value) == (1, 5)
    assert rows[6].text == {"en": QUESTIONS_EN["q7"], "it": QUESTIONS_IT["q7"]}

    # The campaign page: the questionnaire, one language at a time.
    questionnaire = page.locator("section:has(#script-h)")
    assert "If the answer is no, go to question 5" in questionnaire.inner_text()
    assert page.get_by_text(QUESTIONS_EN["q7"]).is_visible()
    assert not page.get_by_text(QUESTIONS_IT["q7"]).is_visible()
    questionnaire.get_by_role("button", name="Italian").click()
    assert page.get_by_text(QUESTIONS_IT["q7"]).is_visible()
    assert not page.get_by_text(QUESTIONS_EN["q7"]).is_visible()
    assert no_horizontal_overflow(page)

    # Rehearse in English: a typed reply, then a keypad key that triggers the skip rule.
    panel = page.locator("[data-rehearse]")
    panel.wait_for()
    assert INTRO["en"] in panel.locator("[data-say]").inner_text()
    panel.locator("input[name=reply_text]").fill("yes")
    panel.get_by_role("button", name="Say it").click()
    page.wait_for_function(
        "text => document.querySelector('[data-say]').innerText.includes(text)",
        arg=QUESTIONS_EN["q1"],
    )
    assert no_horizontal_overflow(page)
    page.locator("[data-rehearse]").get_by_role("button", name="Press 2").click()
    page.wait_for_function(
        "text => document.querySelector('[data-say]').innerText.includes(text)",
        arg=QUESTIONS_EN["q5"],
    )
    last = page.locator("[data-rehearse-log] li").last
    assert "value no" in last.inner_text()
    assert "confidence 1.00" in last.inner_text()
    assert "Next: question 5 (q5). A skip rule jumps over questions 2–4." in last.inner_text()

    # Again in Italian.
    page.locator("[data-rehearse-language]").select_option("it")
    page.locator("[data-rehearse]").get_by_role("button", name="Start again").click()
    page.wait_for_function(
        "text => document.querySelector('[data-say]').innerText.includes(text)", arg=INTRO["it"]
    )
    assert page.locator("[data-rehearse-log]").count() == 0
    page.locator("[data-rehearse] input[name=reply_text]").fill("sì")
    page.keyboard.press("Enter")
    page.wait_for_function(
        "text => document.querySelector('[data-say]').innerText.includes(text)",
        arg=QUESTIONS_IT["q1"],
    )
    page.locator("[data-rehearse]").get_by_role("button", name="Press 1").click()
    page.wait_for_function(
        "text => document.querySelector('[data-say]').innerText.includes(text)",
        arg=QUESTIONS_IT["q2"],
    )
    assert no_horizontal_overflow(page)
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_errors_show_beside_the_question(sign_in, manager_user, width):
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/campaigns/new")
    page.locator("[data-qe-editor]").wait_for(state="visible")
    page.fill("input[name=name]", "Broken survey")
    add_question(page, "q1", "single_choice", "Which one?")
    question(page, 1).get_by_role("button", name="Remove option 2").wait_for()
    assert question(page, 1).get_by_role("button", name="Remove option 2").is_disabled()
    question(page, 1).locator("[data-qe-option='1'] [data-field=digit]").fill("0")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_load_state()
    summary = page.locator("[data-qe-summary]").inner_text()
    assert "Question 1 (q1), option 1, keypad digit: A keypad digit is 1 to 9." in summary
    beside = question(page, 1).locator(".errorlist").inner_text()
    assert "option 1, digit: A keypad digit is 1 to 9." in beside
    assert not Campaign.objects.filter(name="Broken survey").exists()
    assert no_horizontal_overflow(page)
    assert page.js_errors == []

"""In a real browser (Debian's Chromium through Playwright): a newcomer's first campaign, from
the empty form to a running, paused and resumed campaign; the campaign dashboard as a manager
and as a viewer.

`UPDATE_SCREENSHOTS=1 pytest -m browser` also saves docs/screenshots/campaign-dashboard.png,
with the demo data set.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.conf import settings

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.models import Campaign, Question
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory
from demo.builders import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshots" / "campaign-dashboard.png"
HOURLY_CHART = "canvas[data-chart$=-hourly]"


def messages(page) -> str:
    return " ".join(page.locator(".messages").inner_text().split())


def test_a_newcomers_first_campaign(sign_in, manager_user, tmp_path):
    contacts = tmp_path / "contacts.csv"
    contacts.write_text(
        "phone;external_id;email\n"
        "+39 347 123 4567;CRM-1;ada@example.com\n"
        "0612345678;CRM-2;\n"  # a national (Italian) number
        "not a number;CRM-3;\n"
        "+44 7911 123456;CRM-4;not-an-email\n"
    )
    page = sign_in(manager_user, "pw-max")

    # A draft, from the list page.
    page.get_by_role("link", name="New campaign").click()
    page.fill("input[name=name]", "Spring survey")
    page.get_by_role("button", name="Create draft").click()
    page.wait_for_url("**/campaigns/*")
    assert "Campaign created as a draft." in messages(page)
    campaign = Campaign.objects.get(name="Spring survey")
    assert page.locator("[data-status]").inner_text() == "Draft"

    # Contacts, with a row report.
    page.set_input_files("input[name=file]", str(contacts))
    page.click("form.upload-form button")
    report = page.locator(f"#import-report-{campaign.pk} .import-report")
    report.wait_for()
    text = " ".join(report.inner_text().split())
    assert "Imported 2 contacts from 4 rows; 2 rows rejected." in text
    assert "Not a phone number" in text
    assert "email" in text.lower()
    assert "CRM-2" in page.inner_text(f"#contacts-{campaign.pk}")
    # The draft's checklist ticks its contacts at once, without waiting for its refresh.
    page.wait_for_function(
        "() => document.querySelector('[data-block=checklist] li:nth-child(3)')"
        ".dataset.done === 'yes'"
    )
    assert "Contacts: at least one" in page.inner_text("[data-block=checklist] li:nth-child(3)")

    # Activation lists what is missing; the form fixes it.
    page.get_by_role("button", name="Activate").click()
    page.wait_for_load_state()
    problems = messages(page)
    assert "The campaign cannot be activated yet:" in problems
    assert "Questionnaire: A survey needs at least one question." in problems
    assert "English, Introduction: Introduction is missing in English" in problems
    assert "Contacts:" not in problems  # it has contacts now
    page.get_by_role("link", name="Edit").click()
    page.fill("textarea[data-qe-text=intro]", "Hello, this is Acme with a two-minute survey.")
    for number, (type_, text) in enumerate(
        [
            ("scale", "From 1 to 10, how satisfied are you?"),
            ("number", "How many times did you call us?"),
            ("free_text", "What should we improve?"),
        ],
        start=1,
    ):
        page.get_by_role("button", name="Add a question").click()
        card = page.locator(f"[data-qe-question='{number}']")
        card.locator("select[data-field=type]").select_option(type_)
        card.locator("textarea[data-field=text]").fill(text)
    page.fill("[data-qe-question='1'] [data-field=max]", "10")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"**/campaigns/{campaign.pk}")
    assert "Campaign saved." in messages(page)

    # Activate, pause, resume.
    for button, status in [("Activate", "Running"), ("Pause", "Paused"), ("Resume", "Running")]:
        page.get_by_role("button", name=button).click()
        page.wait_for_load_state()
        assert page.locator("[data-status]").inner_text() == status, messages(page)
    campaign.refresh_from_db()
    assert campaign.status == "running"
    assert Question.objects.get(campaign=campaign, position=1).type == "scale"
    assert page.js_errors == []


@pytest.fixture
def dashboard_campaign():
    campaign = CampaignFactory(name="Customer survey", status="running")
    for number, state in enumerate(
        [ContactState.COMPLETED] * 3 + [ContactState.REFUSED] + [ContactState.PENDING] * 2
    ):
        contact = ContactFactory(
            campaign=campaign,
            phone_number=f"+3934712345{number:02d}",
            external_contact_id=f"CRM-{number}",
            state=state,
            attempts_count=0 if state == ContactState.PENDING else 1,
        )
        if state != ContactState.PENDING:
            CallAttemptFactory(contact=contact, outcome=state)
    CallAttemptFactory(contact=ContactFactory(campaign=campaign), outcome=CallOutcome.BUSY)
    return campaign


def painted_pixels(page, selector: str) -> int:
    """How many pixels of the canvas are painted: none on a blank canvas."""
    return page.eval_on_selector(
        selector,
        """canvas => {
            const data = canvas.getContext("2d")
                .getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
            return painted;
        }""",
    )


def stat(page, label: str) -> str:
    return page.locator(f".stat:has(.label:text-is('{label}')) .value").first.inner_text()


def test_a_manager_reads_the_campaign_dashboard(sign_in, manager_user, dashboard_campaign):
    page = sign_in(manager_user, "pw-max")
    page.get_by_role("link", name="Customer survey").click()
    page.wait_for_url(f"**/campaigns/{dashboard_campaign.pk}")

    assert stat(page, "Contacts") == "7"
    assert stat(page, "Completed") == "3"
    assert stat(page, "Call attempts") == "5"
    page.wait_for_selector(HOURLY_CHART, state="visible")
    assert painted_pixels(page, HOURLY_CHART) > 1000
    table = page.locator(f"#contacts-{dashboard_campaign.pk}")
    assert "+393471234500" in table.inner_text()  # managers see numbers
    page.select_option(f"#contacts-{dashboard_campaign.pk} select[name=state]", "refused")
    page.click(f"#contacts-{dashboard_campaign.pk} form.contacts-filter button")
    page.wait_for_function(
        "id => !document.getElementById(id).innerText.includes('CRM-0')",
        arg=f"contacts-{dashboard_campaign.pk}",
    )
    assert "CRM-3" in table.inner_text()
    assert "1 contact found" in table.inner_text()
    assert page.get_by_role("button", name="Pause").is_visible()
    assert page.js_errors == []

    if os.environ.get("UPDATE_SCREENSHOTS"):  # with the demo data set, for the README
        demo_seed(contacts=3000, campaigns=7, seed=1)
        demo = Campaign.objects.get(name="Customer satisfaction Q4")
        page.goto(f"/campaigns/{demo.pk}")
        page.wait_for_selector(HOURLY_CHART, state="visible")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_a_viewer_sees_masked_numbers_and_no_actions(sign_in, viewer_user, dashboard_campaign):
    page = sign_in(viewer_user, "pw-vic")
    page.goto(f"/campaigns/{dashboard_campaign.pk}")

    table = page.locator(f"#contacts-{dashboard_campaign.pk}")
    assert "+39 *** *** 4500" in table.inner_text()
    assert "+393471234500" not in page.content()
    assert page.locator("[data-actions]").count() == 0
    assert page.get_by_role("button", name="Pause").count() == 0
    assert page.get_by_role("link", name="Edit").count() == 0
    assert page.locator("form.upload-form").count() == 0
    assert page.get_by_role("button", name="Export results").count() == 0
    page.wait_for_selector(HOURLY_CHART, state="visible")
    assert painted_pixels(page, HOURLY_CHART) > 1000
    assert page.js_errors == []

"""In a real browser (Debian's Chromium), at 390 and 1400 px: the campaign list's search by
name, date filter and sort (issue 15 item 13), with the page fitting its width."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def names(page) -> list[str]:
    return [
        text.strip() for text in page.locator("table tbody tr td:first-child a").all_text_contents()
    ]


@pytest.mark.parametrize("width", [390, 1400])
def test_search_filter_and_sort(sign_in, viewer_user, width):
    half = CampaignFactory(name="Apple survey", status="running")
    ContactFactory(campaign=half, state=ContactState.COMPLETED, attempts_count=1)
    ContactFactory(campaign=half)
    done = CampaignFactory(name="Banana survey", status="completed")
    ContactFactory(campaign=done, state=ContactState.REFUSED, attempts_count=1)
    CampaignFactory(name="Cherry poll", status="draft")

    page = sign_in(viewer_user, "pw-vic")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto("/")
    assert names(page) == ["Cherry poll", "Banana survey", "Apple survey"]  # newest first

    page.fill("input[name=search]", "survey")
    page.select_option("select[name=sort]", "-progress")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/?search=survey*")
    assert names(page) == ["Banana survey", "Apple survey"]
    assert page.locator("input[name=search]").input_value() == "survey"
    assert page.locator("select[name=sort]").input_value() == "-progress"

    # The status links keep the search.
    page.get_by_role("link", name="Running", exact=True).click()
    page.wait_for_url("**/?status=running*")
    assert names(page) == ["Apple survey"]

    # A date range with its ends swapped: 400, naming the field.
    page.goto("/?created_after=2030-01-02&created_before=2030-01-01")
    assert "Created to (created_before)" in page.locator(".campaign-search-errors").inner_text()

    page.goto("/?search=survey&sort=name")
    assert names(page) == ["Apple survey", "Banana survey"]
    fits = page.evaluate(
        "() => { const f = document.querySelector('[data-campaign-search]');"
        " return document.documentElement.scrollWidth <= window.innerWidth + 1"
        " && f.getBoundingClientRect().right <= window.innerWidth + 0.5; }"
    )
    assert fits, "the search form or the page is wider than the window"
    assert page.js_errors == []

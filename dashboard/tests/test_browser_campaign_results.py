"""The campaign page's results in a real browser (Chromium through Playwright), on a phone and
on a desktop: every chart drawn with its table beside it, a filter and the free-text search
swapping the panel, no horizontal scrolling, nothing the Content-Security-Policy blocks (the
`sign_in` fixture fails the test on any violation)."""

from __future__ import annotations

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1400]


def fits(page) -> bool:
    return page.evaluate("() => document.documentElement.scrollWidth <= window.innerWidth")


def charts(page, panel: str) -> list[dict]:
    """Each results chart's drawn size, and whether Chart.js owns it."""
    return page.eval_on_selector_all(
        f"{panel} canvas[data-results-chart]",
        """canvases => canvases.map(canvas => ({
            width: canvas.getBoundingClientRect().width,
            height: canvas.getBoundingClientRect().height,
            drawn: Boolean(window.Chart.getChart(canvas)),
        }))""",
    )


def responses(page, panel: str) -> str:
    return page.inner_text(f"{panel} [data-responses]")


@pytest.mark.parametrize("width", WIDTHS)
def test_results_on_the_campaign_page(sign_in, manager_user, results_campaign, width):
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/campaigns/{results_campaign.pk}")
    page.evaluate("window.notReloaded = true")
    panel = f"#campaign-results-{results_campaign.pk.hex}"

    page.wait_for_selector(f"{panel} canvas[data-results-chart]", state="visible")
    drawn = charts(page, panel)
    assert len(drawn) == 7  # six questions with a chart, q2 with two (gauge and values)
    assert all(c["drawn"] and c["width"] > 0 and c["height"] > 0 for c in drawn)
    assert page.locator(f"{panel} table[data-results-table]").count() == 7
    assert responses(page, panel) == "4"
    assert fits(page)

    # A filter swaps the panel in place, with new figures and charts drawn again.
    page.select_option(f"{panel} select[name=language]", "en")
    with page.expect_response(lambda r: "/results?" in r.url and "language=en" in r.url):
        page.click(f"{panel} .results-filters button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-responses]').textContent.trim() === '3'"
    )
    page.wait_for_selector(f"{panel} canvas[data-results-chart]", state="visible")
    assert all(c["drawn"] and c["width"] > 0 for c in charts(page, panel))
    # The tables are folded once the charts are drawn (dashboard.js), and there to unfold.
    q1 = page.text_content(f"{panel} [data-question=q1] table")
    assert "66.67 %" in q1

    # The free-text search keeps the filter.
    q6 = f"{panel} [data-question=q6]"
    page.fill(f"{q6} input[name=text_search]", "support")
    with page.expect_response(lambda r: "text_search=support" in r.url):
        page.click(f"{q6} .results-search button[type=submit]")
    page.wait_for_function(
        "() => document.querySelector('[data-question=q6] [data-texts-count]')"
        ".textContent.includes('containing')"
    )
    answers = page.inner_text(f"{q6} .results-texts")
    assert "Faster support please" in answers
    assert "support was SLOW" in answers
    assert "Nothing" not in answers
    assert responses(page, panel) == "3"  # still English only
    assert fits(page)

    # A breakdown: each question's figures per region, as a chart and a table.
    page.select_option(f"{panel} select[name=language]", "")
    page.select_option(f"{panel} select[name=by]", "region")
    with page.expect_response(lambda r: "/results?" in r.url and "by=region" in r.url):
        page.click(f"{panel} .results-filters button[type=submit]")
    page.wait_for_selector(f"{panel} canvas[data-results-chart$='-by']", state="visible")
    by_region = page.eval_on_selector_all(
        f"{panel} canvas[data-results-chart$='-by']",
        "canvases => canvases.map(c => ({drawn: Boolean(window.Chart.getChart(c)),"
        " width: c.getBoundingClientRect().width}))",
    )
    assert len(by_region) == 6  # every question but the free text
    assert all(c["drawn"] and c["width"] > 0 for c in by_region)
    assert page.locator(f"{panel} table[data-breakdown-table]").count() == 7
    assert fits(page)
    assert page.evaluate("window.notReloaded") is True
    assert page.js_errors == []

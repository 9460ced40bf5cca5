"""The system dashboard in a real browser (Chromium through Playwright): figures, a drawn
chart, the htmx refresh, its error state, for a manager and a viewer.

`UPDATE_SCREENSHOTS=1 pytest -m browser` also saves docs/screenshots/system-dashboard.png, with
the demo data set.
"""

import os
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache

from calls.models import CallOutcome, ProviderConfig
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.tests.factories import CampaignFactory
from demo.builders import demo_seed

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SCREENSHOT = Path(settings.BASE_DIR) / "docs" / "screenshots" / "system-dashboard.png"
CHART = "#system-stats canvas[data-chart]"


def painted_pixels(page, selector: str) -> int:
    """How many pixels of the canvas are painted: none on a blank canvas."""
    return page.eval_on_selector(
        selector,
        """canvas => {
            const context = canvas.getContext("2d");
            const data = context.getImageData(0, 0, canvas.width, canvas.height).data;
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i] !== 0) painted++;
            return painted;
        }""",
    )


@pytest.fixture
def figures():
    CampaignFactory(status="running")
    CampaignFactory(status="scheduled")
    for outcome in [CallOutcome.COMPLETED] * 3 + [CallOutcome.FAILED] * 2 + [None]:
        CallAttemptFactory(outcome=outcome)
    SchedulerRunFactory(calls_placed=17)


def stat(page, label: str) -> str:
    return page.locator(f".stat:has(.label:text-is('{label}')) .value").inner_text()


def test_manager_sees_the_figures_and_a_drawn_chart(sign_in, manager_user, figures):
    page = sign_in(manager_user, "pw-max")
    page.goto("/dashboard/system")

    assert stat(page, "Call attempts") == "6"
    assert stat(page, "Failed calls") == "2"
    assert stat(page, "Scheduled campaigns") == "1"
    # Cell by cell: the last tick's time may hold a 17 too (22:17, 17:05).
    orchestrator = page.locator("[data-block=orchestrator]").inner_text()
    assert "Calls placed by the last tick\t17\n" in orchestrator
    # In 24 hours: the attempts started (the campaigns' figures added up), not the runs' say.
    assert "Calls placed in the last 24 hours (all campaigns)\t6\n" in orchestrator
    assert page.get_by_role("link", name="System").get_attribute("aria-current") == "page"
    # The chart is shown and drawn; its table is folded away (but there).
    page.wait_for_selector(CHART, state="visible")
    assert painted_pixels(page, CHART) > 1000
    assert page.locator("#system-calls-table").get_attribute("open") is None
    assert page.js_errors == []
    if os.environ.get("UPDATE_SCREENSHOTS"):  # with the demo data set, for the README
        demo_seed(contacts=3000, campaigns=7, seed=1)
        ProviderConfig.objects.update_or_create(pk=1, defaults={"cost_per_minute": "0.0130"})
        cache.clear()  # the blocks cached from the test's own figures above
        page.reload()
        page.wait_for_selector(CHART, state="visible")
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)


def test_refresh_replaces_the_figures_without_reloading(sign_in, manager_user, figures, settings):
    settings.STATS_CACHE_TTL_SECONDS = 0  # no cache: the new attempt shows at the next refresh
    page = sign_in(manager_user, "pw-max")
    page.goto("/dashboard/system")
    page.evaluate("window.notReloaded = true")
    CallAttemptFactory(outcome=CallOutcome.FAILED)

    with page.expect_response("**/dashboard/system/panel"):
        page.get_by_role("link", name="Refresh now").click()

    page.wait_for_function(
        "document.querySelector('[data-block=overview]').innerText.includes('7')"
    )
    assert stat(page, "Failed calls") == "3"
    assert page.evaluate("window.notReloaded") is True
    page.wait_for_selector(CHART, state="visible")
    assert painted_pixels(page, CHART) > 1000  # the new canvas was drawn too
    assert page.js_errors == []


def test_a_refresh_shows_it_is_loading_and_a_failure_keeps_the_figures(
    sign_in, manager_user, figures
):
    page = sign_in(manager_user, "pw-max")
    page.goto("/dashboard/system")
    loading = page.locator("#system-stats-loading")
    assert not loading.is_visible()
    # Hold the refresh at the HTTP boundary (in the browser), then answer 503.
    held = []
    page.route("**/dashboard/system/panel", lambda route: held.append(route))

    page.get_by_role("link", name="Refresh now").click()

    loading.wait_for(state="visible")
    held[0].fulfill(status=503, body="Unavailable")
    error = page.locator("#system-stats [data-refresh-error]")
    error.wait_for(state="visible")
    assert "the server answered 503" in error.inner_text()
    loading.wait_for(state="hidden")
    assert stat(page, "Call attempts") == "6"
    assert "Unavailable" not in page.content()


def test_viewer_sees_the_dashboard_too(sign_in, viewer_user, figures):
    page = sign_in(viewer_user, "pw-vic")
    page.goto("/dashboard/system")

    assert stat(page, "Call attempts") == "6"
    page.wait_for_selector(CHART, state="visible")
    assert painted_pixels(page, CHART) > 1000
    assert page.js_errors == []

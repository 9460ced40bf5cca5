"""The Content-Security-Policy in a real browser (Chromium through Playwright): the main pages
load, draw and refresh under it without a single violation in the console — the app's pages,
Django's admin and the Swagger UI.

(Every browser test fails on a violation too, through the `sign_in` fixture; this one walks
the pages that matter and waits for what they load after the first paint.)"""

import pytest
from django.utils import timezone

from calls.models import CallOutcome
from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory, ExclusionEntryFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

CHART_DRAWN = "selector => window.Chart && Chart.getChart(document.querySelector(selector))"

CHART_DRAWN = "selector => window.Chart && Chart.getChart(document.querySelector(selector))"


def test_the_main_pages_run_under_the_policy(sign_in, admin_user, live_server):
    campaign = CampaignFactory(name="Policy survey", status="running")
    for outcome in (CallOutcome.COMPLETED, CallOutcome.NO_ANSWER, CallOutcome.FAILED):
        CallAttemptFactory(
            contact=ContactFactory(campaign=campaign), outcome=outcome, ended_at=timezone.now()
        )
    ExclusionEntryFactory()
    page = sign_in(admin_user, "pw-ada")

    policy = page.request.get(live_server.url + "/").headers["content-security-policy"]
    assert "default-src 'self'" in policy
    assert "unsafe-inline" not in policy
    assert "unsafe-eval" not in policy

    page.goto("/")  # the campaign list
    page.get_by_role("link", name="Policy survey").wait_for()

    page.goto(f"/campaigns/{campaign.pk}")  # panels and charts drawn by htmx and Chart.js
    page.locator("canvas[data-chart]").first.wait_for()
    page.wait_for_function(CHART_DRAWN, arg="canvas[data-chart]")
    page.locator(f"#contacts-{campaign.pk}").wait_for()
    page.locator(f"#export-panel-{campaign.pk}").wait_for()

    page.goto("/dashboard/system")
    page.wait_for_function(CHART_DRAWN, arg="#system-stats canvas[data-chart]")
    page.get_by_role("link", name="Refresh now").click()  # an htmx swap
    page.wait_for_load_state("networkidle")

    page.goto("/exclusions")
    page.locator("table.exclusions").wait_for()
    # The removal asks first (data-confirm, in a script file, not an inline handler).
    questions = []
    page.once("dialog", lambda dialog: (questions.append(dialog.message), dialog.dismiss()))
    page.get_by_role("button", name="Remove").click()
    assert questions == ["Take this number off the exclusion list? It can then be called again."]

    page.goto("/admin/")
    page.get_by_role("link", name="Campaigns").first.wait_for()
    page.goto("/admin/voicesurvey/user/add/")  # a form with the admin's own scripts
    page.locator("input[name=username]").wait_for()
    page.goto(f"/admin/campaigns/campaign/{campaign.pk}/change/")
    page.locator("input[name=name]").wait_for()

    page.goto("/api/docs/")
    page.locator(".swagger-ui .opblock").first.wait_for()  # drawn from the schema
    page.wait_for_load_state("networkidle")

    assert page.js_errors == []
    assert page.csp_violations == []

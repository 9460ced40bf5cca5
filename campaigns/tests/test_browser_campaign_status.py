"""In a real browser (Debian's Chromium), at 390 and 1400 px: the campaign page's head follows
the campaign (Running → Completed without a reload, issue 15 item 1), shows progress, pace,
estimated finish and cost, and a draft's checklist to activation."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from calls.models import CallOutcome
from calls.outcomes import call_attempt_close
from calls.selectors import provider_config_get
from calls.tests.factories import CallAttemptFactory, SchedulerRunFactory
from campaigns.services import campaign_complete_if_finished
from campaigns.tests.factories import CampaignFactory
from contacts.models import ContactState
from contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

WIDTHS = [390, 1400]
ALL_DAYS = [1, 2, 3, 4, 5, 6, 7]


@pytest.fixture
def fast_status(monkeypatch):
    """The status panel checks every second instead of every 15 (the live server renders it
    in this process)."""
    monkeypatch.setattr("dashboard.views.STATUS_REFRESH_SECONDS", 1)


def panel_fits(page) -> bool:
    return page.evaluate(
        "() => { const s = document.querySelector('[data-campaign-status]');"
        " return s.scrollWidth <= s.clientWidth + 1"
        " && s.getBoundingClientRect().right <= window.innerWidth + 0.5; }"
    )


def stat(page, figure: str) -> str:
    return " ".join(page.locator(f"[data-figure={figure}]").text_content().split())


@pytest.mark.parametrize("width", WIDTHS)
def test_the_head_turns_completed_without_a_reload(sign_in, manager_user, fast_status, width):
    config = provider_config_get()
    config.cost_per_minute = Decimal("0.50")
    config.save()
    campaign = CampaignFactory(
        name="Winter check-in",
        status="running",
        timezone="Europe/London",
        call_window_start=dt.time(0, 0),
        call_window_end=dt.time(23, 59, 59),
        call_days=ALL_DAYS,
    )
    now = timezone.now()
    done = ContactFactory(campaign=campaign, state=ContactState.COMPLETED, attempts_count=1)
    CallAttemptFactory(
        contact=done,
        outcome=CallOutcome.COMPLETED,
        started_at=now - dt.timedelta(minutes=10),
        answered_at=now - dt.timedelta(minutes=9),
        ended_at=now - dt.timedelta(minutes=7, seconds=30),  # 90 s: 2 billed minutes
    )
    on_call = ContactFactory(campaign=campaign, state=ContactState.IN_PROGRESS, attempts_count=1)
    attempt = CallAttemptFactory(contact=on_call, started_at=now - dt.timedelta(minutes=1))
    SchedulerRunFactory()

    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/campaigns/{campaign.pk}")
    page.evaluate("() => { window.notReloaded = true; }")

    assert page.locator("[data-status]").inner_text() == "Running"
    assert page.get_by_role("button", name="Pause").is_visible()
    assert page.locator("[data-takes-contacts-slot]").is_visible()
    assert "No contact left to dial; 1 call in progress" in page.inner_text("[data-dialling]")
    assert stat(page, "progress").startswith("Progress 1 of 2 contacts done (50.0 %)")
    assert "calls in the last hour" in stat(page, "pace").lower()
    assert stat(page, "cost").startswith("Cost 1.00 EUR")
    assert "1.00 EUR per completed survey" in stat(page, "cost")
    assert "Estimated finish" in stat(page, "finish")
    assert "Times in Europe/London" in page.inner_text("[data-times]")
    assert panel_fits(page)

    # The last call ends; the scheduler completes the campaign.
    call_attempt_close(attempt=attempt, outcome=CallOutcome.REFUSED, ended_at=timezone.now())
    assert campaign_complete_if_finished(campaign=campaign)

    page.wait_for_function(
        "() => document.querySelector('[data-status]').innerText.trim() === 'Completed'",
        timeout=10_000,
    )
    assert page.evaluate("() => window.notReloaded === true")  # no reload
    assert page.get_by_role("button", name="Pause").count() == 0
    assert page.get_by_role("button", name="Cancel").count() == 0
    assert "Completed" in page.inner_text("[data-dialling]")
    # The rest of the page follows: no more uploads; the figures are final, with their times.
    page.wait_for_function(
        "() => document.querySelector('[data-takes-contacts-slot]').hidden === true"
    )
    page.wait_for_function(
        "() => document.querySelector('[data-refresh-panel].dash-panel')"
        ".innerText.includes('final figures')"
    )
    assert "Completed 20" in page.inner_text("[data-times]")  # and when
    assert page.js_errors == []


@pytest.mark.parametrize("width", WIDTHS)
def test_a_draft_shows_its_checklist_to_activation(sign_in, manager_user, width):
    campaign = CampaignFactory(name="Not yet", timezone="Europe/Rome")
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"/campaigns/{campaign.pk}")

    checklist = page.locator("[data-block=checklist]")
    assert checklist.is_visible()
    items = checklist.locator("li[data-done]")
    assert items.count() == 4
    todo = checklist.locator("li[data-done=no]")
    assert todo.count() == 1
    assert "Contacts: at least one that can be called" in todo.inner_text()
    assert "No contact can be dialled" in todo.inner_text()
    assert "A draft: nobody is called until it is activated." in page.inner_text("[data-dialling]")
    # No empty charts or rates for a draft; its questionnaire and the upload instead.
    assert page.locator("[data-block=rates]").count() == 0
    assert page.locator("#script-h").is_visible()
    assert page.locator("form.upload-form").is_visible()
    assert page.get_by_role("button", name="Activate").is_visible()
    assert panel_fits(page)
    assert page.js_errors == []

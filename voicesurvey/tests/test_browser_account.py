"""In a real browser (Debian's Chromium), at 390 and 1400 px: a viewer opens their account
from their name in the top bar, finds a zone by searching the list, saves it, and the campaign
page then names that zone for every time on it (issue 15, item 5)."""

from __future__ import annotations

import datetime as dt

import pytest

from campaigns.tests.factories import CampaignFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("width", [390, 1400])
def test_a_viewer_chooses_their_zone_and_the_campaign_page_follows(sign_in, viewer_user, width):
    campaign = CampaignFactory(status="running", timezone="Europe/London", name="Winter poll")
    type(campaign).objects.filter(pk=campaign.pk).update(
        created_at=dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC)
    )
    page = sign_in(viewer_user, "pw-vic")
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/campaigns/{campaign.pk}")
    assert "2026-12-01 23:30 (Europe/London)" in page.inner_text("main")

    if width < 900:  # the top bar's links fold behind the menu button on a phone
        page.get_by_role("button", name="Menu").click()
    page.locator("header.topbar a.user").click()
    page.wait_for_url("**/account")
    page.fill("[data-zone-search]", "tokyo")
    assert page.locator("select[data-zone-select] option").all_inner_texts() == [
        "Each page's own zone (default)",  # the one chosen: kept
        "Asia/Tokyo",
    ]
    page.select_option("select[data-zone-select]", "Asia/Tokyo")
    page.get_by_role("button", name="Save").click()
    page.wait_for_load_state()
    assert "Saved: times are shown in Asia/Tokyo." in page.inner_text("main")
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    page.goto(f"/campaigns/{campaign.pk}")
    main = page.inner_text("main")
    assert "2026-12-02 08:30 (Asia/Tokyo)" in main
    assert "Times in Asia/Tokyo." in main
    viewer_user.refresh_from_db()
    assert viewer_user.timezone == "Asia/Tokyo"
    assert page.js_errors == []

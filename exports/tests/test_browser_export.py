"""In a real browser (Debian's Chromium through Playwright): a manager signs in, clicks the
export button on the campaign page, and downloads a correct CSV; the panel is swapped in place
by htmx. Without JavaScript the same form loads the panel's own page (test_view_start.py)."""

from __future__ import annotations

import pytest

from exports.tests.conftest import expected_rows, read_csv

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_a_manager_exports_and_downloads_a_correct_csv(
    manager_user, every_state, tmp_path, sign_in
):
    page = sign_in(manager_user, "pw-max")
    page.goto(f"/campaigns/{every_state.campaign.pk}")
    page.evaluate("window.notReloaded = true")
    assert page.inner_text(".export-panel").count("No exports yet.") == 1
    page.click("text=Export results")

    # Tasks run inline in the test settings: the job is done when the page comes back.
    link = page.locator(".export-ready a.button")
    link.wait_for(timeout=10_000)
    assert "Ready: 5 contacts" in page.inner_text(".export-ready")
    with page.expect_download() as download_info:
        link.click()
    download = download_info.value
    assert download.suggested_filename.startswith("customer-survey-q4-")
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    header, *rows = read_csv(target.read_bytes())
    assert {row[1]: row for row in rows} == expected_rows(every_state)
    assert page.evaluate("window.notReloaded") is True  # the panel was swapped, not the page
    assert page.js_errors == []

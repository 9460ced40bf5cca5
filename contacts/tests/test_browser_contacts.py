"""In a real browser (Debian's Chromium through Playwright), on the campaign's contacts page
(which holds the same upload form and table as the campaign page): an htmx upload shows its
row report and refreshes the table in place; a bad file shows why; the filter swaps the table."""

from __future__ import annotations

import pytest

from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState
from contacts.tests.factories import ContactFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]


def test_upload_report_table_and_filter_without_reloading(manager_user, sign_in, tmp_path):
    campaign = CampaignFactory(name="Autumn survey")
    good = tmp_path / "contacts.csv"
    good.write_text("phone;external_id\n+39 347 123 4567;CRM-1\n+447911123456;CRM-2\nbad;CRM-3\n")
    junk = tmp_path / "sheet.xlsx"
    junk.write_bytes(b"PK\x03\x04" + b"\x00" * 64)

    page = sign_in(manager_user, "pw-max")
    page.goto(f"/campaigns/{campaign.pk}/contacts-table")
    page.evaluate("window.notReloaded = true")
    # htmx gives up on a request after 60 s by default; a million-row upload takes about that.
    # The form turns the limit off: with a default of 1 ms, the upload must still come back.
    page.evaluate("htmx.config.defaultTimeout = 1")
    assert "No contacts yet." in page.inner_text(f"#contacts-{campaign.pk}")

    page.set_input_files("input[name=file]", str(good))
    page.click("form.upload-form button")
    report = page.locator(f"#import-report-{campaign.pk} .import-report")
    report.wait_for()
    assert "Imported 2 contacts from 3 rows; 1 row rejected." in " ".join(
        report.inner_text().split()
    )
    assert "Not a phone number" in report.inner_text()
    assert "Invalid phone number: 1" in report.inner_text()
    page.evaluate("htmx.config.defaultTimeout = 60000")
    table = page.locator(f"#contacts-{campaign.pk}")
    assert "2 contacts" in table.inner_text()
    assert "+393471234567" in table.inner_text()

    page.select_option("select[name=state]", "pending")
    page.fill("input[name=q]", "CRM-2")
    page.click("form.contacts-filter button")
    page.wait_for_function(
        f"() => !document.querySelector('#contacts-{campaign.pk}').innerText.includes('CRM-1')"
    )
    assert "CRM-2" in table.inner_text()
    assert "1 contact found" in table.inner_text()
    assert report.is_visible()  # only the table was swapped

    page.set_input_files("input[name=file]", str(junk))
    page.click("form.upload-form button")
    error = page.locator(f"#import-report-{campaign.pk} .import-error")
    error.wait_for()
    assert "Nothing was imported." in error.inner_text()
    assert "Excel workbook" in error.inner_text()
    assert page.evaluate("window.notReloaded") is True
    assert page.js_errors == []


def test_the_table_follows_the_contacts_by_itself(manager_user, sign_in):
    """On a running campaign's page, the rows refresh every minute with the statistics, and
    leave a filter being typed alone."""
    campaign = CampaignFactory(name="Autumn survey", status="running")
    contact = ContactFactory(campaign=campaign, external_contact_id="CRM-9")
    page = sign_in(manager_user, "pw-max")
    page.clock.install()
    page.goto(f"/campaigns/{campaign.pk}")
    page.evaluate("window.notReloaded = true")
    rows = page.locator(f"#contacts-rows-{campaign.pk}")
    assert "Pending" in rows.inner_text()
    assert "Completed" not in rows.inner_text()
    page.fill(f"#contacts-{campaign.pk} input[name=q]", "CRM-")  # typed, not yet submitted

    Contact.objects.filter(pk=contact.pk).update(
        state=ContactState.COMPLETED, attempts_count=1, last_outcome="completed"
    )
    ContactFactory(campaign=campaign, external_contact_id="CRM-10")
    page.clock.run_for(61_000)
    page.wait_for_function(
        "id => document.getElementById(id).innerText.includes('CRM-10')",
        arg=f"contacts-rows-{campaign.pk}",
    )
    assert "Completed" in rows.inner_text()
    assert page.inner_text(f"#contacts-count-{campaign.pk}").strip() == "2 contacts"
    assert page.input_value(f"#contacts-{campaign.pk} input[name=q]") == "CRM-"
    assert page.evaluate("window.notReloaded") is True
    assert page.js_errors == []

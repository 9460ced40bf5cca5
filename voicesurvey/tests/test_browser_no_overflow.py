"""Every page fits a phone (issue 15, item 11): in Chromium at 390 px and at 1400 px, no page
scrolls sideways — wide tables scroll inside their own box, long ids wrap, charts take the width
they are given — and the top bar's links (Campaigns, System, Exclusions, Admin, the user's name,
Sign out) stay reachable: inline on a desktop, behind the menu button on a phone.

Each role walks the pages it may see, on the demo data set (a draft, running, paused, completed,
scheduled and cancelled campaign, calls, exclusions) plus an export and an upload report; the
error pages, the Swagger UI and Django's admin too (their own layouts, which fit as they are).
On a desktop no table scrolls either; on a phone the campaign list is a card a campaign.
`SCREENSHOTS=/tmp/dir` also saves each page at each width there, to look at.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from calls.models import CallAttempt
from campaigns.models import Campaign, CampaignStatus
from demo.builders import demo_seed
from exports.services import export_start

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

PHONE, DESKTOP = 390, 1400
# Where the top bar collapses behind its menu button (static/css/app.css).
NAV_BREAKPOINT = 900

# The page's width against the screen's, and what sticks out of the page's column (`main`,
# up to 1200 px wide) without being inside a box that scrolls it: a table wider than its card
# that does not scroll sideways by itself, an id that does not wrap. A few px of slack for
# rounding and focus rings.
OVERFLOW = """() => {
    const main = document.querySelector("main") || document.body;
    const style = getComputedStyle(main);
    const limit = Math.min(window.innerWidth,
        main.getBoundingClientRect().right - parseFloat(style.paddingRight)) + 2;
    const culprits = [];
    for (const el of main.querySelectorAll("*")) {
        const box = el.getBoundingClientRect();
        if (!box.width || box.right <= limit || culprits.length >= 5) continue;
        let scrolled = false;  // a table scrolling inside its box is what we want
        for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
            if (["auto", "scroll"].includes(getComputedStyle(p).overflowX)) {
                scrolled = true;
                break;
            }
        }
        const name = el.tagName.toLowerCase() + [...el.classList].map(c => "." + c).join("");
        if (!scrolled) culprits.push(`${name} right=${Math.round(box.right)} > ${limit}`);
    }
    return {page: document.documentElement.scrollWidth, width: window.innerWidth, culprits};
}"""

CHART_DRAWN = "selector => window.Chart && Chart.getChart(document.querySelector(selector))"

# The tables that scroll sideways in their box (visible ones: a folded <details> is not seen).
SCROLLING_TABLES = """() => [...document.querySelectorAll(".table-wrap")]
    .filter(wrap => wrap.offsetParent && wrap.scrollWidth > wrap.clientWidth + 1)
    .map(wrap => wrap.parentElement.className + " > " + wrap.firstElementChild.className)"""

# A Chart.js canvas drawn no wider than its box, on a page no wider than the screen.
CHARTS_FIT = """() => [...document.querySelectorAll("canvas[data-chart]")].every(canvas => {
    const box = canvas.getBoundingClientRect();
    const parent = canvas.parentElement.getBoundingClientRect();
    return box.width > 0 && box.right <= parent.right + 1 && box.right <= window.innerWidth;
})"""


@pytest.fixture
def demo(manager_user, tmp_path):
    demo_seed(contacts=400, campaigns=7, seed=2)
    campaigns = {c.status: c for c in Campaign.objects.all()}
    running = campaigns[CampaignStatus.RUNNING]
    export_start(campaign=running, actor=manager_user)  # the export list has a row
    csv = tmp_path / "contacts.csv"
    csv.write_text(
        "phone;external_id;email\n"
        "+39 347 123 4567;CRM-1;ada@example.com\n"
        "not a number;CRM-2;\n"
        # A long value without a break: the report shows it, wrapped rather than widening.
        f"+44 7911 123456;CRM-{'x' * 120};not-an-email\n"
    )
    # A completed call: its page has answers, the dialogue and provider events.
    call = CallAttempt.objects.filter(contact__campaign=running, outcome="completed").first()
    return {
        "draft": campaigns[CampaignStatus.DRAFT],
        "running": running,
        "completed": campaigns[CampaignStatus.COMPLETED],
        "call": call,
        "csv": csv,
    }


def pages_for(role: str, demo) -> list[tuple[str, str]]:
    """(name, path) of every page `role` may open."""
    draft, running, completed = demo["draft"], demo["running"], demo["completed"]
    pages = [
        ("campaign list", "/"),
        ("draft campaign", f"/campaigns/{draft.pk}"),
        ("running campaign", f"/campaigns/{running.pk}"),
        ("completed campaign", f"/campaigns/{completed.pk}"),
        ("contacts page", f"/campaigns/{running.pk}/contacts-table"),
        ("system dashboard", "/dashboard/system"),
        ("account page", "/account"),
        ("results page", f"/campaigns/{completed.pk}/results"),
        ("rehearsal page", f"/campaigns/{running.pk}/rehearse"),
        ("export panel page", f"/campaigns/{running.pk}/exports/panel"),
        ("not found page", "/campaigns/00000000-0000-0000-0000-000000000000"),
        ("API docs", "/api/docs/"),  # the Swagger UI's own layout, in our template
    ]
    if role in ("admin", "manager"):
        pages += [
            ("call detail", f"/calls/{demo['call'].pk}"),  # it shows the number: not viewers
            ("new campaign form", "/campaigns/new"),
            ("edit form", f"/campaigns/{draft.pk}/edit"),
            ("exclusions list", "/exclusions"),
        ]
    else:
        pages += [("forbidden page", "/campaigns/new")]
    if role == "admin":  # Django's admin, its own (responsive) layout
        pages += [("admin site", "/admin/"), ("admin list", "/admin/campaigns/campaign/")]
    return pages


def misfits(page, label: str) -> list[str]:
    """What does not fit on the page now: [] when all is well."""
    page.wait_for_load_state("networkidle")  # htmx panels and charts are in
    fit = page.evaluate(OVERFLOW)
    problems = []
    if fit["page"] > fit["width"]:
        problems.append(f"{label} scrolls sideways ({fit['page']} > {fit['width']} px)")
    problems += [f"{label}: {culprit}" for culprit in fit["culprits"]]
    if page.viewport_size["width"] >= DESKTOP:  # a desktop shows whole tables, unscrolled
        problems += [f"{label}: {table} scrolls" for table in page.evaluate(SCROLLING_TABLES)]
    if not page.evaluate(CHARTS_FIT):
        problems.append(f"{label}: a chart is wider than its box")
    return problems


def assert_nav_reachable(page, label: str, role: str) -> None:
    """The top bar's links are on screen: at once on a desktop, after the menu button on a
    phone, whose menu then closes again with Escape."""
    links = ["Campaigns", "System"]
    if role in ("admin", "manager"):
        links.append("Exclusions")
    if role == "admin":
        links.append("Admin")
    bar = page.locator("header.topbar")
    toggle = bar.get_by_role("button", name="Menu")
    width = page.viewport_size["width"]
    if width < NAV_BREAKPOINT:
        assert toggle.is_visible(), label
        assert toggle.get_attribute("aria-expanded") == "false", label
        assert not bar.get_by_role("link", name="System").is_visible(), label
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true", label
        screenshot(page, f"{label} open")
    else:
        assert not toggle.is_visible(), label
    for target in [
        *(bar.get_by_role("link", name=name, exact=True) for name in links),
        bar.locator(".user"),  # the user's name and role
        bar.get_by_role("button", name="Sign out"),
    ]:
        assert_on_screen(target, width, label)
    assert page.evaluate(OVERFLOW)["page"] <= width, f"{label}: the open menu overflows"
    if width < NAV_BREAKPOINT:
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false", label
        assert not bar.get_by_role("link", name="System").is_visible(), label
        assert page.evaluate("() => document.activeElement.dataset.navToggle") == "", label


def assert_on_screen(locator, width: int, label: str) -> None:
    assert locator.is_visible(), f"{label}: {locator} hidden"
    box = locator.bounding_box()
    assert box["x"] >= 0, f"{label}: {locator} {box}"
    assert box["x"] + box["width"] <= width + 1, f"{label}: {locator} {box}"


def assert_stacked_rows(page) -> None:
    """On a phone the campaign list is a card a campaign, each figure under its column's name,
    unscrolled (static/js/tables.js)."""
    wrap = page.locator(".table-wrap:has(table.table-stacked)")
    assert wrap.evaluate("wrap => wrap.scrollWidth <= wrap.clientWidth")
    first = wrap.locator("tbody tr").first
    assert first.locator("td[data-label=Status] .badge").is_visible()
    assert first.locator("td[data-label=Progress]").is_visible()
    # The header row: read by screen readers, not shown.
    assert wrap.locator("thead").bounding_box()["height"] <= 1


def screenshot(page, label: str) -> None:
    """With SCREENSHOTS=/tmp/dir, the whole page in slices of a screen's height or so."""
    if not (folder := os.environ.get("SCREENSHOTS")):
        return
    name = label.replace(" ", "-")
    width = page.viewport_size["width"]
    height = page.evaluate("() => document.documentElement.scrollHeight")
    for number, top in enumerate(range(0, height, 1600)):
        page.screenshot(
            path=str(Path(folder) / f"{name}-{number}.png"),
            full_page=True,
            clip={"x": 0, "y": top, "width": width, "height": min(1600, height - top)},
        )


@pytest.mark.parametrize("role", ["admin", "manager", "viewer"])
def test_every_page_fits_a_phone_and_a_desktop(
    role, sign_in, admin_user, manager_user, viewer_user, demo
):
    user, password = {
        "admin": (admin_user, "pw-ada"),
        "manager": (manager_user, "pw-max"),
        "viewer": (viewer_user, "pw-vic"),
    }[role]
    page = sign_in(user, password)
    problems = []
    for width in (PHONE, DESKTOP):
        page.set_viewport_size({"width": width, "height": 900})
        for name, path in pages_for(role, demo):
            label = f"{name} as {role} @{width}"
            response = page.goto(path)
            expected = {"not found page": 404, "forbidden page": 403}.get(name, 200)
            assert response.status == expected, label
            problems += misfits(page, label)
            if name == "campaign list" and width == PHONE:
                assert_stacked_rows(page)
            screenshot(page, f"{role}-{width}-{name}")
        page.goto("/dashboard/system")  # a page of ours: the Swagger UI has no top bar
        assert_nav_reachable(page, f"top bar as {role} @{width}", role)

        if role != "viewer":  # the upload's report, as the page a browser without htmx gets
            page.goto(f"/campaigns/{demo['draft'].pk}")
            page.set_input_files("form.upload-form input[name=file]", str(demo["csv"]))
            # form.submit() skips the submit event, and with it htmx: a plain form post.
            with page.expect_navigation():
                page.eval_on_selector("form.upload-form", "form => form.submit()")
            assert "Not a phone number" in page.inner_text("main")
            problems += misfits(page, f"upload report as {role} @{width}")
            screenshot(page, f"{role}-{width}-upload report")
    assert problems == []

    # A chart drawn for a desktop follows the window down to a phone's width, unreloaded.
    page.goto(f"/campaigns/{demo['running'].pk}")
    page.wait_for_function(CHART_DRAWN, arg="canvas[data-chart]")
    wide = page.locator("canvas[data-chart]").first.bounding_box()["width"]
    page.set_viewport_size({"width": PHONE, "height": 900})
    page.wait_for_function(
        "wide => document.querySelector('canvas[data-chart]').getBoundingClientRect().width < wide",
        arg=wide,
    )
    assert page.evaluate(CHARTS_FIT)
    assert page.js_errors == []


@pytest.mark.parametrize("width", [PHONE, DESKTOP])
def test_the_sign_in_page_fits(browser, live_server, width):
    viewport = {"width": width, "height": 800}
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        assert misfits(page, f"sign-in page @{width}") == []
        # Nothing to open before signing in: no menu button, no links but the brand.
        assert page.locator("header.topbar button").count() == 0
        screenshot(page, f"anonymous-{width}-sign in")
    finally:
        context.close()


def test_without_javascript_the_top_bar_wraps_on_a_phone(browser, live_server, manager_user, demo):
    """No menu button then: the links wrap under the brand, every one on screen, and the
    campaign list scrolls in its box rather than stacking (static/js/tables.js did not run)."""
    viewport = {"width": PHONE, "height": 800}
    context = browser.new_context(
        base_url=live_server.url, viewport=viewport, java_script_enabled=False
    )
    page = context.new_page()
    try:
        page.goto("/accounts/login/")
        page.fill("input[name=username]", manager_user.username)
        page.fill("input[name=password]", "pw-max")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        bar = page.locator("header.topbar")
        assert not bar.get_by_role("button", name="Menu").is_visible()
        for name in ["Campaigns", "System", "Exclusions"]:
            assert_on_screen(bar.get_by_role("link", name=name, exact=True), PHONE, name)
        assert_on_screen(bar.get_by_role("button", name="Sign out"), PHONE, "Sign out")
        assert misfits(page, "campaign list without JavaScript") == []
        assert page.locator("table.table-stacked").count() == 0
        assert page.locator(".table-wrap").evaluate("wrap => wrap.scrollWidth > wrap.clientWidth")
    finally:
        context.close()

"""Fixtures shared by every app: the personas of the role matrix, and API clients for them."""

from __future__ import annotations

import io
import json
import logging
import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from voicesurvey import redis_clients
from voicesurvey.logging import JsonFormatter, RedactPhoneNumbersFilter, RequestIdFilter
from voicesurvey.models import Role
from voicesurvey.services import user_create


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    # A test that stopped a Redis leaves this process avoiding it for a few seconds: not the
    # next test's business.
    redis_clients.forget_outages()
    cache.clear()


@pytest.fixture
def admin_user(db):
    return user_create(
        username="ada",
        role=Role.ADMIN,
        email="ada@example.com",
        name="Ada Admin",
        password="pw-ada",
    )


@pytest.fixture
def manager_user(db):
    return user_create(
        username="max",
        role=Role.CAMPAIGN_MANAGER,
        email="max@example.com",
        name="Max Manager",
        password="pw-max",
    )


@pytest.fixture
def viewer_user(db):
    return user_create(
        username="vic",
        role=Role.VIEWER,
        email="vic@example.com",
        name="Vic Viewer",
        password="pw-vic",
    )


@pytest.fixture
def persona(request, admin_user, manager_user, viewer_user):
    """Indirect parametrisation: `@pytest.mark.parametrize("persona", [...], indirect=True)`
    with "admin", "manager", "viewer" or "anonymous"; gives the user or None."""
    return {"admin": admin_user, "manager": manager_user, "viewer": viewer_user, "anonymous": None}[
        request.param
    ]


def _api_client(user):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user=user)
    return client


@pytest.fixture
def api_client():
    return APIClient()


@pytest.fixture
def admin_api(admin_user):
    return _api_client(admin_user)


@pytest.fixture
def manager_api(manager_user):
    return _api_client(manager_user)


@pytest.fixture
def viewer_api(viewer_user):
    return _api_client(viewer_user)


@pytest.fixture
def persona_api(persona):
    return _api_client(persona)


@pytest.fixture
def persona_client(client, persona):
    """Django test client logged in as the persona (pages)."""
    if persona is not None:
        client.force_login(persona)
    return client


@pytest.fixture
def json_logs():
    """The test's log lines as production writes them (voicesurvey/logging.py's filters and
    JSON formatter, from INFO): call it for the lines so far, each parsed into a dict."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    handler.addFilter(RequestIdFilter())
    handler.addFilter(RedactPhoneNumbersFilter())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


# --- browser tests ------------------------------------------------------------------------------
# Playwright drives Debian's Chromium (never `playwright install`, which downloads a browser)
# against pytest-django's live server. Tests using these fixtures are marked `browser` and need
# `@pytest.mark.django_db(transaction=True)`: the live server reads the data from another thread.

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="session")
def browser():
    if not os.path.exists(CHROMIUM):
        message = f"Browser tests need Debian's Chromium at {CHROMIUM}: apt-get install -y chromium"
        if os.environ.get("VOICESURVEY_REQUIRE_BROWSER"):  # set by .ci/run: there they must run
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread, and Django then refuses
    # database calls from it as "async unsafe"; the test thread only ever runs sync code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
            )
            yield browser
            browser.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def sign_in(browser, live_server):
    """`sign_in(user, password)` → a Playwright page signed in through the login form.

    The pages run under the site's Content-Security-Policy, which refuses `eval`: give
    `page.wait_for_function` a function (`"() => …"`), not an expression, which Playwright
    would evaluate in the page. A test fails if the policy blocked anything on its pages."""
    contexts = []

    def open_page(user, password: str):
        context = browser.new_context(base_url=live_server.url, viewport=VIEWPORT)
        contexts.append(context)
        page = context.new_page()
        page.set_default_timeout(10_000)
        errors = []
        page.on("pageerror", lambda error: errors.append(str(error)))
        page.js_errors = errors
        # What the Content-Security-Policy blocked, as Chromium reports it in the console.
        page.csp_violations = violations = []
        page.on("console", lambda message: _note_csp_violation(message, violations))
        page.goto("/accounts/login/")
        page.fill("input[name=username]", user.username)
        page.fill("input[name=password]", password)
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        return page

    yield open_page
    blocked = [v for context in contexts for page in context.pages for v in page.csp_violations]
    for context in contexts:
        context.close()
    # Every browser test doubles as a check of the policy: a page that needs something it
    # blocks is a broken page.
    assert blocked == [], "the Content-Security-Policy blocked something"


def _note_csp_violation(message, violations: list[str]) -> None:
    if message.type == "error" and "Content Security Policy" in message.text:
        violations.append(f"{message.location.get('url')}: {message.text}")


VIEWPORT = {"width": 1280, "height": 900}

"""The Content-Security-Policy header (django-csp), and templates that need nothing it forbids.
The pages themselves run under it in Chromium: test_browser_csp.py."""

import re
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

TEMPLATES = sorted((Path(settings.BASE_DIR) / "templates").rglob("*.html"))


def directives(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return dict(part.strip().split(" ", 1) for part in header.split(";") if part.strip())


@pytest.mark.parametrize("path", ["/", "/exclusions", "/dashboard/system", "/admin/"])
def test_pages_are_served_with_the_strict_policy(client, admin_user, path):
    client.force_login(admin_user)
    response = client.get(path)
    assert response.status_code == 200
    assert directives(response) == {
        "default-src": "'self'",
        "script-src": "'self'",
        "style-src": "'self'",
        "img-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'none'",
    }


def test_the_login_page_and_the_api_have_it_too(client):
    assert "default-src 'self'" in client.get("/accounts/login/")["Content-Security-Policy"]
    assert "default-src 'self'" in client.get("/api/me")["Content-Security-Policy"]


def test_only_the_swagger_ui_may_show_data_images(client, admin_user):
    client.force_login(admin_user)
    page = client.get("/api/docs/")
    assert page.status_code == 200
    assert directives(page)["img-src"] == "'self' data:"
    assert directives(page)["script-src"] == "'self'"
    html = page.content.decode()
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []  # its script comes from ?script
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda p: p.name)
def test_no_template_has_inline_script_handler_or_style(template):
    html = template.read_text()
    # Scripts are files (json_script's data blocks come from a filter, not written here).
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert re.findall(r"[\s\"'%}]on[a-z]+\s*=", html) == []  # onclick=, onsubmit=, …
    assert "javascript:" not in html
    assert re.findall(r"<style|\sstyle\s*=", html) == []

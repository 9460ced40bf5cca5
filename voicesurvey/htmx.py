"""htmx on the server side: whether a request is htmx's, and the page-or-partial answer every
partial view gives (the partial alone for htmx; without JavaScript, a page around it)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def is_htmx(request: HttpRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def render_partial_or_page(
    request: HttpRequest, *, partial: str, page: str, context: dict[str, Any], status: int = 200
) -> HttpResponse:
    """`partial` alone for an htmx request; `page` (which includes it) otherwise, so that the
    same address works without JavaScript."""
    return render(request, partial if is_htmx(request) else page, context, status=status)

"""The call page in Chromium: a manager finds the call's trace id, to search the logs with, on
a phone and on a desktop, without the page scrolling sideways."""

import pytest

from calls.tests.factories import CallAttemptFactory, CallEventFactory

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

TRACE = "0f1e2d3c4b5a69788796a5b4c3d2e1f0"
FITS = "() => document.documentElement.scrollWidth <= window.innerWidth"


@pytest.mark.parametrize("width", [390, 1400])
def test_a_manager_finds_the_trace_id_of_a_call(sign_in, manager_user, width):
    attempt = CallAttemptFactory(trace_id=TRACE, outcome="completed")
    CallEventFactory(attempt=attempt, status="completed", payload={"trace_id": TRACE})
    page = sign_in(manager_user, "pw-max")
    page.set_viewport_size({"width": width, "height": 900})

    page.goto(f"/calls/{attempt.pk}")

    trace = page.locator("[data-trace-id]")
    assert trace.inner_text() == TRACE
    assert trace.is_visible()
    box = trace.bounding_box()
    assert box is not None
    assert 0 <= box["x"] <= box["x"] + box["width"] <= width
    assert page.evaluate(FITS)
    assert page.js_errors == []

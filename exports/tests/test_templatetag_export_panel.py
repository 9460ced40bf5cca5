"""`{% include "exports/_export_panel.html" %}` on a campaign page whose context has only the
campaign (and what every RequestContext has): the panel renders in place, with a working form."""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token
from django.template import engines

from exports.services import export_generate
from exports.tests.factories import ExportJobFactory

pytestmark = pytest.mark.django_db

PAGE = '<main>{% include "exports/_export_panel.html" %}</main>'


def _render(rf, user, campaign) -> str:
    request = rf.get(f"/campaigns/{campaign.pk}")
    request.user = user
    get_token(request)  # as CsrfViewMiddleware does for a page with a form
    return engines["django"].from_string(PAGE).render({"campaign": campaign}, request)


def test_the_included_panel_renders_for_a_manager(rf, manager_user, every_state):
    done = export_generate(job=ExportJobFactory(campaign=every_state.campaign))

    html = _render(rf, manager_user, every_state.campaign)

    assert f'id="export-panel-{every_state.campaign.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert f'name="next" value="/campaigns/{every_state.campaign.pk}"' in html
    assert f"/exports/{done.pk}/download?token=" in html


def test_the_included_panel_has_no_button_for_a_viewer(rf, viewer_user, every_state):
    html = _render(rf, viewer_user, every_state.campaign)
    assert f'id="export-panel-{every_state.campaign.pk}"' in html
    assert "Export results" not in html

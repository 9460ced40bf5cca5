"""The partials a campaign page includes, with only the campaign (and what every
RequestContext has) in its context: the upload form and the contacts table."""

from __future__ import annotations

import pytest
from django.middleware.csrf import get_token
from django.template import engines

from campaigns.models import CampaignStatus
from campaigns.tests.factories import CampaignFactory
from contacts.tests.factories import ContactFactory

pytestmark = pytest.mark.django_db

PAGE = (
    "<main>{% load contacts %}"
    '{% include "contacts/_upload_form.html" %}{% contacts_table campaign %}'
    "</main>"
)


def _render(rf, user, campaign, query="") -> str:
    request = rf.get(f"/campaigns/{campaign.pk}{query}")
    request.user = user
    get_token(request)  # as CsrfViewMiddleware does for a page with a form
    return engines["django"].from_string(PAGE).render({"campaign": campaign}, request)


def test_a_manager_gets_the_form_and_the_table(rf, manager_user, settings):
    settings.MAX_UPLOAD_MB = 20
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign, phone_number="+393471234567", external_contact_id="A")
    html = _render(rf, manager_user, campaign)
    assert f'action="/campaigns/{campaign.pk}/contacts/upload"' in html
    assert 'enctype="multipart/form-data"' in html
    assert 'hx-encoding="multipart/form-data"' in html
    assert f'hx-target="#import-report-{campaign.pk}"' in html
    assert f'id="import-report-{campaign.pk}"' in html
    assert 'name="csrfmiddlewaretoken"' in html
    assert 'class="loading-indicator"' in html
    assert "up to 20 MB" in html
    assert "read as IT numbers" in html
    assert f'id="contacts-{campaign.pk}"' in html
    assert "+393471234567" in html


def test_the_table_reads_the_page_s_query_string(rf, manager_user):
    campaign = CampaignFactory()
    ContactFactory(campaign=campaign, external_contact_id="A", state="completed")
    ContactFactory(campaign=campaign, external_contact_id="B")
    html = _render(rf, manager_user, campaign, "?state=completed")
    assert "<td>A</td>" in html
    assert "<td>B</td>" not in html


def test_a_viewer_gets_the_table_only(rf, viewer_user):
    campaign = CampaignFactory()
    html = _render(rf, viewer_user, campaign)
    assert "Upload contacts" not in html
    assert 'name="file"' not in html
    assert f'id="contacts-{campaign.pk}"' in html


def test_a_cancelled_campaign_has_no_form(rf, manager_user):
    html = _render(rf, manager_user, CampaignFactory(status=CampaignStatus.CANCELLED))
    assert "no more contacts can be added" in html
    assert 'name="file"' not in html

"""Exclusion entries record who or what added them (issue 15 item 9): the person, the imported
file, the callee during a call (with the campaign and the call), shown on the page, the API and
the admin; entries older than that say "unknown"."""

from __future__ import annotations

import importlib
import uuid

import pytest
from django.apps import apps as global_apps

from campaigns.tests.factories import CampaignFactory
from contacts.models import ExclusionEntry, ExclusionSource
from contacts.services.exclusions import exclusion_add, exclusion_import
from contacts.tests.factories import ExclusionEntryFactory, csv_upload
from voicesurvey.services import audit_log_record

pytestmark = pytest.mark.django_db

CALLEE_REASON = "Asked not to be called again, during a survey call."


def test_a_person_adding_a_number_is_recorded(manager_user):
    entry, created, _ = exclusion_add(phone_number="+393471112233", actor=manager_user)
    assert created
    entry.refresh_from_db()
    assert entry.added_by == manager_user
    assert entry.added_by_label == manager_user.username
    assert (entry.campaign_id, entry.call_attempt_id, entry.source_detail) == (None, None, "")


def test_adding_a_listed_number_again_keeps_who_added_it_first(manager_user, admin_user):
    exclusion_add(phone_number="+393471112233", actor=manager_user)
    entry, created, _ = exclusion_add(phone_number="+393471112233", actor=admin_user)
    assert not created
    assert entry.added_by == manager_user


def test_an_import_records_the_file_and_who_ran_it(manager_user):
    exclusion_import(
        file=csv_upload("phone_number\n+393471112233\n", name="dnc.csv"), actor=manager_user
    )
    entry = ExclusionEntry.objects.get()
    assert (entry.source, entry.added_by, entry.source_detail) == (
        ExclusionSource.IMPORT,
        manager_user,
        "dnc.csv",
    )


def test_an_import_by_a_command_names_the_file_and_no_person():
    exclusion_import(file=csv_upload("phone_number\n+393471112233\n", name="dnc.csv"), actor=None)
    entry = ExclusionEntry.objects.get()
    assert entry.added_by is None
    assert entry.added_by_label == "dnc.csv"


def test_the_callee_with_campaign_and_call():
    campaign = CampaignFactory()
    call_id = uuid.uuid4()
    entry, _, _ = exclusion_add(
        phone_number="+393471112233",
        reason=CALLEE_REASON,
        source=ExclusionSource.CALLEE,
        campaign=campaign,
        call_attempt_id=call_id,
    )
    entry.refresh_from_db()
    assert (entry.campaign, entry.call_attempt_id) == (campaign, call_id)
    assert entry.added_by_label == "the callee, during a call"


def test_the_page_shows_who_added_each_entry_with_links(client, manager_user):
    campaign = CampaignFactory(name="Spring poll")
    call_id = uuid.uuid4()
    ExclusionEntryFactory(source=ExclusionSource.CALLEE, campaign=campaign, call_attempt_id=call_id)
    ExclusionEntryFactory(added_by=manager_user)
    ExclusionEntryFactory(source=ExclusionSource.IMPORT, source_detail="dnc.csv")
    ExclusionEntryFactory()  # from before provenance was recorded
    client.force_login(manager_user)
    html = client.get("/exclusions").content.decode()
    assert "Added by" in html
    assert "the callee, during a call" in html
    assert f'href="/campaigns/{campaign.pk}"' in html
    assert "Spring poll" in html
    assert f'href="/calls/{call_id}"' in html
    assert f">{manager_user.username}<" in html
    assert "dnc.csv" in html
    assert ">unknown<" in html


def test_the_api_gives_the_provenance(manager_api, manager_user):
    campaign = CampaignFactory()
    call_id = uuid.uuid4()
    ExclusionEntryFactory(source=ExclusionSource.CALLEE, campaign=campaign, call_attempt_id=call_id)
    ExclusionEntryFactory(added_by=manager_user)
    rows = manager_api.get("/api/exclusions").json()["results"]
    by_source = {row["source"]: row for row in rows}
    callee = by_source["callee"]
    assert (callee["campaign_id"], callee["call_id"], callee["added_by_user_id"]) == (
        str(campaign.pk),
        str(call_id),
        None,
    )
    assert callee["added_by"] == "the callee, during a call"
    manual = by_source["manual"]
    assert (manual["added_by"], manual["added_by_user_id"]) == (
        manager_user.username,
        manager_user.pk,
    )


def test_the_admin_shows_it(client, admin_user, manager_user):
    entry = ExclusionEntryFactory(added_by=manager_user, source=ExclusionSource.API)
    client.force_login(admin_user)
    listing = client.get("/admin/contacts/exclusionentry/").content.decode()
    assert manager_user.username in listing
    page = client.get(f"/admin/contacts/exclusionentry/{entry.pk}/change/")
    assert page.status_code == 200
    assert manager_user.username in page.content.decode()


def test_the_data_migration_infers_what_it_can(manager_user):
    fill = importlib.import_module("contacts.migrations.0007_exclusion_provenance_fill").fill
    callee = ExclusionEntryFactory(reason=CALLEE_REASON)
    by_person = ExclusionEntryFactory(reason="asked by email")
    audit_log_record(actor=manager_user, action="exclusion.add", obj=by_person)
    unknown = ExclusionEntryFactory(reason="asked by email")
    fill(global_apps, None)
    for entry in (callee, by_person, unknown):
        entry.refresh_from_db()
    assert callee.source == ExclusionSource.CALLEE
    assert by_person.added_by == manager_user
    assert (unknown.source, unknown.added_by, unknown.added_by_label) == (
        ExclusionSource.MANUAL,
        None,
        "unknown",
    )

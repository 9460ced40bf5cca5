"""Contact attributes (issue 14): an upload's other columns kept on each contact
(contacts/attributes.py), on both ways of writing contacts; the report; the API's `attributes`
and `attr.<name>` filter; the contacts table's attribute filter; the call page; and
`contact_attribute_names`."""

from __future__ import annotations

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection
from django.urls import reverse

from calls.tests.factories import CallAttemptFactory
from campaigns.tests.factories import CampaignFactory
from contacts.attributes import attribute_name_is_valid, attribute_name_normalize
from contacts.models import Contact
from contacts.selectors import (
    contact_attribute_names,
    contact_attribute_names_cached,
    contact_list,
)
from contacts.services import imports as services
from contacts.services.imports import contact_import
from contacts.tests.factories import ContactFactory, csv_upload

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def campaign():
    return CampaignFactory(name="Autumn survey")


@pytest.fixture(params=["bulk_create", "copy"])
def write_path(request, monkeypatch):
    """Each import test runs on both ways contacts are written: COPY (PostgreSQL only) and
    bulk_create (SQLite, and here forced on PostgreSQL too)."""
    if request.param == "copy":
        if connection.vendor != "postgresql":
            pytest.skip("COPY is PostgreSQL's: run with DATABASE_URL=postgres://…")
    else:
        original = services._ContactWriter.__init__

        def bulk_create_only(writer):
            original(writer)
            writer._postgres = False

        monkeypatch.setattr(services._ContactWriter, "__init__", bulk_create_only)
    return request.param


def _import(campaign, text: str):
    return contact_import(campaign=campaign, file=csv_upload(text), actor=None)


def _attributes() -> dict[str, dict]:
    return dict(Contact.objects.values_list("phone_number", "attributes"))


# --- names ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("header", "name"),
    [
        ("Region", "region"),
        ("  Customer Tier ", "customer_tier"),
        ("Région d'achat", "region_d_achat"),
        ("Città", "citta"),
        ("--Plan--(2024)", "plan_2024"),
        ("a  -  b", "a_b"),
        ("日本", ""),
        ("x" * 50, "x" * 40),
        ("a" * 39 + " b", "a" * 39),  # no trailing "_" once cut
    ],
)
def test_names_are_normalised(header, name):
    assert attribute_name_normalize(header) == name


@pytest.mark.parametrize(
    ("name", "valid"),
    [
        ("region", True),
        ("customer_tier_2", True),
        ("Region", False),
        ("region__x", False),
        ("_region", False),
        ("region_", False),
        ("2024", False),
        ("reg-ion", False),
        ("a" * 41, False),
        ("", False),
    ],
)
def test_valid_names_are_the_normalised_ones_starting_with_a_letter(name, valid):
    assert attribute_name_is_valid(name) is valid


# --- the import -----------------------------------------------------------------------------


def test_other_columns_are_kept_on_each_contact(campaign, write_path):
    report = _import(
        campaign,
        "phone,Region,Customer Tier,Città\n"
        "+393471234567,North,Gold,Torino\n"
        "+393471234568, South ,,\n",
    )
    assert report.accepted == 2
    assert report.attribute_columns == ["region", "customer_tier", "citta"]
    assert report.ignored_columns == []
    assert _attributes() == {
        "+393471234567": {"region": "North", "customer_tier": "Gold", "citta": "Torino"},
        "+393471234568": {"region": "South"},  # stripped; empty values are not stored
    }


def test_a_file_without_other_columns_stores_no_attributes(campaign, write_path):
    report = _import(campaign, "phone,email\n+393471234567,ada@example.org\n")
    assert report.attribute_columns == []
    assert _attributes() == {"+393471234567": {}}


def test_long_values_are_cut_to_255_characters(campaign, write_path):
    _import(campaign, f"phone,note\n+393471234567,{'é' * 300}\n")
    assert _attributes()["+393471234567"] == {"note": "é" * 255}


def test_values_keep_quotes_backslashes_and_formulas_as_text(campaign, write_path):
    _import(campaign, 'phone,note,code\n+393471234567,"say ""hi"" \\ bye",=1+2\n')
    assert _attributes()["+393471234567"] == {"note": 'say "hi" \\ bye', "code": "=1+2"}


def test_the_first_of_two_columns_with_one_name_wins(campaign, write_path):
    report = _import(campaign, "phone,Region,region ,REGION!\n+393471234567,North,South,East\n")
    assert report.attribute_columns == ["region"]
    assert report.ignored_columns == ["region", "REGION!"]
    assert report.ignored_column_reasons == {
        "region": "Same attribute name (region) as the column 'Region'.",
        "REGION!": "Same attribute name (region) as the column 'Region'.",
    }
    assert _attributes()["+393471234567"] == {"region": "North"}


def test_thirty_attributes_at_most(campaign, write_path):
    header = ",".join(f"a{n}" for n in range(1, 33))
    values = ",".join(f"v{n}" for n in range(1, 33))
    report = _import(campaign, f"phone,{header}\n+393471234567,{values}\n")
    assert report.attribute_columns == [f"a{n}" for n in range(1, 31)]
    assert report.ignored_columns == ["a31", "a32"]
    assert report.ignored_column_reasons["a31"] == "Over the limit of 30 attributes."
    assert _attributes()["+393471234567"] == {f"a{n}": f"v{n}" for n in range(1, 31)}


def test_a_column_named_like_a_field_is_the_field_never_an_attribute(campaign, write_path):
    # "E/mail" is the email once its punctuation is gone; "Phone #" would be the phone number,
    # but "phone" has the column already.
    report = _import(campaign, "phone,E/mail,Phone #\n+393471234567,ada@example.org,123\n")
    contact = Contact.objects.get()
    assert contact.email == "ada@example.org"
    assert contact.attributes == {}
    assert report.attribute_columns == []
    assert report.ignored_columns == ["Phone #"]
    assert report.ignored_column_reasons == {
        "Phone #": "The phone number is read from the column 'phone'."
    }


def test_a_phone_column_is_found_through_its_normalised_name(campaign, write_path):
    report = _import(campaign, "Phone #,Région\n+393471234567,Nord\n")
    assert report.accepted == 1
    assert _attributes() == {"+393471234567": {"region": "Nord"}}


def test_names_without_letters_or_starting_with_a_digit_are_ignored(campaign, write_path):
    report = _import(campaign, "phone,###,2024 spend,spend 2024\n+393471234567,x,10,20\n")
    assert report.attribute_columns == ["spend_2024"]
    assert report.ignored_column_reasons == {
        "###": "No letters or digits to name an attribute with.",
        "2024 spend": "An attribute name must start with a letter.",
    }
    assert _attributes()["+393471234567"] == {"spend_2024": "20"}


def test_rejected_rows_keep_no_attributes_and_good_rows_after_them_do(campaign, write_path):
    report = _import(campaign, "phone,tier\nbad,gold\n+393471234567,silver\n")
    assert report.rejected == 1
    assert _attributes() == {"+393471234567": {"tier": "silver"}}


def test_the_exclusion_import_keeps_no_attributes(admin_user):
    from contacts.services.exclusions import exclusion_import

    report = exclusion_import(file=csv_upload("phone,Region\n+393471234567,North\n"), actor=None)
    assert report.ignored_columns == ["Region"]
    assert report.ignored_column_reasons == {"Region": "Not a column this import reads."}


# --- the report -------------------------------------------------------------------------------


def test_the_page_s_report_lists_kept_and_ignored_columns(client, manager_user, campaign):
    client.force_login(manager_user)
    response = client.post(
        reverse("contacts:upload", args=[campaign.pk]),
        {"file": csv_upload("phone,Region,Tier,region\n+393471234567,North,Gold,x\n")},
        **HTMX,
    )
    html = response.content.decode()
    assert "Kept as attributes: region, tier." in html
    assert "Columns ignored:" in html
    assert "region: Same attribute name (region) as the column &#x27;Region&#x27;." in html


def test_the_api_s_report_lists_them(manager_api, campaign):
    response = manager_api.post(
        f"/api/campaigns/{campaign.pk}/contacts/upload",
        {"file": csv_upload("phone,Region,###\n+393471234567,North,x\n")},
        format="multipart",
    )
    assert response.status_code == 201
    body = response.json()
    assert body["attribute_columns"] == ["region"]
    assert body["ignored_columns"] == ["###"]
    assert body["ignored_column_reasons"] == {
        "###": "No letters or digits to name an attribute with."
    }


def test_the_command_prints_them(campaign, tmp_path):
    path = tmp_path / "contacts.csv"
    path.write_text("phone,Region,###\n+393471234567,North,x\n")
    out = io.StringIO()
    call_command("import_contacts", str(campaign.pk), str(path), stdout=out, stderr=io.StringIO())
    assert "Kept as attributes: region." in out.getvalue()
    assert "  ###: No letters or digits to name an attribute with." in out.getvalue()


# --- reading them: the selector, the API, the table, the call page ---------------------------


@pytest.fixture
def contacts(campaign):
    return [
        ContactFactory(
            campaign=campaign,
            external_contact_id="N-GOLD",
            attributes={"region": "north", "tier": "gold"},
        ),
        ContactFactory(
            campaign=campaign,
            external_contact_id="N-SILVER",
            attributes={"region": "north", "tier": "silver", "contains": "x"},
        ),
        ContactFactory(
            campaign=campaign, external_contact_id="S-GOLD", attributes={"tier": "gold"}
        ),
        ContactFactory(campaign=campaign, external_contact_id="NONE"),
        ContactFactory(attributes={"other_campaign": "yes"}),
    ]


def test_attribute_names_are_the_campaign_s_sorted_in_one_query(
    campaign, contacts, django_assert_num_queries
):
    with django_assert_num_queries(1):  # the names, distinct, of the campaign's contacts
        assert contact_attribute_names(campaign) == ["contains", "region", "tier"]
    assert contact_attribute_names(CampaignFactory()) == []
    # Every campaign's (the results rollup's rebuild of them all).
    assert contact_attribute_names(None) == ["contains", "other_campaign", "region", "tier"]


def test_cached_attribute_names_are_renewed_by_an_import(
    campaign, contacts, django_capture_on_commit_callbacks
):
    assert contact_attribute_names_cached(campaign) == ["contains", "region", "tier"]
    ContactFactory(campaign=campaign, attributes={"zone": "z0"})  # not seen: cached
    assert contact_attribute_names_cached(campaign) == ["contains", "region", "tier"]
    with django_capture_on_commit_callbacks(execute=True):  # the import invalidates on commit
        _import(campaign, "phone,zone\n+393479999999,z1\n")
    assert contact_attribute_names_cached(campaign) == ["contains", "region", "tier", "zone"]


def test_the_selector_filters_on_every_attribute_given(campaign, contacts):
    def ids(**attributes):
        return [
            c.external_contact_id for c in contact_list(campaign=campaign, attributes=attributes)
        ]

    assert ids(tier="gold") == ["N-GOLD", "S-GOLD"]
    assert ids(tier="gold", region="north") == ["N-GOLD"]
    assert ids(contains="x") == ["N-SILVER"]  # a lookup's name is a key like any other
    assert ids(tier="Gold") == []  # exact
    assert ids(unknown="gold") == []


def _api_ids(client, campaign, query: str) -> list[str]:
    response = client.get(f"/api/campaigns/{campaign.pk}/contacts{query}")
    assert response.status_code == 200, response.content
    return [c["external_contact_id"] for c in response.json()["results"]]


def test_the_api_gives_each_contact_s_attributes(manager_api, campaign, contacts):
    response = manager_api.get(f"/api/campaigns/{campaign.pk}/contacts")
    attributes = {c["external_contact_id"]: c["attributes"] for c in response.json()["results"]}
    assert attributes["N-GOLD"] == {"region": "north", "tier": "gold"}
    assert attributes["NONE"] == {}


@pytest.mark.parametrize(
    ("persona", "expected"),
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_the_api_filter_s_role_matrix(persona_api, campaign, contacts, expected):
    response = persona_api.get(f"/api/campaigns/{campaign.pk}/contacts?attr.tier=gold")
    assert response.status_code == expected
    if expected == 200:
        assert [c["external_contact_id"] for c in response.json()["results"]] == [
            "N-GOLD",
            "S-GOLD",
        ]


def test_the_api_filters_on_several_attributes_with_the_others(manager_api, campaign, contacts):
    assert _api_ids(manager_api, campaign, "?attr.tier=gold&attr.region=north") == ["N-GOLD"]
    assert _api_ids(manager_api, campaign, "?attr.region=north&search=N-SILVER") == ["N-SILVER"]
    assert _api_ids(manager_api, campaign, "?attr.region=south") == []


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("?attr.Region=north", "attr.Region"),
        ("?attr.reg-ion=north", "attr.reg-ion"),
        ("?attr.=north", "attr."),
        ("?attr.2024=x", "attr.2024"),
        ("?attr.region=", "attr.region"),
        ("?attr.region=a&attr.region=b", "attr.region"),
        (f"?attr.region={'x' * 256}", "attr.region"),
    ],
)
def test_a_bad_attribute_filter_is_400_naming_the_parameter(
    manager_api, campaign, contacts, query, parameter
):
    response = manager_api.get(f"/api/campaigns/{campaign.pk}/contacts{query}")
    assert response.status_code == 400
    assert list(response.json()) == [parameter]


def test_the_filter_is_in_the_openapi_description(manager_api):
    schema = manager_api.get("/api/schema/", HTTP_ACCEPT="application/json").json()
    operation = schema["paths"]["/api/campaigns/{campaign_id}/contacts"]["get"]
    assert "attr.<name>=<value>" in operation["description"]
    contact = schema["components"]["schemas"]["ContactOutput"]["properties"]
    assert contact["attributes"]["type"] == "object"


def _table(client, campaign, query=""):
    return client.get(reverse("contacts:table", args=[campaign.pk]) + query, **HTMX)


@pytest.mark.parametrize(
    ("persona", "expected"),
    # Anonymous htmx requests get 401 (with HX-Redirect to the login page).
    [("admin", 200), ("manager", 200), ("viewer", 200), ("anonymous", 401)],
    indirect=["persona"],
)
def test_the_table_filter_s_role_matrix(persona_client, campaign, contacts, expected):
    response = _table(persona_client, campaign, "?attr=tier&attr_value=gold")
    assert response.status_code == expected
    if expected == 200:
        html = response.content.decode()
        assert "N-GOLD" in html
        assert "S-GOLD" in html
        assert "N-SILVER" not in html
        assert "2 contacts found" in html


def test_the_table_offers_the_campaign_s_attribute_names(client, viewer_user, campaign, contacts):
    client.force_login(viewer_user)
    html = _table(client, campaign, "?attr=tier&attr_value=gold").content.decode()
    assert '<select name="attr">' in html
    assert '<option value="tier" selected>tier</option>' in html
    assert '<option value="region">region</option>' in html
    assert "other_campaign" not in html
    assert 'name="attr_value" value="gold"' in html
    # The page links keep the filter.
    assert "attr=tier&amp;attr_value=gold" in html


def test_the_table_shows_each_contact_s_attributes_folded(client, manager_user, campaign, contacts):
    client.force_login(manager_user)
    html = _table(client, campaign, "?q=N-GOLD").content.decode()
    assert '<summary class="muted">2 attributes</summary>' in html
    assert "<dt>region</dt><dd>north</dd><dt>tier</dt><dd>gold</dd>" in html


def test_the_table_without_attributes_has_no_attribute_filter(client, manager_user, campaign):
    ContactFactory(campaign=campaign)
    client.force_login(manager_user)
    assert 'name="attr"' not in _table(client, campaign).content.decode()


def test_the_table_ignores_a_malformed_attribute_filter(client, manager_user, campaign, contacts):
    client.force_login(manager_user)
    html = _table(client, campaign, "?attr=Tier!&attr_value=gold").content.decode()
    assert "4 contacts" in html
    assert "found" not in html


def test_the_call_page_shows_the_contact_s_attributes(client, manager_user, campaign):
    contact = ContactFactory(campaign=campaign, attributes={"tier": "gold", "region": "north"})
    attempt = CallAttemptFactory(contact=contact, outcome="busy")
    client.force_login(manager_user)
    html = client.get(reverse("call_detail", args=[attempt.pk])).content.decode()
    assert (
        '<dl class="call-attributes" data-contact-attributes><dt>region</dt><dd>north</dd>'
        "<dt>tier</dt><dd>gold</dd></dl>" in html
    )


def test_attributes_are_a_flat_object_of_strings_in_the_database(campaign, write_path):
    """What others rely on: `contact__attributes__<name>=value` matches and groups as text."""
    _import(campaign, "phone,tier,score\n+393471234567,gold,7\n")
    assert Contact.objects.filter(attributes__tier="gold", attributes__score="7").count() == 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT attributes FROM contacts_contact")
        (stored,) = cursor.fetchone()
    assert (json.loads(stored) if isinstance(stored, str) else stored) == {
        "tier": "gold",
        "score": "7",
    }

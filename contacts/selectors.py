"""Reads of contacts and the exclusion list, for the API and the pages alike."""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings
from django.db import connection
from django.db.models import ExpressionWrapper, Q, QuerySet, TextField
from django.db.models.fields.json import KT

from campaigns.models import Campaign
from contacts.models import Contact, ExclusionEntry
from contacts.phones import InvalidPhoneNumber, phone_normalize
from voicesurvey.stats_cache import cache_get, cache_set, campaign_stats_generation


def _phone_or_none(text: str) -> str | None:
    try:
        return phone_normalize(text)
    except InvalidPhoneNumber:
        return None


def contact_list(
    *,
    campaign: Campaign,
    state: str = "",
    last_outcome: str = "",
    search: str = "",
    search_phone_numbers: bool = True,
    attributes: Mapping[str, str] | None = None,
) -> QuerySet[Contact]:
    """A campaign's contacts in upload order, filtered. `search` is a phone number, in any
    notation ("+39 333 …", "333 …" in the default region), or an external id, matched exactly:
    both are indexed lookups, where a substring search would read every contact. Without
    `search_phone_numbers` (viewers: contacts/search.py), only external ids are matched.
    `attributes` {name: value}: contacts with every one of them, exactly (names as stored,
    contacts/attributes.py; not indexed: the campaign's contacts are read in upload order and
    filtered, which a page of 50 stops early at, and the count reads them all)."""
    contacts = Contact.objects.filter(campaign=campaign)
    if state:
        contacts = contacts.filter(state=state)
    if last_outcome:
        contacts = contacts.filter(last_outcome=last_outcome)
    for number, (name, value) in enumerate(sorted((attributes or {}).items())):
        # KT reads every part of the path as a key, where `attributes__<name>` would take a
        # name such as "contains" for a lookup; wrapped as text, so that the comparison is
        # text's (KT's own exact lookup reads the value as JSON on SQLite, and fails).
        alias = f"_attribute_{number}"
        text = ExpressionWrapper(KT(f"attributes__{name}"), output_field=TextField())
        contacts = contacts.alias(**{alias: text}).filter(**{alias: value})
    term = search.strip()
    if term:
        matches = Q(external_contact_id=term)
        phone = _phone_or_none(term) if search_phone_numbers else None
        if phone:
            matches |= Q(phone_number=phone)
        contacts = contacts.filter(matches)
    return contacts.order_by("created_at", "id")


def exclusion_list(*, search: str = "") -> QuerySet[ExclusionEntry]:
    """The exclusion list, newest first; `search` is a phone number in any notation, matched
    exactly (nothing matches text that is not a number)."""
    entries = ExclusionEntry.objects.select_related("added_by", "campaign").order_by(
        "-created_at", "-id"
    )
    term = search.strip()
    if term:
        phone = _phone_or_none(term)
        entries = entries.filter(phone_number=phone) if phone else entries.none()
    return entries


def contact_attribute_names(campaign: Campaign | None) -> list[str]:
    """The attribute names present among the campaign's contacts (None: every campaign's),
    sorted (by Python, the same on every database), in one query. It reads every contact of
    the campaign that has attributes (jsonb_object_keys on PostgreSQL, json_each on SQLite):
    about a second for a million contacts with a few attributes each, so pages read it through
    `contact_attribute_names_cached`."""
    table = connection.ops.quote_name(Contact._meta.db_table)
    where, params = "", []
    if campaign is not None:
        where = f"{table}.campaign_id = %s"
        params = [Contact._meta.get_field("campaign").get_db_prep_value(campaign.pk, connection)]
    if connection.vendor == "postgresql":
        sql = (
            f"SELECT DISTINCT jsonb_object_keys(attributes) FROM {table} "
            f"WHERE {where + ' AND ' if where else ''}attributes <> '{{}}'::jsonb"
        )
    else:  # SQLite, the other database we run on
        sql = (
            f"SELECT DISTINCT attribute.key FROM {table}, json_each({table}.attributes) AS "
            f"attribute{' WHERE ' + where if where else ''}"
        )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return sorted(name for (name,) in cursor.fetchall())


def contact_attribute_names_cached(campaign: Campaign) -> list[str]:
    """`contact_attribute_names`, cached for STATS_CACHE_TTL_SECONDS under the campaign's
    statistics generation, which an import (the only writer of attributes) and an erasure
    replace: the contacts table shows the names on every refresh, and a campaign's contacts
    are read in full to find them."""
    key = f"contacts:attribute-names:{campaign.pk}:{campaign_stats_generation(campaign.pk)}"
    names = cache_get(key)
    if names is None:
        names = contact_attribute_names(campaign)
        cache_set(key, names, settings.STATS_CACHE_TTL_SECONDS)
    return names

"""Reads of contacts and the exclusion list, for the API and the pages alike."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from campaigns.models import Campaign
from contacts.models import Contact, ExclusionEntry
from contacts.phones import InvalidPhoneNumber, phone_normalize


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
) -> QuerySet[Contact]:
    """A campaign's contacts in upload order, filtered. `search` is a phone number, in any
    notation ("+39 333 …", "333 …" in the default region), or an external id, matched exactly:
    both are indexed lookups, where a substring search would read every contact. Without
    `search_phone_numbers` (viewers: contacts/search.py), only external ids are matched."""
    contacts = Contact.objects.filter(campaign=campaign)
    if state:
        contacts = contacts.filter(state=state)
    if last_outcome:
        contacts = contacts.filter(last_outcome=last_outcome)
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
    entries = ExclusionEntry.objects.order_by("-created_at", "-id")
    term = search.strip()
    if term:
        phone = _phone_or_none(term)
        entries = entries.filter(phone_number=phone) if phone else entries.none()
    return entries

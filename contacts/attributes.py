"""Contact attributes: the columns of an uploaded CSV that are no contact field, kept on the
contact as `Contact.attributes`, a flat JSON object {name: text} (docs/architecture.md §4,
§6.1). Pure rules, no database: the names, the limits, and which columns of a header become
attributes.

A name is the column's header normalised: accents stripped, lower case, every run of other
characters than a-z and 0-9 one "_", trimmed of "_", at most 40 characters. It must start with
a letter: a key of digits ("2024", and "2024_5", which Python reads as an integer too) would be
taken for an array index by Django's JSON key lookups (`attributes__2024`), on PostgreSQL and
SQLite alike.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

MAX_ATTRIBUTES = 30
MAX_ATTRIBUTE_NAME = 40
# Longer values are cut to this, silently (docs/campaigns-and-contacts.md says so).
MAX_ATTRIBUTE_VALUE = 255

_NOT_ALPHANUMERIC = re.compile(r"[^a-z0-9]+")
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9]*(?:_[a-z0-9]+)*")


def attribute_name_normalize(header: str) -> str:
    """ "Région d'achat " → "region_d_achat"; "" when nothing is left."""
    decomposed = unicodedata.normalize("NFKD", header)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    name = _NOT_ALPHANUMERIC.sub("_", plain).strip("_")
    return name[:MAX_ATTRIBUTE_NAME].rstrip("_")


def attribute_name_is_valid(name: str) -> bool:
    """Is `name` an attribute name as stored (normalised, starting with a letter)?"""
    return len(name) <= MAX_ATTRIBUTE_NAME and ATTRIBUTE_NAME.fullmatch(name) is not None


@dataclass(frozen=True)
class HeaderAttributes:
    """What a header's extra columns (those that are no field) become."""

    kept: list[tuple[int, str]]  # (position in the header, attribute name), in header order
    ignored: list[tuple[int, str]]  # (position in the header, why)


def header_attributes(cells: Iterable[tuple[int, str]]) -> HeaderAttributes:
    """Sort a header's extra columns (no field's), given as (position, cell) in header order,
    into kept attributes and ignored columns: the first column to give a name keeps it, and the
    first MAX_ATTRIBUTES names are kept."""
    kept: list[tuple[int, str]] = []
    ignored: list[tuple[int, str]] = []
    first_with: dict[str, str] = {}
    for position, cell in cells:
        name = attribute_name_normalize(cell)
        if not name:
            ignored.append((position, "No letters or digits to name an attribute with."))
        elif not name[0].isalpha():
            ignored.append((position, "An attribute name must start with a letter."))
        elif name in first_with:
            ignored.append(
                (position, f"Same attribute name ({name}) as the column {first_with[name]!r}.")
            )
        elif len(kept) >= MAX_ATTRIBUTES:
            ignored.append((position, f"Over the limit of {MAX_ATTRIBUTES} attributes."))
        else:
            first_with[name] = cell.strip()[:60]
            kept.append((position, name))
    return HeaderAttributes(kept=kept, ignored=ignored)

"""The rows the demo generator builds for one campaign, without a database."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import uuid
from collections import Counter
from typing import Any

from campaigns.models import Campaign, CampaignStatus, EmailTemplate, Language
from contacts.models import ContactState
from demo.builders import _CONTACT_COLUMNS, _STATE_MIX, _UNDIALLED, _Generator

NOW = dt.datetime(2026, 3, 10, 14, 37, tzinfo=dt.UTC)


def _campaign_rows(seed: int, status: str, count: int) -> dict[str, list[tuple[Any, ...]]]:
    campaign = Campaign(
        id=uuid.UUID(int=1),
        status=status,
        language=Language.IT,
        timezone="Europe/Rome",
        max_attempts=5,
        retry_interval_minutes=90,
        created_at=NOW - dt.timedelta(days=33),
    )
    templates: dict[str, EmailTemplate | None] = {
        ContactState.COMPLETED: EmailTemplate(id=uuid.UUID(int=2)),
        ContactState.REFUSED: EmailTemplate(id=uuid.UUID(int=3)),
        ContactState.NOT_REACHED: None,  # a campaign without this email sends none
    }
    generator = _Generator(seed=seed, now=NOW, json=lambda value: value)
    rows: dict[str, list[tuple[Any, ...]]] = {}
    for chunk in generator.contacts(campaign, 4, count, templates):
        for table, table_rows in chunk.items():
            rows.setdefault(table, []).extend(table_rows)
    return rows


def _fingerprint(rows: dict[str, list[tuple[Any, ...]]]) -> str:
    text = json.dumps(rows, default=str, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def test_the_same_seed_builds_the_same_rows_and_another_seed_others():
    rows = _campaign_rows(seed=5, status=CampaignStatus.RUNNING, count=400)
    state = _CONTACT_COLUMNS.index("state")
    assert set(Counter(row[state] for row in rows["contacts"])) == set(ContactState.values)
    assert len(rows["contacts"]) == 400
    again = _campaign_rows(seed=5, status=CampaignStatus.RUNNING, count=400)
    assert _fingerprint(again) == _fingerprint(rows)
    other = _campaign_rows(seed=6, status=CampaignStatus.RUNNING, count=400)
    assert _fingerprint(other) != _fingerprint(rows)


def test_a_campaign_not_yet_dialled_holds_only_states_that_need_no_call():
    # Only the pending builder checks whether the campaign has dialled: the others call.
    for status in _UNDIALLED:
        assert set(_STATE_MIX[status]) <= {ContactState.PENDING, ContactState.EXCLUDED}
    rows = _campaign_rows(seed=5, status=CampaignStatus.DRAFT, count=200)
    assert rows["contacts"]
    assert not rows["attempts"]
    assert not rows["events"]

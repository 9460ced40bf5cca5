"""export_csv_write: the exact bytes (the same on SQLite and PostgreSQL, since both runs of the
suite check the same expectation) and an output that fails half-way."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from calls.tests.factories import SurveyResponseFactory
from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState
from contacts.tests.factories import ContactFactory
from exports.tests.conftest import bulk_contacts
from exports.writer import CHUNK_BYTES, export_csv_write

pytestmark = pytest.mark.django_db

HEADER = (
    b"campaign_id,contact_id,external_contact_id,phone_number,outcome,attempt_count,"
    b"last_attempt_at,completed_at,q1_answer,q2_answer,q3_answer\n"
)


def test_bytes_follow_one_set_of_csv_rules():
    """Quoted only when needed (comma, quote, CR, LF), quotes doubled, an empty text `""`,
    a missing value empty; LF line ends; UTF-8."""
    response = SurveyResponseFactory(
        contact=ContactFactory(
            state=ContactState.COMPLETED,
            external_contact_id="",
            phone_number="+393470000001",
            attempts_count=1,
            last_attempt_at=dt.datetime(2026, 1, 2, 3, 4, 5, 999999, tzinfo=dt.UTC),
        ),
        answer_values={"q1": "10", "q2": 'say "hi", please', "q3": "line one\rline two — è"},
        completed_at=dt.datetime(2026, 1, 2, 3, 9, 0, tzinfo=dt.UTC),
    )
    contact = response.contact
    excluded = ContactFactory(
        campaign=contact.campaign, state=ContactState.EXCLUDED, phone_number="+393470000002"
    )
    out = io.BytesIO()

    rows = export_csv_write(campaign=contact.campaign, out=out)

    campaign_id = str(contact.campaign_id)
    assert rows == 2
    assert (
        out.getvalue()
        == HEADER
        + (
            f'{campaign_id},{contact.pk},"",+393470000001,completed,1,2026-01-02T03:04:05Z,'
            f'2026-01-02T03:09:00Z,10,"say ""hi"", please","line one\rline two — è"\n'
            f"{campaign_id},{excluded.pk},{excluded.external_contact_id},+393470000002,excluded,0,"
            ",,,,\n"
        ).encode()
    )


class _BrokenOutput(io.BytesIO):
    """A file whose storage goes away after the header."""

    def write(self, data):
        if self.tell():
            raise OSError("storage went away")
        return super().write(data)


def test_an_output_failing_mid_stream_raises_and_leaves_the_database_usable():
    campaign = CampaignFactory()
    bulk_contacts(campaign, 6000, state=ContactState.REFUSED, id_padding=200)
    assert CHUNK_BYTES < 6000 * 200  # so the first chunk is written while rows still stream

    with pytest.raises(OSError, match="storage went away"):
        export_csv_write(campaign=campaign, out=_BrokenOutput())

    # On PostgreSQL the interrupted COPY is rolled back to its savepoint, not left half-read.
    assert Contact.objects.filter(campaign=campaign).count() == 6000

import factory
from django.core.files.uploadedfile import SimpleUploadedFile

from campaigns.tests.factories import CampaignFactory
from contacts.models import Contact, ContactState, ExclusionEntry, ExclusionSource


class ContactFactory(factory.django.DjangoModelFactory):
    """A pending Italian mobile contact. Numbers are unique across the whole test run."""

    class Meta:
        model = Contact

    campaign = factory.SubFactory(CampaignFactory)
    external_contact_id = factory.Sequence(lambda n: f"EXT-{n:05d}")
    phone_number = factory.Sequence(lambda n: f"+39347{n:07d}")
    email = factory.Sequence(lambda n: f"person{n}@example.org")
    preferred_language = "auto"
    timezone = "Europe/Rome"
    state = ContactState.PENDING


class ExclusionEntryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExclusionEntry

    phone_number = factory.Sequence(lambda n: f"+39348{n:07d}")
    reason = "Asked not to be called"
    source = ExclusionSource.MANUAL


def csv_upload(
    content: str | bytes, *, name: str = "contacts.csv", encoding: str = "utf-8"
) -> SimpleUploadedFile:
    """An uploaded CSV file, as views and services receive one."""
    data = content.encode(encoding) if isinstance(content, str) else content
    return SimpleUploadedFile(name, data, content_type="text/csv")

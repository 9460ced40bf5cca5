import factory

from campaigns.tests.factories import CampaignFactory
from exports.models import ExportJob


class ExportJobFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ExportJob

    campaign = factory.SubFactory(CampaignFactory)

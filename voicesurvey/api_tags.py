"""The API's resources as Swagger groups them, in this order. Apart from voicesurvey/schema.py,
which puts each path under one of them, because the settings read it (SPECTACULAR_SETTINGS
["TAGS"]) and must not import DRF."""

API_TAGS = {
    "campaigns": "Campaigns: create, edit, the lifecycle actions, clone and re-queue.",
    "contacts": "A campaign's contacts: the list and the CSV upload; erasure of a number.",
    "exclusions": "The exclusion list: numbers never dialled, in any campaign.",
    "calls": "One call attempt: its events, transcript and answers.",
    "stats": "Statistics and survey results, per campaign and across the system.",
    "exports": "CSV and Excel exports and their download links.",
    "webhooks": "Outbound webhooks: subscriptions, their delivery log, redelivery.",
    "configuration": "The telephony provider's configuration.",
    "authentication": "Who the caller is; API tokens.",
}

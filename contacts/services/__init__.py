"""Writes to contacts: `imports` (the CSV import of contacts into a campaign) and `exclusions`
(the exclusion list). A contact's erasure deletes its calls, so it lives with the engine
(calls/erasure.py)."""

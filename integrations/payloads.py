"""The events' JSON, version 1 (README "Integrations"): `{"type", "version", "timestamp",
"data"}`. Built once per event by the fan-out from the rows it read; the phone number is
added per subscription, only for those that opted in."""

from __future__ import annotations

import datetime as dt
from typing import Any

PAYLOAD_VERSION = 1
PHONE_FIELD = "phone_number"


def _iso(value: dt.datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def envelope(*, event_type: str, occurred_at: dt.datetime, data: dict) -> dict:
    return {
        "type": event_type,
        "version": PAYLOAD_VERSION,
        "timestamp": _iso(occurred_at),
        "data": data,
    }


def campaign_data(campaign: Any) -> dict:
    return {"id": str(campaign.pk), "name": campaign.name}


def contact_data(contact: Any) -> dict:
    """The contact as events carry it; `phone_number` is removed by `for_subscription` unless
    the subscription opted in."""
    return {
        "id": str(contact.pk),
        "external_id": contact.external_contact_id,
        PHONE_FIELD: contact.phone_number,
        "state": contact.state,
        "attempts": contact.attempts_count,
        "attributes": contact.attributes or {},
    }


def answers_by_key(answers: dict, question_keys: list[str]) -> dict:
    """The outcome event's answers (stored by question key and by position) by question key
    only, in questionnaire order. Unanswered questions are absent."""
    return {key: answers[key] for key in question_keys if key in answers}


def survey_event_data(
    *, event: Any, question_keys: list[str], outcome_label: str | None = None
) -> dict:
    payload = event.payload or {}
    data: dict[str, Any] = {
        "event_id": str(event.pk),
        "campaign": campaign_data(event.campaign),
        "contact": contact_data(event.contact),
        "outcome": outcome_label or payload.get("outcome"),
        "call_id": payload.get("call_id"),
        "attempts": payload.get("attempts"),
        "answers": answers_by_key(payload.get("answers") or {}, question_keys),
        "occurred_at": _iso(event.created_at),
    }
    return data


def callback_data(*, attempt: Any) -> dict:
    contact = attempt.contact
    return {
        "campaign": campaign_data(attempt.campaign),
        "contact": contact_data(contact),
        "call_id": str(attempt.pk),
        "callback_at": _iso(contact.callback_at),
        "occurred_at": _iso(attempt.ended_at),
    }


def campaign_status_data(*, entry: Any, campaign: Any) -> dict:
    details = entry.details or {}
    return {
        "campaign": campaign_data(campaign),
        "action": entry.action.removeprefix("campaign."),
        "from": details.get("from"),
        "to": details.get("to"),
        "reason": details.get("reason", ""),
        "by": entry.actor_username or None,
        "occurred_at": _iso(entry.created_at),
    }


def export_data(job: Any) -> dict:
    return {
        "campaign": campaign_data(job.campaign),
        "export": {
            "id": str(job.pk),
            "format": job.format,
            "status": job.status,
            "total_records": job.total_records,
            "error_message": job.error_message,
            "created_at": _iso(job.created_at),
            "completed_at": _iso(job.completed_at),
            # The file's link is made fresh on each read: GET /api/exports/{id}.
            "api_url": f"/api/exports/{job.pk}",
        },
        "occurred_at": _iso(job.completed_at),
    }


def for_subscription(payload: dict, *, include_phone_numbers: bool) -> dict:
    """The payload one subscription receives: without the contact's phone number unless it
    opted in."""
    contact = payload["data"].get("contact")
    if include_phone_numbers or not contact or PHONE_FIELD not in contact:
        return payload
    contact = {k: v for k, v in contact.items() if k != PHONE_FIELD}
    return {**payload, "data": {**payload["data"], "contact": contact}}

"""The fan-out: events read from the rows the lower layers already write — the outcome-event
outbox (calls.SurveyEvent), the callbacks (calls.CallAttempt), the campaigns' status changes
(the audit log) and finished exports (exports.ExportJob) — become one WebhookDelivery per
(subscription, event).

Nothing below this app knows about webhooks: no hook, no flag on their rows (the outbox's
`processed_at` belongs to the email drain). Each source is read by its own time column from a
cursor (WebhookFanoutCursor), re-reading the last FANOUT_LAG: a row whose transaction
committed after a later one was read is still seen. The unique (subscription, event_key)
makes re-reading, a crash midway and two drains at once harmless: at least once, never twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from django.conf import settings
from django.db.models import Q, QuerySet

from calls.models import CallAttempt, SurveyEvent
from calls.outcomes import CALLBACK_REQUESTED
from campaigns.models import Campaign, CampaignStatus, Question
from exports.models import ExportJob, ExportStatus
from integrations import payloads
from integrations.models import (
    WebhookDelivery,
    WebhookEventType,
    WebhookFanoutCursor,
    WebhookSubscription,
)
from voicesurvey.models import AuditLog

# Rows are read again this far behind the cursor: longer than any transaction that writes them.
FANOUT_LAG = dt.timedelta(minutes=2)
# A callback is found by its call's start (indexed per campaign); a call lasts less than this.
CALLBACK_LAG = dt.timedelta(hours=2)
BATCH_SIZE = 1000

SURVEY_EVENT_TYPES = {
    "survey.completed": WebhookEventType.SURVEY_COMPLETED,
    "survey.refused": WebhookEventType.SURVEY_REFUSED,
    "survey.not_reached": WebhookEventType.CONTACT_NOT_REACHED,
}
CAMPAIGN_STATUS_ACTIONS = tuple(
    f"campaign.{action}"
    for action in ("activate", "schedule", "start", "pause", "resume", "complete", "cancel")
)
EXPORT_EVENT_TYPES = {
    ExportStatus.COMPLETED: WebhookEventType.EXPORT_COMPLETED,
    ExportStatus.FAILED: WebhookEventType.EXPORT_FAILED,
}


@dataclasses.dataclass
class Event:
    key: str
    type: str
    campaign_id: Any
    contact_id: Any
    occurred_at: dt.datetime
    payload: dict
    trace_id: str = ""

    @classmethod
    def of(
        cls,
        *,
        key: str,
        type: str,
        campaign_id: Any,
        contact_id: Any,
        occurred_at: dt.datetime,
        data: dict,
        trace_id: str = "",
    ) -> Event:
        """An event whose payload is `data` in the versioned envelope of its type and time."""
        return cls(
            key=key,
            type=type,
            campaign_id=campaign_id,
            contact_id=contact_id,
            occurred_at=occurred_at,
            payload=payloads.envelope(event_type=type, occurred_at=occurred_at, data=data),
            trace_id=trace_id,
        )


@dataclasses.dataclass
class _Source:
    name: str
    event_types: frozenset[str]
    lag: dt.timedelta
    read: Callable[
        [dt.datetime, list[WebhookSubscription]], Iterator[tuple[dt.datetime, list[Event]]]
    ]


def _keyset(qs: QuerySet, time_field: str, since: dt.datetime) -> Iterator[list[Any]]:
    """The rows after `since` in (time, pk) order, a batch at a time, by keyset."""
    qs = qs.filter(**{f"{time_field}__gt": since}).order_by(time_field, "pk")
    last: tuple[Any, Any] | None = None
    while True:
        page = qs
        if last is not None:
            page = qs.filter(
                Q(**{f"{time_field}__gt": last[0]}) | Q(**{time_field: last[0], "pk__gt": last[1]})
            )
        rows = list(page[:BATCH_SIZE])
        if not rows:
            return
        yield rows
        last = (getattr(rows[-1], time_field), rows[-1].pk)


def _campaign_filter(subscriptions: list[WebhookSubscription]) -> set | None:
    """The campaigns these subscriptions follow; None when one follows them all."""
    if any(s.campaign_id is None for s in subscriptions):
        return None
    return {s.campaign_id for s in subscriptions}


class _QuestionKeys(dict):
    """Each campaign's question keys in questionnaire order, read once per fan-out."""

    def __missing__(self, campaign_id: Any) -> list[str]:
        keys = list(
            Question.objects.filter(campaign_id=campaign_id)
            .order_by("position")
            .values_list("key", flat=True)
        )
        self[campaign_id] = keys
        return keys


def _survey_events(
    since: dt.datetime, subscriptions: list[WebhookSubscription]
) -> Iterator[tuple[dt.datetime, list[Event]]]:
    wanted = {
        t
        for t, ours in SURVEY_EVENT_TYPES.items()
        if any(ours in s.event_types for s in subscriptions)
    }
    qs = SurveyEvent.objects.filter(type__in=wanted).select_related(
        "campaign", "contact", "call_attempt"
    )
    campaigns = _campaign_filter(subscriptions)
    if campaigns is not None:
        qs = qs.filter(campaign_id__in=campaigns)
    keys = _QuestionKeys()
    for rows in _keyset(qs, "created_at", since):
        events = []
        for row in rows:
            event_type = SURVEY_EVENT_TYPES[row.type]
            data = payloads.survey_event_data(event=row, question_keys=keys[row.campaign_id])
            events.append(
                Event.of(
                    key=f"survey:{row.pk}",
                    type=event_type,
                    campaign_id=row.campaign_id,
                    contact_id=row.contact_id,
                    occurred_at=row.created_at,
                    data=data,
                    trace_id=getattr(row.call_attempt, "trace_id", "") or "",
                )
            )
        yield rows[-1].created_at, events


def _callbacks(
    since: dt.datetime, subscriptions: list[WebhookSubscription]
) -> Iterator[tuple[dt.datetime, list[Event]]]:
    campaigns = _campaign_filter(subscriptions)
    if campaigns is None:
        # Callbacks happen in live campaigns only; (campaign, started_at) is the index.
        campaigns = set(
            Campaign.objects.filter(
                status__in=[CampaignStatus.RUNNING, CampaignStatus.PAUSED, CampaignStatus.COMPLETED]
            ).values_list("pk", flat=True)
        )
    qs = CallAttempt.objects.filter(
        campaign_id__in=campaigns, error_code=CALLBACK_REQUESTED, ended_at__isnull=False
    ).select_related("campaign", "contact")
    event_type = WebhookEventType.CONTACT_CALLBACK_REQUESTED
    for rows in _keyset(qs, "started_at", since):
        events = [
            Event.of(
                key=f"callback:{row.pk}",
                type=event_type,
                campaign_id=row.campaign_id,
                contact_id=row.contact_id,
                occurred_at=row.ended_at,
                data=payloads.callback_data(attempt=row),
                trace_id=row.trace_id,
            )
            for row in rows
        ]
        yield rows[-1].started_at, events


def _campaign_status_changes(
    since: dt.datetime, subscriptions: list[WebhookSubscription]
) -> Iterator[tuple[dt.datetime, list[Event]]]:
    qs = AuditLog.objects.filter(
        action__in=CAMPAIGN_STATUS_ACTIONS, object_type=Campaign._meta.label_lower
    )
    campaigns_wanted = _campaign_filter(subscriptions)
    if campaigns_wanted is not None:
        qs = qs.filter(object_id__in=[str(pk) for pk in campaigns_wanted])
    event_type = WebhookEventType.CAMPAIGN_STATUS_CHANGED
    for rows in _keyset(qs, "created_at", since):
        campaigns = {
            str(pk): campaign
            for pk, campaign in Campaign.objects.in_bulk([row.object_id for row in rows]).items()
        }
        events = []
        for row in rows:
            campaign = campaigns.get(row.object_id)
            if campaign is None:  # deleted since
                continue
            events.append(
                Event.of(
                    key=f"campaign:{row.pk}",
                    type=event_type,
                    campaign_id=campaign.pk,
                    contact_id=None,
                    occurred_at=row.created_at,
                    data=payloads.campaign_status_data(entry=row, campaign=campaign),
                )
            )
        yield rows[-1].created_at, events


def _exports_finished(
    since: dt.datetime, subscriptions: list[WebhookSubscription]
) -> Iterator[tuple[dt.datetime, list[Event]]]:
    qs = ExportJob.objects.filter(status__in=list(EXPORT_EVENT_TYPES)).select_related("campaign")
    campaigns = _campaign_filter(subscriptions)
    if campaigns is not None:
        qs = qs.filter(campaign_id__in=campaigns)
    for rows in _keyset(qs, "completed_at", since):
        events = []
        for row in rows:
            event_type = EXPORT_EVENT_TYPES[ExportStatus(row.status)]
            events.append(
                Event.of(
                    # A job fails once, or completes once (a re-queued job was never either).
                    key=f"export:{row.pk}:{row.status}",
                    type=event_type,
                    campaign_id=row.campaign_id,
                    contact_id=None,
                    occurred_at=row.completed_at,
                    data=payloads.export_data(row),
                )
            )
        yield rows[-1].completed_at, events


SOURCES = (
    _Source("survey", frozenset(SURVEY_EVENT_TYPES.values()), FANOUT_LAG, _survey_events),
    _Source(
        "callback",
        frozenset({WebhookEventType.CONTACT_CALLBACK_REQUESTED}),
        CALLBACK_LAG,
        _callbacks,
    ),
    _Source(
        "campaign",
        frozenset({WebhookEventType.CAMPAIGN_STATUS_CHANGED}),
        FANOUT_LAG,
        _campaign_status_changes,
    ),
    _Source(
        "export",
        frozenset({WebhookEventType.EXPORT_COMPLETED, WebhookEventType.EXPORT_FAILED}),
        FANOUT_LAG,
        _exports_finished,
    ),
)


def _deliveries_create(
    *, events: Iterable[Event], subscriptions: list[WebhookSubscription], now: dt.datetime
) -> int:
    pairs = [
        (subscription, event)
        for event in events
        for subscription in subscriptions
        if event.type in subscription.event_types
        and subscription.campaign_id in (None, event.campaign_id)
        and event.occurred_at >= subscription.created_at
    ]
    if not pairs:
        return 0
    # Read again behind the cursor: most of a re-read batch is there already.
    existing = set(
        WebhookDelivery.objects.filter(
            subscription_id__in={s.pk for s, _ in pairs},
            event_key__in={e.key for _, e in pairs},
        ).values_list("subscription_id", "event_key")
    )
    retry_until = now + dt.timedelta(hours=settings.WEBHOOK_RETRY_HOURS)
    new = [
        WebhookDelivery(
            subscription=subscription,
            event_type=event.type,
            event_key=event.key,
            campaign_id=event.campaign_id,
            contact_id=event.contact_id,
            occurred_at=event.occurred_at,
            payload=payloads.for_subscription(
                event.payload, include_phone_numbers=subscription.include_phone_numbers
            ),
            next_attempt_at=now,
            retry_until=retry_until,
            trace_id=event.trace_id,
            created_at=now,
        )
        for subscription, event in pairs
        if (subscription.pk, event.key) not in existing
    ]
    # ignore_conflicts: a concurrent fan-out may have inserted the same pairs meanwhile.
    WebhookDelivery.objects.bulk_create(new, ignore_conflicts=True, batch_size=BATCH_SIZE)
    return len(new)


def webhook_events_fan_out(*, now: dt.datetime) -> int:
    """Create the deliveries of every event not fanned out yet; returns how many. Disabled
    subscriptions get theirs too, kept pending: enabled again, they miss nothing."""
    subscriptions = list(WebhookSubscription.objects.all())
    created = 0
    for source in SOURCES:
        interested = [s for s in subscriptions if source.event_types & set(s.event_types)]
        if not interested:
            continue
        cursor = WebhookFanoutCursor.objects.filter(source=source.name).first()
        start = min(s.created_at for s in interested)
        if cursor is not None:
            start = max(start, cursor.position)
        position = start
        for last_time, events in source.read(start - source.lag, interested):
            created += _deliveries_create(events=events, subscriptions=interested, now=now)
            position = max(position, last_time)
        # Never past `now`: events dated ahead (a simulated clock) are read again until then,
        # rather than hiding the ones dated now behind them.
        position = min(position, now)
        _, made = WebhookFanoutCursor.objects.get_or_create(
            source=source.name, defaults={"position": position}
        )
        if not made:  # forward only, whatever a concurrent fan-out wrote
            WebhookFanoutCursor.objects.filter(source=source.name, position__lt=position).update(
                position=position
            )
    return created

"""django-q entry points: each takes ids or plain values and calls one service."""

from __future__ import annotations

from integrations.delivery import webhooks_drain


def webhooks_drain_task() -> dict:
    summary = webhooks_drain()
    sent = summary.sent
    return {
        "fanned_out": summary.fanned_out,
        "delivered": sent.delivered,
        "retried": sent.retried,
        "failed": sent.failed,
        "disabled": sent.disabled,
    }

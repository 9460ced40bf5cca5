"""The simulated callee's steps: one webhook each, sent through `calls.webhooks.webhook_receive`
— the code the HTTP endpoints run — so that a simulated call exercises signature checks, event
storage, the dialogue and the outcome rules exactly as a real provider's does. How the callee
behaves (when it answers, what it says) is decided by calls/telephony/simulator.py; this module
sits above the webhook handler it drives.

Live, each step is a django-q task (`calls.tasks.simulator_callee_step`) that queues the next;
inline (`manage.py simulate`), `callee_run_inline` runs a whole call at once on its own clock.
"""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from calls.models import Provider
from calls.telephony.base import WebhookRequest, WebhookResponse
from calls.telephony.simulator import (
    ANSWER,
    BUSY,
    FAILED,
    MAX_STEP_SLEEP,
    NO_ANSWER,
    SIGNATURE_HEADER,
    Rates,
    SimulatorProvider,
    callee_enqueue,
    callee_plan,
    callee_reply,
    sign,
)
from calls.webhooks import webhook_receive
from voicesurvey.tracing import trace_context


def _speaking_seconds(text: str) -> float:
    return len(text) / 15  # text-to-speech reads about 15 characters a second


def _post(step: dict, kind: str, data: dict, at: dt.datetime | None) -> WebhookResponse:
    """Send one signed webhook through the same code as the HTTP endpoints."""
    payload = {"call_id": step["call_id"], "provider_call_id": step["provider_call_id"], **data}
    if at is not None:
        payload["timestamp"] = at.isoformat()
    body = json.dumps(payload).encode()
    provider = SimulatorProvider()
    trace_id = step.get("trace_id", "")  # absent from the steps of calls placed before it was
    url = (
        provider.status_url(step["call_id"], trace_id=trace_id)
        if kind == "status"
        else provider.dialogue_url(step["call_id"], trace_id=trace_id)
    )
    parts = urlsplit(url)
    request = WebhookRequest(
        method="POST",
        url=url,
        path=f"{parts.path}?{parts.query}" if parts.query else parts.path,
        headers={"content-type": "application/json", SIGNATURE_HEADER.lower(): sign(body)},
        body=body,
    )
    return webhook_receive(
        provider_name=Provider.SIMULATOR, kind=kind, call_id=step["call_id"], request=request
    )


def _status(step: dict, raw: str, at, error_code: str = "") -> None:
    _post(
        step, "status", {"status": raw, "sequence": step["sequence"], "error_code": error_code}, at
    )


def callee_step(step: dict) -> dict | None:
    """Run one step of a simulated call (one webhook, after its delay); return the next step,
    or None when the call is over."""
    plan = callee_plan(step["seed"], Rates(*step["rates"]))
    action, turn = step["action"], step["turn"]
    rng = random.Random(f"{step['seed']}:{action}:{step['sequence']}")

    if action == "dialogue" and turn is not None:
        # Listening to the prompt, then thinking; a silent callee lets the gather time out.
        delay = _speaking_seconds(turn["say"]) + rng.uniform(0.5, 2.5)
    else:
        delay = {
            "initiated": 0.3,
            "ringing": 1.0,
            "answered": plan.ring_seconds,
            "busy": 2.5,
            "no-answer": 25.0,
            "failed": 1.5,
            "dialogue": 0.3,  # the first prompt is fetched as soon as the call is answered
            "completed": 1.0,
        }[action]
    elapsed = step["elapsed"] + delay
    if step["virtual"]:
        at = dt.datetime.fromisoformat(step["started_at"]) + dt.timedelta(seconds=elapsed)
    else:
        time.sleep(min(delay, MAX_STEP_SLEEP) * settings.SIMULATOR_DELAY_SCALE)
        at = None  # the real time of arrival
    after = {**step, "elapsed": elapsed}

    if action == "initiated":
        _status(step, "initiated", at)
        return {**after, "action": "ringing", "sequence": step["sequence"] + 1}
    if action == "ringing":
        _status(step, "ringing", at)
        if plan.network_replays_ringing:
            _status(step, "ringing", at)
        ending = {ANSWER: "answered", BUSY: "busy", NO_ANSWER: "no-answer", FAILED: "failed"}
        return {**after, "action": ending[plan.ending], "sequence": step["sequence"] + 1}
    if action == "answered":
        _status(step, "answered", at)
        return {**after, "action": "dialogue", "turn": None}
    if action in ("busy", "no-answer", "failed", "completed"):
        error_code = "carrier_error" if action == "failed" else ""
        _status(step, action, at, error_code)
        return None

    # A dialogue step: reply to the prompt heard (or ask for the first one), get the next.
    data: dict[str, object]
    if turn is None:
        data = {"turn": 0}
    elif plan.hangs_up_at_turn == turn["turn"]:
        return {**after, "action": "completed", "sequence": step["sequence"] + 1}
    else:
        reply = callee_reply(step["seed"], plan, turn)
        data = {
            "turn": turn["turn"],
            "digits": reply.digits,
            "speech": reply.speech,
            "confidence": reply.confidence,
        }
    response = _post(step, "dialogue", data, at)
    if response.status != 200:
        return None  # the call is gone (deleted); nothing more to say
    next_turn = response.json_data()
    if next_turn["hangup"]:
        # The goodbye is spoken, then the network reports the end of the call.
        goodbye = _speaking_seconds(next_turn["say"])
        return {
            **after,
            "action": "completed",
            "sequence": step["sequence"] + 1,
            "elapsed": elapsed + goodbye,
            "turn": None,
        }
    return {**after, "action": "dialogue", "turn": next_turn}


def callee_step_live(step: dict) -> None:
    """A live step (django-q task): run it, under its call's trace, then queue the next one."""
    with trace_context(step.get("trace_id", "")):
        next_step = callee_step(step)
        if next_step is not None:
            transaction.on_commit(lambda: callee_enqueue(next_step))


def callee_run_inline(step: dict) -> None:
    """Run a whole simulated call at once, its events dated on its own clock (`manage.py
    simulate`: `SimulatorProvider(run_callee=callee_run_inline)`)."""
    next_step: dict | None = step
    while next_step is not None:
        next_step = callee_step(next_step)

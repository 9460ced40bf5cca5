"""Pages of the calls engine: the call detail page."""

from __future__ import annotations

from django.http import Http404
from django.shortcuts import redirect, render

from calls.models import CallAttempt
from calls.selectors import (
    call_attempt_answers,
    call_attempt_events,
    call_attempt_get,
    contact_attempts,
)
from voicesurvey.permissions import Capability, phone_number_for, require_capability

# Managers and admins only: see calls.api.CanReadCallDetails for why.
_can_read_calls = require_capability(Capability.SEE_PHONE_NUMBERS)


def _get_attempt_or_404(call_id) -> CallAttempt:
    try:
        return call_attempt_get(call_id=call_id)
    except CallAttempt.DoesNotExist as exc:
        raise Http404("No such call.") from exc


@_can_read_calls
def call_detail(request, call_id):
    attempt = _get_attempt_or_404(call_id)
    return render(
        request,
        "calls/call_detail.html",
        {
            "attempt": attempt,
            "campaign": attempt.campaign,
            "contact": attempt.contact,
            "phone_number": phone_number_for(request.user, attempt.contact.phone_number),
            "answers": call_attempt_answers(attempt=attempt),
            "events": list(call_attempt_events(attempt=attempt)),
            "siblings": list(
                contact_attempts(attempt=attempt).only(
                    "call_id", "attempt_number", "outcome", "started_at"
                )
            ),
            "transcript_lines": attempt.transcript.splitlines(),
        },
    )


@_can_read_calls
def contact_latest_call(request, contact_id):
    """The contact's most recent call, for tables that list contacts and link to their call."""
    latest = (
        CallAttempt.objects.filter(contact_id=contact_id)
        .order_by("-attempt_number")
        .values_list("call_id", flat=True)
        .first()
    )
    if latest is None:
        raise Http404("This contact has not been called.")
    return redirect("call_detail", call_id=latest)

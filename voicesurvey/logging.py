"""Structured logs: one JSON object per line, each with its trace id (voicesurvey/tracing.py)
and, in the web process, the id of the request being served.

Phone numbers never reach the logs: the redaction filter masks anything that looks like one,
as a safety net under the rule that code does not log them in the first place.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import time
from collections.abc import Callable

from voicesurvey.tracing import new_trace_id, trace_id_clean, trace_id_var

# The HTTP request being served ("" outside one). The same as its trace id, except where a
# request continues another trace: a provider's webhook runs under the trace of its call.
request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
# An international number (+ then 7-15 digits, maybe spaced) or a bare run of 9-15 digits (a
# national number). Dates and times do not match: their digit groups are short; nor does the
# last group of a UUID that happens to be all digits (12 of them, after "hhhh-").
_PHONE_LIKE = re.compile(r"\+\d[\d .()-]{5,20}\d|(?<![\w.])(?<![0-9a-fA-F]{4}-)\d{9,15}(?![\w.])")


def _redact(text: str) -> str:
    def mask(match: re.Match) -> str:
        digits = re.sub(r"\D", "", match.group(0))
        if len(digits) < 7 or len(digits) > 15:
            return match.group(0)
        return "[phone]"

    return _PHONE_LIKE.sub(mask, text)


class RequestIdMiddleware:
    """Takes X-Request-ID from the caller (when sane) or makes one, and echoes it back; the
    request's work, and whatever it queues, runs under it as its trace id."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = trace_id_clean(request.headers.get("X-Request-ID", "")) or new_trace_id()
        request_token = request_id_var.set(request_id)
        trace_token = trace_id_var.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            trace_id_var.reset(trace_token)
            request_id_var.reset(request_token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Puts `trace_id` and `request_id` on every record ("-" when there is none)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.trace_id = trace_id_var.get() or "-"
        record.request_id = request_id_var.get() or "-"
        return True


class RedactPhoneNumbersFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


class JsonFormatter(logging.Formatter):
    # Timestamps in UTC, like everything else we store.
    converter: Callable[[float | None], time.struct_time] = time.gmtime

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": self.formatTime(record, "%Y-%m-%dT%H:%M:%S") + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "trace_id": getattr(record, "trace_id", "-"),
            "request_id": getattr(record, "request_id", "-"),
        }
        if record.exc_info:
            entry["exception"] = _redact(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False, default=str)

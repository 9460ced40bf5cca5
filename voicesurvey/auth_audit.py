"""Failed logins and lockouts in the audit log. Django (`user_login_failed`) and django-axes
(`user_locked_out`) announce them as signals, the only way either library tells: these
receivers are connected in VoicesurveyConfig.ready and write one audit row each (never a
password; the username as typed, cut to the column) and count it (voicesurvey/metrics.py)."""

from __future__ import annotations

from typing import Any

from voicesurvey import metrics
from voicesurvey.ratelimit import client_ip
from voicesurvey.services import audit_log_record


def _where(request: Any) -> dict:
    if request is None:
        return {}
    return {"ip": client_ip(request), "path": getattr(request, "path", "")[:200]}


def login_failed_record(sender: Any, credentials: dict, request: Any = None, **kwargs: Any) -> None:
    username = str(credentials.get("username") or "")[:150]
    metrics.login_failures_total.inc()
    audit_log_record(
        actor=None,
        action="auth.login_failed",
        object_type="auth.user",
        object_id=username[:64],
        details={"username": username, **_where(request)},
    )


def locked_out_record(
    sender: Any, request: Any = None, username: str | None = None, ip_address: str = "", **kwargs
) -> None:
    metrics.login_lockouts_total.inc()
    audit_log_record(
        actor=None,
        action="auth.locked_out",
        object_type="auth.user",
        object_id=(username or "")[:64],
        details={"username": (username or "")[:150], "ip": ip_address, **_where(request)},
    )

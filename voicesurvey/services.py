from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import AnonymousUser
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken
from knox.settings import knox_settings

from voicesurvey.models import AuditLog, Role, User
from voicesurvey.zones import validate_timezone


def audit_log_record(
    *,
    actor: User | AnonymousUser | None,
    action: str,
    obj: Any = None,
    object_type: str = "",
    object_id: str = "",
    details: dict | None = None,
) -> AuditLog:
    """Append one line to the audit log. `obj` fills object type and id from a model instance."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
    if actor is not None and not actor.is_authenticated:
        actor = None
    return AuditLog.objects.create(
        actor=actor,
        actor_username=actor.username if actor else "",
        action=action,
        object_type=object_type,
        object_id=object_id,
        details=details or {},
    )


@transaction.atomic
def audit_denial_record(
    *, actor: User | AnonymousUser | None, path: str, method: str, capability: str
) -> AuditLog:
    """A denied request in the audit log, coalesced: one row per user, path and minute, whose
    `count` says how many times (the row's time is the first of them)."""
    if actor is not None and not actor.is_authenticated:
        actor = None
    minute = timezone.now().replace(second=0, microsecond=0)
    path = path[:64]
    row = (
        AuditLog.objects.select_for_update()
        .filter(
            action="access.denied",
            actor=actor,
            object_type="path",
            object_id=path,
            created_at__gte=minute,
        )
        .first()
    )
    if row is None:
        return audit_log_record(
            actor=actor,
            action="access.denied",
            object_type="path",
            object_id=path,
            details={"capability": capability, "method": method, "path": path, "count": 1},
        )
    row.details = {**row.details, "count": row.details.get("count", 1) + 1}
    row.save(update_fields=["details"])
    return row


@transaction.atomic
def user_create(
    *,
    username: str,
    role: str = Role.VIEWER,
    email: str = "",
    name: str = "",
    password: str | None = None,
    oidc_sub: str | None = None,
    actor: User | None = None,
) -> User:
    user = User(username=username, email=email, name=name, oidc_sub=oidc_sub, role=role)
    if password:
        user.set_password(password)
    else:
        user.set_unusable_password()
    user.assign_role(role)
    user.full_clean()
    return user_save(user=user, actor=actor)


@transaction.atomic
def user_set_role(*, user: User, role: str, actor: User | None = None) -> User:
    """Change a user's role; admin implies staff and superuser, other roles neither."""
    user.assign_role(role)
    user.full_clean()
    return user_save(user=user, actor=actor)


@transaction.atomic
def user_save(*, user: User, actor: User | None, via: str = "") -> User:
    """Save a new or edited user (the admin's forms validate them): the role decides staff and
    superuser, a new user is audit-logged as created, a changed role as changed. `via` names
    the interface in the audit entry."""
    creating = user._state.adding
    previous = (
        None if creating else User.objects.filter(pk=user.pk).values_list("role", flat=True).first()
    )
    user.assign_role(user.role)
    user.save()
    extra = {"via": via} if via else {}
    if creating:
        audit_log_record(
            actor=actor, action="user.create", obj=user, details={"role": user.role, **extra}
        )
    elif previous != user.role:
        audit_log_record(
            actor=actor,
            action="user.role_change",
            obj=user,
            details={"from": previous, "to": user.role, **extra},
        )
    return user


def user_timezone_set(*, user: User, zone: str) -> User:
    """Set the zone every time is shown in for `user` ("" for the pages' own: a campaign's
    zone on its pages, TIME_ZONE elsewhere). An unknown zone is a ValidationError."""
    if zone:
        validate_timezone(zone)
    user.timezone = zone
    user.save(update_fields=["timezone"])
    return user


@transaction.atomic
def api_token_create(*, user: User, actor: User | None, days: int | None = None) -> tuple[Any, str]:
    """A new API token for `user`, expiring after `days` (API_TOKEN_TTL_DAYS by default; 0 for
    never). Returns (the stored token, its text): the text is shown once and never stored —
    the table keeps its hash. Audit-logged."""
    ttl = knox_settings.TOKEN_TTL if days is None else (dt.timedelta(days=days) if days else None)
    token, text = AuthToken.objects.create(user=user, expiry=ttl)
    audit_log_record(
        actor=actor,
        action="api_token.create",
        obj=user,
        details={
            "token": token.token_key[:8],
            "expires_at": token.expiry.isoformat() if token.expiry else None,
        },
    )
    return token, text


@transaction.atomic
def api_token_delete(*, token: Any, actor: User | None) -> None:
    """Revoke an API token (it stops working at once). Audit-logged."""
    audit_log_record(
        actor=actor,
        action="api_token.delete",
        obj=token.user,
        details={"token": token.token_key[:8]},
    )
    token.delete()

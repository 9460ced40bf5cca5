from __future__ import annotations

from typing import Any

from django.db import transaction

from voicesurvey.models import AuditLog, Role, User


def audit_log_record(
    *,
    actor: User | None,
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

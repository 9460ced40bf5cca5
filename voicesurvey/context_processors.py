from __future__ import annotations

from django.conf import settings

from voicesurvey.permissions import user_capabilities


def capabilities(request) -> dict:
    """`caps.manage_campaigns` etc. in templates, so pages hide what a role may not do."""
    user = getattr(request, "user", None)
    return {
        "caps": {str(capability): True for capability in user_capabilities(user)},
        "oidc_enabled": settings.OIDC_ENABLED,
    }

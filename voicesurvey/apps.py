from django.apps import AppConfig


class VoicesurveyConfig(AppConfig):
    name = "voicesurvey"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from voicesurvey import (
            checks,  # noqa: F401  (registers the system checks)
            schema,  # noqa: F401  (OpenAPI description of OIDC bearer auth)
        )

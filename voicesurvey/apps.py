from django.apps import AppConfig


class VoicesurveyConfig(AppConfig):
    name = "voicesurvey"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed
        from django_q.signals import pre_enqueue

        from voicesurvey import (
            checks,  # noqa: F401  (registers the system checks)
            schema,  # noqa: F401  (OpenAPI description of OIDC bearer auth)
        )
        from voicesurvey.auth_audit import locked_out_record, login_failed_record
        from voicesurvey.task_policy import task_screen

        # django-q2's one hook before a task is queued: only the product's tasks get through.
        pre_enqueue.connect(task_screen, dispatch_uid="voicesurvey.task_screen")
        # Failed logins and lockouts, as the libraries announce them, into the audit log.
        user_login_failed.connect(login_failed_record, dispatch_uid="voicesurvey.login_failed")
        user_locked_out.connect(locked_out_record, dispatch_uid="voicesurvey.locked_out")

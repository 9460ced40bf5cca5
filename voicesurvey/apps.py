from django.apps import AppConfig


class VoicesurveyConfig(AppConfig):
    name = "voicesurvey"
    verbose_name = "Accounts and audit"

    def ready(self) -> None:
        from axes.signals import user_locked_out
        from django.contrib.auth.signals import user_login_failed
        from django_q.signals import post_execute_in_worker, pre_enqueue, pre_execute

        from voicesurvey import (
            checks,  # noqa: F401  (registers the system checks)
            schema,  # noqa: F401  (OpenAPI description of OIDC bearer auth)
        )
        from voicesurvey.auth_audit import locked_out_record, login_failed_record
        from voicesurvey.task_policy import task_screen
        from voicesurvey.tracing import task_trace_attach, task_trace_enter, task_trace_leave

        # django-q2's one hook before a task is queued: only the product's tasks get through.
        pre_enqueue.connect(task_screen, dispatch_uid="voicesurvey.task_screen")
        # The trace id travels with each task, and the worker runs the task under it.
        pre_enqueue.connect(task_trace_attach, dispatch_uid="voicesurvey.task_trace_attach")
        pre_execute.connect(task_trace_enter, dispatch_uid="voicesurvey.task_trace_enter")
        post_execute_in_worker.connect(
            task_trace_leave, dispatch_uid="voicesurvey.task_trace_leave"
        )
        # Failed logins and lockouts, as the libraries announce them, into the audit log.
        user_login_failed.connect(login_failed_record, dispatch_uid="voicesurvey.login_failed")
        user_locked_out.connect(locked_out_record, dispatch_uid="voicesurvey.locked_out")

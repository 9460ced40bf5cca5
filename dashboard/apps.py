from django.apps import AppConfig


class DashboardConfig(AppConfig):
    name = "dashboard"

    def ready(self) -> None:
        from dashboard.metrics import queue_figures_read
        from voicesurvey.metrics import on_queue_figures

        # /metrics serves the dial queue's gauges as this read model reads them: the core,
        # which serves /metrics, cannot import it (docs/architecture.md §3).
        on_queue_figures(queue_figures_read)

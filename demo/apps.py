from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data (`seed_demo`): the top layer, which may use every other app."""

    name = "demo"
    verbose_name = "Demo data"

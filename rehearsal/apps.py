from django.apps import AppConfig


class RehearsalConfig(AppConfig):
    """The load-test harness, an app only so that `manage.py rehearse` is found: no models,
    no URLs, nothing at runtime for the product."""

    name = "rehearsal"
    verbose_name = "Capacity rehearsal"

from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class DiscussionsConfig(AppConfig):
    name = "discussions"
    verbose_name = "Breakout discussions"

    def ready(self) -> None:
        from discussions import offload

        # Only facilitators and organizers log in, and they will ask for a synthesis or an
        # export: the process that builds them starts now, not on that first request.
        user_logged_in.connect(offload.warm_on_login, dispatch_uid="offload-warm")

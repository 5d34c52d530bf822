from django.apps import AppConfig


class LabConfig(AppConfig):
    name = "tests.lab"
    label = "lab"
    verbose_name = "Lab (tests only)"

    def ready(self):
        from tests.lab import subscribers  # noqa: F401  (registers the lab projections)

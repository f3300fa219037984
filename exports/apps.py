from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ExportsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "exports"

    def ready(self):
        from exports.schedules import ensure_sweep_schedule

        post_migrate.connect(ensure_sweep_schedule, sender=self)

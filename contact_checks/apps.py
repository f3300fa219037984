from django.apps import AppConfig


class ContactChecksConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "contact_checks"
    verbose_name = "Do Not Contact checks"

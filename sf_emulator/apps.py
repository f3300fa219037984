from django.apps import AppConfig


class SfEmulatorConfig(AppConfig):
    """The local Salesforce emulator; it keeps no Django models."""

    name = "sf_emulator"
    verbose_name = "Salesforce emulator"

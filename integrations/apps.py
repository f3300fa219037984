from django.apps import AppConfig
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

from integrations.crypto import fernet


class IntegrationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "integrations"

    def ready(self):
        checks.register(check_token_encryption_key)


def check_token_encryption_key(app_configs, **kwargs):
    """Report a TOKEN_ENCRYPTION_KEY that cannot encrypt, before a request needs it."""
    try:
        fernet()
    except ImproperlyConfigured as error:
        return [checks.Error(str(error), id="integrations.E001")]
    return []

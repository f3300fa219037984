"""The Salesforce connection of each Artisan account."""

from django.conf import settings
from django.db import models

from integrations.crypto import EncryptedTextField, TokenDecryptionError
from outreach.models import Account

TOKEN_FIELDS = ("access_token", "refresh_token")


class SalesforceConnectionManager(models.Manager):
    """Default manager that defers both tokens until code reads one.

    Listing connections needs no decryption, so a wrong TOKEN_ENCRYPTION_KEY
    fails only token reads. `account.salesforce_connection` still loads both.
    """

    def get_queryset(self):
        return super().get_queryset().defer(*TOKEN_FIELDS)


class SalesforceConnection(models.Model):
    """One account's authorized org: where to call, as whom, and with which tokens.

    Tokens are encrypted at rest. Links and synced messages refer to `org_id`,
    not to this row, so a reconnect to the same org resumes on them.
    """

    class State(models.TextChoices):
        CONNECTED = "connected", "connected"
        NEEDS_RECONNECT = "needs_reconnect", "needs reconnect"
        DISCONNECTED = "disconnected", "disconnected"

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="salesforce_connection"
    )
    org_id = models.CharField("org id", max_length=18, db_index=True)
    instance_url = models.URLField(
        help_text="Base of every API call, from the token response."
    )
    login_url = models.URLField(
        help_text="OAuth host that issued the tokens; refreshes go here."
    )
    is_sandbox = models.BooleanField(default=False)
    salesforce_user_id = models.CharField(max_length=18)
    salesforce_username = models.CharField(max_length=255, blank=True)
    authorized_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    access_token = EncryptedTextField(blank=True)
    refresh_token = EncryptedTextField(blank=True)
    previous_org_id = models.CharField(
        max_length=18,
        blank=True,
        help_text="Set when a reconnect authorized a different org than before.",
    )
    state = models.CharField(
        max_length=20, choices=State.choices, default=State.CONNECTED
    )
    last_error = models.TextField(blank=True)
    api_usage_used = models.PositiveIntegerField(
        null=True, blank=True, help_text="From the last Sforce-Limit-Info header."
    )
    api_usage_max = models.PositiveIntegerField(null=True, blank=True)
    connected_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = SalesforceConnectionManager()

    def __str__(self):
        return f"{self.account.slug} → {self.org_id} ({self.get_state_display()})"

    @property
    def is_usable(self) -> bool:
        return self.state == self.State.CONNECTED

    def readable_token(self, field_name: str) -> str | None:
        """Return the token in `field_name`, or None when no configured key decrypts it."""
        try:
            return getattr(self, field_name)
        except TokenDecryptionError:
            return None

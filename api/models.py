"""API keys: how the outreach engine proves which account it writes for."""

from django.conf import settings
from django.db import models

from outreach.models import Account


class ApiKey(models.Model):
    """API key of one account. Only its SHA-256 is stored, and the key is shown once."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(
        max_length=100,
        blank=True,
        help_text="What uses the key, e.g. 'outreach engine (production)'.",
    )
    prefix = models.CharField(
        max_length=16,
        unique=True,
        editable=False,
        help_text="Start of the key, not secret: finds the key and names it in logs.",
    )
    key_hash = models.CharField(
        "key hash", max_length=64, editable=False, help_text="SHA-256 of the key, hex."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    last_used_at = models.DateTimeField(
        null=True, blank=True, help_text="Updated at most once a minute."
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["account", "-created_at"]
        verbose_name = "API key"

    def __str__(self):
        return f"{self.prefix} ({self.name or 'unnamed'})"

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

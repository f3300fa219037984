"""Encryption at rest for OAuth tokens.

Tokens are encrypted with Fernet (AES-128-CBC with HMAC-SHA256) under
TOKEN_ENCRYPTION_KEY from the environment. Several comma-separated keys may be
given: the first encrypts, all decrypt, so a key can be rotated without
re-connecting every org. To rotate, append the new key on every process, then
move it to the front, run `manage.py reencrypt_tokens`, and drop the old key.
In this order, no process meets a token encrypted under a key it lacks.
"""

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


class TokenDecryptionError(Exception):
    """A stored token cannot be decrypted with any configured key."""


def fernet() -> MultiFernet:
    """Return the MultiFernet of TOKEN_ENCRYPTION_KEY; raise ImproperlyConfigured."""
    keys = [
        key.strip() for key in settings.TOKEN_ENCRYPTION_KEY.split(",") if key.strip()
    ]
    if not keys:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEY is empty. Generate one with "
            "`python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except ValueError as error:
        raise ImproperlyConfigured(
            "TOKEN_ENCRYPTION_KEY contains a value that is not a Fernet key (32 "
            "url-safe base64-encoded bytes); check for a truncated key or a stray "
            "character."
        ) from error


def encrypt(plaintext: str) -> str:
    return fernet().encrypt(plaintext.encode()).decode()


def decrypt(ciphertext: str) -> str:
    try:
        return fernet().decrypt(ciphertext.encode()).decode()
    except InvalidToken as error:
        raise TokenDecryptionError(
            "A stored Salesforce token could not be decrypted: TOKEN_ENCRYPTION_KEY "
            "does not contain the key it was encrypted with. Restore that key, or "
            "reconnect Salesforce in Settings → Integrations → Salesforce."
        ) from error


class EncryptedTextField(models.TextField):
    """Text stored as a Fernet token and read and written as plaintext in Python."""

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

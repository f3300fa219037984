"""Create, check and revoke the API keys of accounts.

A key reads `ask_<prefix>_<secret>`. The prefix finds the stored row, and the
SHA-256 of the whole key must equal the stored hash. A salted, slow password
hash would only slow every request down. It adds nothing here, because the
secret is 32 random bytes and cannot be guessed.
"""

import hashlib
import hmac
import logging
import secrets
from datetime import timedelta

from django.db.models import QuerySet
from django.utils import timezone

from api.models import ApiKey

logger = logging.getLogger(__name__)

KEY_SCHEME = "ask"
# Eight hex digits are short enough to read out, and with 2**32 values a clash
# is unlikely. The unique constraint on `prefix` turns one into an error.
PREFIX_BYTES = 4
SECRET_BYTES = 32
# `last_used_at` is for people reading the admin, so one write a minute is
# enough, and a busy client does not turn every request into a write.
LAST_USED_PRECISION = timedelta(minutes=1)
CREATE_KEY_HINT = "manage.py create_api_key --account SLUG"


class ApiKeyError(Exception):
    """Error for a key that does not authenticate, with a message giving the fix."""


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def create_api_key(account, *, name: str = "", created_by=None) -> tuple[ApiKey, str]:
    """Store a new key of `account` and return the row and the key.

    The key itself is not stored anywhere, so the caller must show it now.
    """
    prefix = secrets.token_hex(PREFIX_BYTES)
    key = f"{KEY_SCHEME}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
    api_key = ApiKey.objects.create(
        account=account,
        name=name,
        prefix=prefix,
        key_hash=hash_key(key),
        created_by=created_by,
    )
    logger.info(
        "Created API key %s for account %s",
        prefix,
        account.pk,
        extra={"account_id": account.pk, "api_key_prefix": prefix},
    )
    return api_key, key


def authenticate_key(key: str) -> ApiKey:
    """Return the active key row matching `key`, with its account loaded.

    Raises ApiKeyError when the key is malformed, unknown or revoked.
    """
    scheme, _, rest = key.partition("_")
    prefix, _, secret = rest.partition("_")
    if scheme != KEY_SCHEME or not prefix or not secret:
        raise ApiKeyError(
            f"The API key is malformed: artisan-sf keys read "
            f"{KEY_SCHEME}_<prefix>_<secret>. Send the whole key printed by "
            f"`{CREATE_KEY_HINT}`."
        )

    api_key = ApiKey.objects.select_related("account").filter(prefix=prefix).first()
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_key(key)):
        raise ApiKeyError(
            f"The API key with prefix {prefix} is not valid. Check that the whole "
            f"key was copied, or create a new one with `{CREATE_KEY_HINT}`."
        )
    if api_key.revoked_at is not None:
        raise ApiKeyError(
            f"The API key with prefix {prefix} was revoked at "
            f"{api_key.revoked_at.isoformat(timespec='seconds')}. Create a new one "
            f"with `{CREATE_KEY_HINT}`."
        )

    _record_use(api_key)
    return api_key


def _record_use(api_key: ApiKey) -> None:
    now = timezone.now()
    if api_key.last_used_at and now - api_key.last_used_at < LAST_USED_PRECISION:
        return
    ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
    api_key.last_used_at = now


def revoke_api_keys(keys: QuerySet[ApiKey]) -> int:
    """Revoke the keys that are still active and return how many were revoked."""
    active = keys.filter(revoked_at__isnull=True)
    prefixes = list(active.values_list("prefix", flat=True))
    revoked = active.update(revoked_at=timezone.now())
    if revoked:
        logger.info("Revoked %s API keys: %s", revoked, ", ".join(prefixes))
    return revoked

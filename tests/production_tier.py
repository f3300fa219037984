"""Reachability of the production tier's PostgreSQL and Redis for tests.

Tests that need them skip with the reason where they are not running, except
under CI=true, where a missing service is a failure: CI must exercise them.
"""

import os
import socket

import pytest

POSTGRES_ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgres://postgres@127.0.0.1:5432/postgres"
)
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


def _reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def require_production_tier() -> None:
    """Skip the calling test unless PostgreSQL and Redis accept connections.

    On CI (CI=true) the test fails instead of being skipped.
    """
    missing = [
        name
        for name, port in (("PostgreSQL", 5432), ("Redis", 6379))
        if not _reachable("127.0.0.1", port)
    ]
    if not missing:
        return
    reason = (
        f"{' and '.join(missing)} not reachable on 127.0.0.1; start them with "
        "`make services` to run the production-tier tests"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)

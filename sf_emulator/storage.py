"""The emulator's own storage: one SQLite file in the data directory.

It contains orgs, users, connected apps, OAuth codes and tokens, records and API
counters. One connection serves every thread, guarded by a re-entrant lock;
`transaction()` groups writes so that an all-or-none request can roll back.
Tokens, codes and passwords are stored only as hashes.
"""

import hashlib
import hmac
import json
import secrets
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SCHEMA = """
CREATE TABLE IF NOT EXISTS connected_apps (
    client_id TEXT PRIMARY KEY,
    client_secret TEXT NOT NULL,
    name TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS orgs (
    org_id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    config TEXT NOT NULL,
    faults TEXT NOT NULL DEFAULT '{}',
    api_used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (
    user_id TEXT PRIMARY KEY,
    org_id TEXT NOT NULL,
    username TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS tokens (
    token_hash TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    client_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    refresh_hash TEXT,
    issued_at INTEGER NOT NULL,
    revoked INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS tokens_by_refresh ON tokens (refresh_hash);
CREATE TABLE IF NOT EXISTS auth_codes (
    code_hash TEXT PRIMARY KEY,
    client_id TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    org_id TEXT NOT NULL,
    user_id TEXT NOT NULL,
    scope TEXT NOT NULL,
    code_challenge TEXT,
    expires_at REAL NOT NULL,
    used INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    org_id TEXT NOT NULL,
    sobject TEXT NOT NULL,
    is_deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS records_by_object ON records (org_id, sobject);
CREATE TABLE IF NOT EXISTS api_calls (
    org_id TEXT NOT NULL,
    endpoint TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (org_id, endpoint)
);
"""
PASSWORD_ITERATIONS = 20_000


def hash_secret(value: str) -> str:
    """Hash a token or code for lookup; they are random, so no salt is needed."""
    return hashlib.sha256(value.encode()).hexdigest()


def hash_password(password: str) -> str:
    salt = secrets.token_hex(8)
    digest = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt.encode(), PASSWORD_ITERATIONS
    ).hex()
    return f"{salt}${digest}"


def check_password(password: str, stored: str) -> bool:
    salt, digest = stored.split("$", 1)
    candidate = hashlib.pbkdf2_hmac(
        "sha256", password.encode(), salt.encode(), PASSWORD_ITERATIONS
    ).hex()
    return hmac.compare_digest(candidate, digest)


class LimitExceeded(Exception):
    """The org has used up its daily API request allowance."""


class Storage:
    """Thread-safe access to the emulator's SQLite database."""

    def __init__(self, path: Path):
        self._connection = sqlite3.connect(
            path, check_same_thread=False, isolation_level=None
        )
        self._connection.row_factory = sqlite3.Row
        self._lock = threading.RLock()
        self._depth = 0
        with self._lock:
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._connection.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Run the block atomically; nested blocks become savepoints."""
        with self._lock:
            savepoint = f"level{self._depth}"
            if self._depth == 0:
                self._connection.execute("BEGIN IMMEDIATE")
            else:
                self._connection.execute(f"SAVEPOINT {savepoint}")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if self._depth == 0:
                    self._connection.execute("ROLLBACK")
                else:
                    self._connection.execute(f"ROLLBACK TO {savepoint}")
                    self._connection.execute(f"RELEASE {savepoint}")
                raise
            self._depth -= 1
            if self._depth == 0:
                self._connection.execute("COMMIT")
            else:
                self._connection.execute(f"RELEASE {savepoint}")

    def _execute(self, sql: str, parameters: tuple = ()) -> sqlite3.Cursor:
        with self._lock:
            return self._connection.execute(sql, parameters)

    def _one(self, sql: str, parameters: tuple = ()) -> sqlite3.Row | None:
        with self._lock:
            return self._connection.execute(sql, parameters).fetchone()

    # Connected apps

    def save_connected_app(self, client_id: str, client_secret: str, name: str):
        self._execute(
            "INSERT INTO connected_apps (client_id, client_secret, name)"
            " VALUES (?, ?, ?) ON CONFLICT (client_id) DO UPDATE"
            " SET client_secret = excluded.client_secret, name = excluded.name",
            (client_id, client_secret, name),
        )

    def connected_app(self, client_id: str) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM connected_apps WHERE client_id = ?", (client_id,)
        )

    # Orgs and users

    def has_orgs(self) -> bool:
        return self._one("SELECT 1 FROM orgs LIMIT 1") is not None

    def create_org(self, org_id: str, name: str, config: dict) -> None:
        self._execute(
            "INSERT INTO orgs (org_id, name, config) VALUES (?, ?, ?)",
            (org_id, name, json.dumps(config)),
        )

    def org(self, org_id: str) -> dict | None:
        row = self._one("SELECT * FROM orgs WHERE org_id = ?", (org_id,))
        if row is None:
            return None
        return {
            "org_id": row["org_id"],
            "name": row["name"],
            "config": json.loads(row["config"]),
            "faults": json.loads(row["faults"]),
            "api_used": row["api_used"],
        }

    def org_ids(self) -> list[str]:
        with self._lock:
            rows = self._connection.execute("SELECT org_id FROM orgs").fetchall()
        return [row["org_id"] for row in rows]

    def save_org_config(self, org_id: str, config: dict) -> None:
        self._execute(
            "UPDATE orgs SET config = ? WHERE org_id = ?", (json.dumps(config), org_id)
        )

    def save_faults(self, org_id: str, faults: dict) -> None:
        self._execute(
            "UPDATE orgs SET faults = ? WHERE org_id = ?", (json.dumps(faults), org_id)
        )

    def create_user(
        self, org_id: str, user_id: str, username: str, password: str
    ) -> None:
        self._execute(
            "INSERT INTO users (user_id, org_id, username, password_hash)"
            " VALUES (?, ?, ?, ?)",
            (user_id, org_id, username, hash_password(password)),
        )

    def authenticate(self, username: str, password: str) -> sqlite3.Row | None:
        """Return the user row when the username and password match."""
        row = self._one("SELECT * FROM users WHERE username = ?", (username,))
        if row is None or not check_password(password, row["password_hash"]):
            return None
        return row

    def username_taken(self, username: str) -> bool:
        return (
            self._one("SELECT 1 FROM users WHERE username = ?", (username,)) is not None
        )

    # OAuth codes and tokens

    def save_code(self, code: str, **fields) -> None:
        self._execute(
            "INSERT INTO auth_codes (code_hash, client_id, redirect_uri, org_id,"
            " user_id, scope, code_challenge, expires_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_secret(code),
                fields["client_id"],
                fields["redirect_uri"],
                fields["org_id"],
                fields["user_id"],
                fields["scope"],
                fields["code_challenge"],
                fields["expires_at"],
            ),
        )

    def consume_code(self, code: str) -> sqlite3.Row | None:
        """Return an unused, unexpired code's row and mark it used."""
        with self.transaction():
            row = self._one(
                "SELECT * FROM auth_codes WHERE code_hash = ?", (hash_secret(code),)
            )
            if row is None or row["used"] or row["expires_at"] < time.time():
                return None
            self._execute(
                "UPDATE auth_codes SET used = 1 WHERE code_hash = ?",
                (row["code_hash"],),
            )
            return row

    def save_token(
        self,
        token: str,
        *,
        kind: str,
        org_id: str,
        user_id: str,
        client_id: str,
        scope: str,
        refresh_token: str | None = None,
    ) -> None:
        self._execute(
            "INSERT INTO tokens (token_hash, kind, org_id, user_id, client_id, scope,"
            " refresh_hash, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                hash_secret(token),
                kind,
                org_id,
                user_id,
                client_id,
                scope,
                hash_secret(refresh_token) if refresh_token else None,
                int(time.time() * 1000),
            ),
        )

    def valid_token(self, token: str, kind: str) -> sqlite3.Row | None:
        return self._one(
            "SELECT * FROM tokens WHERE token_hash = ? AND kind = ? AND revoked = 0",
            (hash_secret(token), kind),
        )

    def revoke_token(self, token: str) -> bool:
        """Revoke a token, and a refresh token's access tokens with it."""
        token_hash = hash_secret(token)
        with self.transaction():
            row = self._one(
                "SELECT kind FROM tokens WHERE token_hash = ? AND revoked = 0",
                (token_hash,),
            )
            if row is None:
                return False
            self._execute(
                "UPDATE tokens SET revoked = 1 WHERE token_hash = ? OR refresh_hash = ?",
                (token_hash, token_hash),
            )
            return True

    def expire_access_tokens(self, org_id: str) -> int:
        cursor = self._execute(
            "UPDATE tokens SET revoked = 1 WHERE org_id = ? AND kind = 'access'",
            (org_id,),
        )
        return cursor.rowcount

    # Records

    def insert_record(self, org_id: str, sobject: str, record: dict) -> None:
        self._execute(
            "INSERT INTO records (id, org_id, sobject, data) VALUES (?, ?, ?, ?)",
            (record["Id"], org_id, sobject, json.dumps(record)),
        )

    def save_record(self, record: dict, *, is_deleted: bool = False) -> None:
        self._execute(
            "UPDATE records SET data = ?, is_deleted = ? WHERE id = ?",
            (json.dumps(record), int(is_deleted), record["Id"]),
        )

    def record(self, org_id: str, record_id: str) -> tuple[str, dict] | None:
        """Return (object name, record) for any id in the org, deleted or not."""
        row = self._one(
            "SELECT sobject, data FROM records WHERE id = ? AND org_id = ?",
            (record_id, org_id),
        )
        if row is None:
            return None
        return row["sobject"], json.loads(row["data"])

    def records(
        self, org_id: str, sobject: str, *, include_deleted: bool = False
    ) -> list[dict]:
        sql = "SELECT data FROM records WHERE org_id = ? AND sobject = ?"
        if not include_deleted:
            sql += " AND is_deleted = 0"
        with self._lock:
            rows = self._connection.execute(sql + " ORDER BY seq", (org_id, sobject))
            return [json.loads(row["data"]) for row in rows.fetchall()]

    # API request accounting

    def count_api_call(self, org_id: str, endpoint: str, limit: int) -> int:
        """Count one API request and return the org's usage including it.

        Raises LimitExceeded, counting nothing, when the org has no
        requests left.
        """
        with self.transaction():
            used = self._one("SELECT api_used FROM orgs WHERE org_id = ?", (org_id,))[
                "api_used"
            ]
            if used >= limit:
                raise LimitExceeded(org_id)
            self._execute(
                "UPDATE orgs SET api_used = api_used + 1 WHERE org_id = ?", (org_id,)
            )
            self._execute(
                "INSERT INTO api_calls (org_id, endpoint, count) VALUES (?, ?, 1)"
                " ON CONFLICT (org_id, endpoint) DO UPDATE SET count = count + 1",
                (org_id, endpoint),
            )
            return used + 1

    def set_api_used(self, org_id: str, used: int) -> None:
        self._execute("UPDATE orgs SET api_used = ? WHERE org_id = ?", (used, org_id))

    def api_calls(self, org_id: str) -> dict[str, int]:
        with self._lock:
            rows = self._connection.execute(
                "SELECT endpoint, count FROM api_calls WHERE org_id = ?"
                " ORDER BY endpoint",
                (org_id,),
            ).fetchall()
        return {row["endpoint"]: row["count"] for row in rows}

    def reset_api_calls(self, org_id: str) -> None:
        with self.transaction():
            self._execute("DELETE FROM api_calls WHERE org_id = ?", (org_id,))
            self._execute("UPDATE orgs SET api_used = 0 WHERE org_id = ?", (org_id,))

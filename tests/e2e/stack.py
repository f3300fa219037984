"""The service as separate processes on one database: a web server and workers.

End-to-end tests post to the real API over HTTP with a real key, let real
`manage.py qcluster` workers export to the emulator, and read the database
directly (sqlite3 or psycopg) to see what the workers did.
"""

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from contextlib import closing
from pathlib import Path

import psycopg
import redis
import requests

ROOT = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 60


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Stack:
    """Web server and django-q2 workers sharing `database_url`, with their logs."""

    def __init__(self, log_dir: Path, emulator, *, database_url: str, **env: str):
        self.log_dir = log_dir
        self.emulator = emulator
        self.database_url = database_url
        self.processes: dict[str, subprocess.Popen] = {}
        self.web_url = ""
        self.env = {
            name: value
            for name, value in os.environ.items()
            if name not in ("DATABASE_URL", "REDIS_URL")
        }
        self.env.update(
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="artisan_sf.settings",
            SALESFORCE_LOGIN_URL=emulator.base_url,
            SALESFORCE_CA_BUNDLE=emulator.ca_path,
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            PYTHONUNBUFFERED="1",
            LOG_LEVEL="INFO",
            **env,
        )
        log_dir.mkdir(parents=True, exist_ok=True)

    # --- processes ---------------------------------------------------------

    def run(self, *args: str) -> str:
        """Run a Python module or script of the project; return its output."""
        result = subprocess.run(  # noqa: S603 (fixed interpreter, test arguments)
            [sys.executable, *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def migrate(self) -> None:
        self.run("manage.py", "migrate", "--noinput", "-v0")

    def create_account(
        self,
        slug: str,
        org: dict,
        trigger: str = "all",
        advanced_config: dict | None = None,
    ) -> dict:
        """Create a connected account; returns {"account_id", "api_key"}."""
        output = self.run(
            "-m",
            "tests.e2e.accounts",
            "--slug",
            slug,
            # One token each: a generated password may start with "-".
            f"--org-username={org['username']}",
            f"--org-password={org['password']}",
            "--emulator-url",
            self.emulator.base_url,
            "--ca-path",
            self.emulator.ca_path,
            "--trigger",
            trigger,
            "--advanced-config",
            json.dumps(advanced_config or {}),
        )
        return json.loads(output.strip().splitlines()[-1])

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        log = open(self.log_dir / f"{name}.log", "w")  # noqa: SIM115 (closed in stop)
        process = subprocess.Popen(  # noqa: S603
            [sys.executable, *args],
            cwd=ROOT,
            env={**self.env, **env},
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        process.log = log
        self.processes[name] = process
        return process

    def start_web(self) -> None:
        port = free_port()
        self.start("web", "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload")
        self.web_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
        while time.monotonic() < deadline:
            self._check_alive()
            try:
                if requests.get(f"{self.web_url}/api/v1/docs", timeout=2).ok:
                    return
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        raise AssertionError(f"web server did not start:\n{self.logs()}")

    def start_worker(self, name: str = "worker", workers: int = 1) -> None:
        self.start(name, "manage.py", "qcluster", Q_WORKERS=str(workers))

    def stop(self) -> None:
        """Stop every process; what has not exited after five seconds is killed."""
        for process in self.processes.values():
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + 5
        for process in self.processes.values():
            try:
                process.wait(timeout=max(deadline - time.monotonic(), 0.1))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            process.log.close()

    def _check_alive(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is not None:
                raise AssertionError(
                    f"{name} exited with code {process.returncode}:\n{self.logs()}"
                )

    def logs(self, lines: int = 40) -> str:
        """The last lines of every process log, for assertion messages."""
        parts = []
        for path in sorted(self.log_dir.glob("*.log")):
            tail = path.read_text(errors="replace").splitlines()[-lines:]
            parts.append(f"--- {path.name}\n" + "\n".join(tail))
        return "\n".join(parts)

    # --- the API -----------------------------------------------------------

    def post(self, api_key: str, path: str, body: dict) -> dict:
        response = requests.post(
            f"{self.web_url}/api/v1/{path}",
            json=body,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=30,
        )
        assert response.status_code == 200, response.text
        return response.json()

    # --- the database ------------------------------------------------------

    def sql(self, query: str, *params) -> list[tuple]:
        """Run a read-only query with %s placeholders; return all rows."""
        if self.database_url.startswith("sqlite:///"):
            path = self.database_url.removeprefix("sqlite:///")
            with closing(sqlite3.connect(path, timeout=30)) as db:
                return db.execute(query.replace("%s", "?"), params).fetchall()
        with psycopg.connect(self.database_url) as db:
            return db.execute(query, params).fetchall()

    def wait_until_idle(self, account_id: int, timeout: float = 90) -> None:
        """Wait until nothing is queued or running for the account, twice in a row.

        Raises AssertionError with the process logs when the time runs out.
        """
        deadline = time.monotonic() + timeout
        quiet_polls = 0
        while time.monotonic() < deadline:
            self._check_alive()
            quiet_polls = quiet_polls + 1 if self._idle(account_id) else 0
            if quiet_polls == 2:
                return
            time.sleep(0.5)
        raise AssertionError(
            f"account {account_id} still exporting after {timeout} s:\n{self.logs()}"
        )

    def _idle(self, account_id: int) -> bool:
        [(busy_rows,)] = self.sql(
            "SELECT count(*) FROM exports_exporttask "
            "WHERE account_id = %s AND state != 'idle'",
            account_id,
        )
        [(running,)] = self.sql(
            "SELECT count(*) FROM exports_exportrun "
            "WHERE account_id = %s AND status = 'running'",
            account_id,
        )
        if "REDIS_URL" in self.env:
            queue = f"django_q:{self.env['Q_CLUSTER_NAME']}:q"
            with closing(redis.Redis.from_url(self.env["REDIS_URL"])) as broker:
                queued = broker.llen(queue)
        else:
            [(queued,)] = self.sql("SELECT count(*) FROM django_q_ormq")
        return busy_rows == running == queued == 0

    def wait_for_tasks(self, task_ids: list[str], timeout: float = 90) -> None:
        """Wait until django-q2 has saved the result of every task in `task_ids`."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self._check_alive()
            [(done,)] = self.sql(
                "SELECT count(*) FROM django_q_task WHERE id = ANY(%s)", task_ids
            )
            if done == len(task_ids):
                return
            time.sleep(0.5)
        raise AssertionError(
            f"tasks still unfinished after {timeout} s:\n{self.logs()}"
        )

    def runs(self, account_id: int) -> list[dict]:
        """The account's export runs, oldest first."""
        rows = self.sql(
            "SELECT id, trigger, status, created_count, linked_count, updated_count, "
            "failed_count, "
            "messages_synced_count, messages_failed_count, error, started_at, "
            "finished_at FROM exports_exportrun WHERE account_id = %s ORDER BY id",
            account_id,
        )
        names = (
            "id trigger status created linked updated failed messages_synced "
            "messages_failed error started_at finished_at"
        ).split()
        return [dict(zip(names, row, strict=True)) for row in rows]

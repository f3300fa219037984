"""Start and stop the emulator as a subprocess, for tests and scripts."""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from sf_emulator.client import EmulatorControl

READY_LINE = re.compile(r"listening on (https://\S+) \(CA bundle: (.+)\)")
PROJECT_ROOT = Path(__file__).resolve().parent.parent


class EmulatorStartError(RuntimeError):
    """The emulator process exited or did not become healthy in time."""


class EmulatorProcess:
    """An emulator on a free port with its own temporary data directory.

    Use as a context manager, or call start() and stop(). After start(),
    base_url, ca_path and control (an EmulatorControl) are set.
    """

    def __init__(
        self,
        data_dir: str | Path | None = None,
        *,
        startup_timeout: float = 30.0,
        extra_args: list[str] | None = None,
    ):
        self._temporary_dir = None
        if data_dir is None:
            self._temporary_dir = tempfile.TemporaryDirectory(prefix="sf-emulator-")
            data_dir = self._temporary_dir.name
        self.data_dir = Path(data_dir)
        self.startup_timeout = startup_timeout
        self.extra_args = extra_args or []
        self.base_url: str | None = None
        self.ca_path: str | None = None
        self.control: EmulatorControl | None = None
        self._process: subprocess.Popen | None = None
        self._output: list[str] = []

    def start(self) -> "EmulatorProcess":
        """Start the process and wait until /_emulator/health responds.

        Raises EmulatorStartError, with the process output, when it exits or
        does not become healthy within startup_timeout seconds.
        """
        command = [
            sys.executable,
            "-m",
            "sf_emulator",
            "--port",
            "0",
            "--data-dir",
            str(self.data_dir),
            *self.extra_args,
        ]
        # The command is this interpreter and fixed arguments, not user input.
        self._process = subprocess.Popen(  # noqa: S603
            command,
            cwd=PROJECT_ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        ready = threading.Event()
        threading.Thread(target=self._read_output, args=(ready,), daemon=True).start()
        deadline = time.monotonic() + self.startup_timeout
        if not ready.wait(self.startup_timeout) or self.base_url is None:
            self.stop()
            raise EmulatorStartError(self._failure("did not print its ready line"))
        self.control = EmulatorControl(self.base_url, self.ca_path)
        while time.monotonic() < deadline:
            try:
                self.control.health()
                return self
            except requests.RequestException:
                time.sleep(0.1)
        self.stop()
        raise EmulatorStartError(self._failure("did not respond on /_emulator/health"))

    def _read_output(self, ready: threading.Event) -> None:
        for line in self._process.stdout:
            self._output.append(line)
            match = READY_LINE.search(line)
            if match and not ready.is_set():
                self.base_url, self.ca_path = match.group(1), match.group(2).strip()
                ready.set()
        ready.set()

    def _failure(self, what: str) -> str:
        output = "".join(self._output[-50:]) or "(no output)"
        return f"The Salesforce emulator {what}. Its output:\n{output}"

    @property
    def output(self) -> str:
        """Everything the process has printed so far."""
        return "".join(self._output)

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process, and kill it if it has not exited in time."""
        if self._process is not None and self._process.poll() is None:
            self._process.terminate()
            try:
                self._process.wait(timeout)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(timeout)
        if self._temporary_dir is not None:
            self._temporary_dir.cleanup()
            self._temporary_dir = None

    def __enter__(self) -> "EmulatorProcess":
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

"""Run artisan-sf end to end on this machine: `make demo`.

Starts the Salesforce emulator, the web server and a django-q2 worker,
connects a demo account through the real OAuth flow, imports leads, seeds a
few emails per lead, exports them through the worker and prints the summary.

Environment:
  DEMO_ONCE=1            stop everything and exit after the summary
  DEMO_LEADS=PATH        CSV to export instead of data/sample-leads.csv
  DEMO_DIR=PATH          state folder, reset at every start (default var/demo);
                         give each demo that runs at the same time its own
  DEMO_WEB_PORT, DEMO_EMULATOR_PORT   ports (default 8000 and 8765)
  DATABASE_URL, REDIS_URL             production tier instead of the embedded
                                      SQLite file and ORM broker
"""

import fcntl
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sf_emulator.consent import connect_through_consent  # noqa: E402

PYTHON = sys.executable
DEMO_ACCOUNT = "demo"
DEMO_USER = "demo"
DEMO_ORG_USERNAME = "admin@demo-org.example"
DEMO_ORG_PASSWORD = "demo-password"  # noqa: S105 (the emulator's documented demo org)
STARTUP_TIMEOUT_SECONDS = 60
EXPORT_TIMEOUT_SECONDS = 600


class DemoError(Exception):
    """A step of the demo failed; the message names the step and what to check."""


def main() -> int:
    once = os.environ.get("DEMO_ONCE") == "1"
    leads_path = Path(
        os.environ.get("DEMO_LEADS") or ROOT / "data" / "sample-leads.csv"
    )
    demo_dir = Path(os.environ.get("DEMO_DIR") or ROOT / "var" / "demo").resolve()
    web_port = int(os.environ.get("DEMO_WEB_PORT", "8000"))
    emulator_port = int(os.environ.get("DEMO_EMULATOR_PORT", "8765"))
    processes: list[subprocess.Popen] = []
    lock = None
    # SIGTERM stops the demo like Ctrl-C does, so no child outlives it.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        lock = hold_demo_lock(demo_dir)
        env = prepare(demo_dir, leads_path, web_port, emulator_port)
        password = secrets.token_urlsafe(12)
        manage(env, "migrate", "--noinput", quiet=True)
        manage(
            env,
            "prepare_demo",
            "--account",
            DEMO_ACCOUNT,
            "--username",
            DEMO_USER,
            # One token: a password that starts with "-" is not an option.
            f"--password={password}",
        )

        processes.append(start_emulator(env, demo_dir, emulator_port))
        processes.append(start_web(env, demo_dir, web_port))
        processes.append(start_worker(env, demo_dir))
        web_url = f"http://127.0.0.1:{web_port}"
        connect(web_url, password, env["SALESFORCE_CA_BUNDLE"])

        manage(
            env,
            "import_leads",
            str(leads_path),
            "--account",
            DEMO_ACCOUNT,
            "--campaign",
            "Demo campaign",
        )
        manage(env, "seed_demo_messages", "--account", DEMO_ACCOUNT)
        summary = export_through_worker(env)
        report(summary, web_url, password, emulator_port, demo_dir)
        if once:
            return 0 if summary["status"] == "succeeded" else 1
        print(
            "Serving until interrupted (Ctrl-C stops the emulator, web server and worker)."
        )
        wait_for_interrupt(processes)
        return 0
    except DemoError as error:
        print(f"demo failed: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 0
    finally:
        stop(processes)
        if lock is not None:
            lock.close()


def hold_demo_lock(demo_dir: Path):
    """Lock the demo folder for this process, so a second demo cannot reset it."""
    demo_dir.parent.mkdir(parents=True, exist_ok=True)
    lock = open(demo_dir.parent / f".{demo_dir.name}.lock", "w")  # noqa: SIM115
    try:
        fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise DemoError(
            f"Another demo is running with its state in {demo_dir}. Stop it first, "
            "or give this one its own folder and ports with DEMO_DIR, DEMO_WEB_PORT "
            "and DEMO_EMULATOR_PORT."
        ) from None
    return lock


def prepare(
    demo_dir: Path, leads_path: Path, web_port: int, emulator_port: int
) -> dict:
    """Reset the demo folder and return the environment of every demo process."""
    if not leads_path.is_file():
        raise DemoError(
            f"No CSV file at {leads_path}. Set DEMO_LEADS to an existing file."
        )
    for port in (web_port, emulator_port):
        ensure_port_free(port)
    if demo_dir.exists():
        shutil.rmtree(demo_dir)
    (demo_dir / "logs").mkdir(parents=True)
    env = dict(os.environ)
    env.setdefault("DATABASE_URL", f"sqlite:///{demo_dir / 'artisan_sf.sqlite3'}")
    env.update(
        {
            "SALESFORCE_LOGIN_URL": f"https://localhost:{emulator_port}",
            "SALESFORCE_CA_BUNDLE": str(demo_dir / "emulator" / "ca.pem"),
            "SALESFORCE_CLIENT_ID": "artisan-local-client",
            "SALESFORCE_CLIENT_SECRET": "artisan-local-secret",
            "DJANGO_ALLOWED_HOSTS": "localhost,127.0.0.1",
            "PYTHONUNBUFFERED": "1",
        }
    )
    tier = "PostgreSQL" if env["DATABASE_URL"].startswith("postgres") else "SQLite"
    broker = "Redis" if env.get("REDIS_URL") else "the ORM broker"
    print(
        f"Demo state in {demo_dir} ({tier}, django-q2 on {broker}); reset at every start."
    )
    return env


def ensure_port_free(port: int) -> None:
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise DemoError(
                f"Port {port} is already in use. Stop what listens there, or set "
                "DEMO_WEB_PORT / DEMO_EMULATOR_PORT to free ports."
            )


def manage(env: dict, *args: str, quiet: bool = False) -> str:
    """Run a management command; raise DemoError with its output if it fails."""
    result = subprocess.run(  # noqa: S603 (fixed executable, arguments from this script)
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise DemoError(f"manage.py {args[0]} failed:\n{result.stdout}{result.stderr}")
    if not quiet and result.stdout.strip():
        print(result.stdout.strip())
    return result.stdout


def start(name: str, command: list[str], env: dict, demo_dir: Path) -> subprocess.Popen:
    log = open(demo_dir / "logs" / f"{name}.log", "w")  # noqa: SIM115 (closed with the process)
    return subprocess.Popen(  # noqa: S603
        command,
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_until(check, what: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise DemoError(f"{what} exited with code {process.returncode}; see {log}")
        try:
            if check():
                return
        except requests.RequestException:
            pass
        time.sleep(0.3)
    raise DemoError(
        f"{what} did not start within {STARTUP_TIMEOUT_SECONDS} s; see {log}"
    )


def start_emulator(env: dict, demo_dir: Path, port: int) -> subprocess.Popen:
    command = [
        PYTHON,
        "-m",
        "sf_emulator",
        "--port",
        str(port),
        "--data-dir",
        str(demo_dir / "emulator"),
    ]
    process = start("emulator", command, env, demo_dir)
    ca_path = Path(env["SALESFORCE_CA_BUNDLE"])

    def healthy() -> bool:
        if not ca_path.exists():
            return False
        session = requests.Session()
        session.trust_env = False
        response = session.get(
            f"https://localhost:{port}/_emulator/health", verify=str(ca_path), timeout=2
        )
        return response.ok

    wait_until(
        healthy, "The Salesforce emulator", process, demo_dir / "logs" / "emulator.log"
    )
    print(f"Salesforce emulator: https://localhost:{port}")
    return process


def start_web(env: dict, demo_dir: Path, port: int) -> subprocess.Popen:
    command = [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"]
    process = start("web", command, env, demo_dir)
    wait_until(
        lambda: requests.get(f"http://127.0.0.1:{port}/accounts/login/", timeout=2).ok,
        "The web server",
        process,
        demo_dir / "logs" / "web.log",
    )
    print(f"Web server: http://127.0.0.1:{port}")
    return process


def start_worker(env: dict, demo_dir: Path) -> subprocess.Popen:
    process = start("worker", [PYTHON, "manage.py", "qcluster"], env, demo_dir)
    time.sleep(1)
    if process.poll() is not None:
        raise DemoError(
            f"The worker exited at start; see {demo_dir / 'logs' / 'worker.log'}"
        )
    print("Worker: django-q2 cluster started")
    return process


def connect(web_url: str, password: str, ca_path: str) -> None:
    """Log in as the demo user and connect Salesforce through the OAuth consent page."""
    session = requests.Session()
    session.trust_env = False
    response = connect_through_consent(
        session=session,
        site_url=web_url,
        site_username=DEMO_USER,
        site_password=password,
        salesforce_username=DEMO_ORG_USERNAME,
        salesforce_password=DEMO_ORG_PASSWORD,
        ca_path=ca_path,
    )
    if (
        response.status_code != 200
        or 'class="state state-connected"' not in response.text
    ):
        raise DemoError(
            f"Connecting Salesforce did not end on a connected settings page "
            f"(HTTP {response.status_code} at {response.url}); see the web log."
        )
    print("Connected the demo account to the emulator org through OAuth.")


def export_through_worker(env: dict) -> dict:
    """Queue the export on the worker, wait for the run and return its summary."""
    output = manage(
        env,
        "export_leads",
        "--account",
        DEMO_ACCOUNT,
        "--enqueue",
        "--wait",
        "--trigger",
        "demo",
        "--timeout",
        str(EXPORT_TIMEOUT_SECONDS),
        "--json",
        quiet=True,
    )
    return json.loads(output.strip().splitlines()[-1])


def report(
    summary: dict, web_url: str, password: str, emulator_port: int, demo_dir: Path
) -> None:
    print()
    print(f"Export {summary['status']}: {summary['summary']}")
    if summary.get("error"):
        print(f"Error: {summary['error']}")
    print()
    print("Where to look:")
    print(f"  settings page  {web_url}/settings/integrations/salesforce/")
    print(
        f"  admin          {web_url}/admin/  (user {DEMO_USER!r}, password {password!r})"
    )
    print(
        f"  emulator org   https://localhost:{emulator_port}/_emulator/ "
        f"(records of every org; CA {demo_dir / 'emulator' / 'ca.pem'})"
    )
    print(f"  logs           {demo_dir / 'logs'}")


def wait_for_interrupt(processes: list[subprocess.Popen]) -> None:
    while True:
        for process in processes:
            if process.poll() is not None:
                raise DemoError(
                    f"The {process.demo_name} process exited with code "
                    f"{process.returncode}; see {process.demo_log}"
                )
        time.sleep(1)


def stop(processes: list[subprocess.Popen]) -> None:
    """Stop every child; a second Ctrl-C meanwhile cannot leave one running."""
    running = [process for process in processes if process.poll() is None]
    if not running:
        return
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    print("Stopping the demo processes (up to 15 s)...", flush=True)
    for process in running:
        os.killpg(process.pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    for process in running:
        try:
            process.wait(timeout=max(deadline - time.monotonic(), 0.1))
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


if __name__ == "__main__":
    sys.exit(main())

"""`make demo` end to end: emulator, web server, worker, OAuth and export.

The demo script runs as a subprocess exactly as `DEMO_ONCE=1 make demo` runs it,
once on the embedded tier (SQLite, django-q2's ORM broker) and once on the
production tier (PostgreSQL, django-q2 on Redis). The org is then read back
through simple-salesforce from the emulator's data the demo left behind.
"""

import csv
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import uuid
from pathlib import Path

import psycopg
import pytest

from sf_emulator.process import EmulatorProcess
from tests.production_tier import POSTGRES_ADMIN_URL, REDIS_URL, require_production_tier

ROOT = Path(__file__).resolve().parents[2]
SAMPLE_CSV = ROOT / "data" / "sample-leads.csv"
SHARED_CSV = ROOT.parent / "shared" / "data" / "leads-100.csv"
DEMO_ORG = {"username": "admin@demo-org.example", "password": "demo-password"}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def distinct_emails(path: Path) -> set[str]:
    with open(path, newline="", encoding="utf-8-sig") as csv_file:
        reader = csv.DictReader(csv_file)
        column = next(name for name in reader.fieldnames if name.startswith("Email"))
        return {row[column].strip().casefold() for row in reader}


def run_demo(
    tmp_path: Path, leads: Path, **extra_env: str
) -> subprocess.CompletedProcess:
    env = dict(os.environ)
    for name in ("DATABASE_URL", "REDIS_URL"):
        env.pop(name, None)
    env.update(
        DEMO_ONCE="1",
        DEMO_LEADS=str(leads),
        DEMO_DIR=str(tmp_path / "demo"),
        DEMO_WEB_PORT=str(free_port()),
        DEMO_EMULATOR_PORT=str(free_port()),
        **extra_env,
    )
    return subprocess.run(  # noqa: S603
        [sys.executable, "scripts/demo.py"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def org_leads(tmp_path: Path) -> list[dict]:
    with EmulatorProcess(data_dir=tmp_path / "demo" / "emulator") as emulator:
        sf = emulator.control.simple_salesforce(DEMO_ORG)
        return sf.query_all(
            "SELECT Id, Email, FirstName, LeadSource, Status FROM Lead"
        )["records"]


def assert_exported(result, tmp_path: Path, leads: Path) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    emails = distinct_emails(leads)
    assert f"Export succeeded: created {len(emails)}, linked 0" in result.stdout
    records = org_leads(tmp_path)
    assert sorted(record["Email"].casefold() for record in records) == sorted(emails)
    assert {record["LeadSource"] for record in records} == {"Artisan AI"}
    assert {record["Status"] for record in records} == {"Open - Not Contacted"}


def test_demo_exports_sample_on_sqlite(tmp_path):
    result = run_demo(tmp_path, SAMPLE_CSV)

    assert_exported(result, tmp_path, SAMPLE_CSV)
    assert (
        "Connected the demo account to the emulator org through OAuth." in result.stdout
    )
    assert "messages synced 36" in result.stdout
    records = org_leads(tmp_path)
    long_name = next(r for r in records if r["Email"].startswith("m.wolfeschlegel"))
    assert long_name["FirstName"] == "Maximiliana Theodora Evangelina Bartholomea"[:40]


@pytest.mark.production
def test_demo_exports_on_postgres_and_redis(tmp_path):
    require_production_tier()
    leads = SHARED_CSV if SHARED_CSV.exists() else SAMPLE_CSV
    database = f"artisan_sf_demo_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{database}"')
    database_url = POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
    try:
        result = run_demo(
            tmp_path,
            leads,
            DATABASE_URL=database_url,
            REDIS_URL=REDIS_URL,
            Q_CLUSTER_NAME=f"demo-test-{uuid.uuid4().hex[:8]}",
        )

        assert_exported(result, tmp_path, leads)
        assert "PostgreSQL, django-q2 on Redis" in result.stdout
        with psycopg.connect(database_url) as connection:
            links = connection.execute(
                "SELECT count(*) FROM exports_leadlink"
            ).fetchone()
            runs = connection.execute(
                "SELECT trigger, status FROM exports_exportrun"
            ).fetchall()
        assert links[0] == len(distinct_emails(leads))
        assert runs == [("demo", "succeeded")]
    finally:
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def load_demo_script():
    spec = importlib.util.spec_from_file_location(
        "demo_script", ROOT / "scripts" / "demo.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_second_demo_on_same_folder_is_refused(tmp_path):
    demo = load_demo_script()
    first = demo.hold_demo_lock(tmp_path / "demo")
    try:
        with pytest.raises(demo.DemoError, match="Another demo is running"):
            demo.hold_demo_lock(tmp_path / "demo")
    finally:
        first.close()

    demo.hold_demo_lock(tmp_path / "demo").close()


def test_sigterm_stops_every_demo_process(tmp_path):
    env = {
        **{
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL")
        },
        "DEMO_DIR": str(tmp_path / "demo"),
        "DEMO_WEB_PORT": str(free_port()),
        "DEMO_EMULATOR_PORT": str(free_port()),
    }
    demo = subprocess.Popen(  # noqa: S603
        [sys.executable, "scripts/demo.py"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = []
    for line in demo.stdout:
        output.append(line)
        if line.startswith("Serving until interrupted"):
            break
    children = subprocess.run(  # noqa: S603
        ["pgrep", "-f", str(tmp_path / "demo")],  # noqa: S607
        capture_output=True,
        text=True,
    ).stdout.split()
    assert "".join(output).count("Export succeeded") == 1, "".join(output)
    assert children, "no demo child processes found"

    demo.send_signal(signal.SIGTERM)
    demo.wait(timeout=60)

    assert demo.returncode == 0
    for pid in children:
        assert not Path(f"/proc/{pid}").exists(), f"process {pid} outlived the demo"

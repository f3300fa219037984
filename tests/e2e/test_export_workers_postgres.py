"""One account's exports never overlap, with two clusters on PostgreSQL and Redis.

The stack gets its own PostgreSQL database and Redis queue name. Two
`manage.py qcluster` processes with two workers each take tasks from the same
queue, and the emulator delays every REST response, so runs would overlap if
nothing kept them apart.
"""

import json
import subprocess
import sys
import uuid

import psycopg
import pytest

from tests.e2e.stack import ROOT, Stack
from tests.production_tier import POSTGRES_ADMIN_URL, REDIS_URL, require_production_tier

pytestmark = pytest.mark.production
SLOW_REST_MS = 250
RAW_TASKS = 6


@pytest.fixture(scope="module")
def stack(tmp_path_factory, emulator):
    require_production_tier()
    name = f"artisan_sf_workers_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    stack = Stack(
        tmp_path_factory.mktemp("workers") / "logs",
        emulator,
        database_url=POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}",
        REDIS_URL=REDIS_URL,
        Q_CLUSTER_NAME=f"workers-test-{uuid.uuid4().hex[:8]}",
    )
    try:
        stack.migrate()
        stack.start_web()
        stack.start_worker("worker-a", workers=2)
        stack.start_worker("worker-b", workers=2)
        yield stack
    finally:
        stack.stop()
        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def conversation(prefix: str, leads: int) -> tuple[list[dict], list[dict]]:
    emails = [f"{prefix}{i}@example.com" for i in range(leads)]
    people = [
        {"email": e, "last_name": f"Lead {i}", "company_name": "Acme"}
        for i, e in enumerate(emails)
    ]
    messages = [
        {
            "lead_email": address,
            "message_identifier": f"<{prefix}-{kind}-{i}@mail.example>",
            "channel": "email",
            "direction": "inbound" if kind == "in" else "outbound",
            "subject": "Quick question",
            "body_text": "Hello",
            "sent_at": "2026-03-02T09:30:00Z",
        }
        for i, address in enumerate(emails)
        for kind in ("in", "out")
    ]
    return people, messages


def overlapping(runs: list[dict]) -> list[tuple[int, int]]:
    """Pairs of runs whose [started_at, finished_at] intervals intersect."""
    ran = sorted(
        (run for run in runs if run["status"] != "refused"),
        key=lambda run: run["started_at"],
    )
    return [
        (earlier["id"], later["id"])
        for earlier, later in zip(ran, ran[1:], strict=False)
        if later["started_at"] < earlier["finished_at"]
    ]


def test_queued_exports_of_one_account_never_overlap(stack, emulator):
    org = emulator.control.create_org(name="Slow Org")
    account = stack.create_account("two-clusters", org)
    emulator.control.set_faults(org["org_id"], latency_ms=SLOW_REST_MS)
    people, messages = conversation("pair", 20)

    stack.post(account["api_key"], "leads", {"campaign": "Outbound", "leads": people})
    stack.post(account["api_key"], "messages", {"messages": messages})
    # Duplicates of the task, as a lost-and-requeued task or an old release
    # would leave them, all at once: only the account's row keeps them apart.
    output = stack.run(
        "manage.py",
        "shell",
        "-c",
        "import json; from django_q.tasks import async_task; print(json.dumps(["
        f"async_task('exports.tasks.export_account', {account['account_id']}, "
        f"'duplicate') for _ in range({RAW_TASKS})]))",
    )
    stack.wait_for_tasks(json.loads(output.strip().splitlines()[-1]))
    stack.wait_until_idle(account["account_id"])

    runs = stack.runs(account["account_id"])
    assert overlapping(runs) == [], runs
    assert {run["status"] for run in runs} == {"succeeded"}, stack.logs()
    assert sum(run["created"] for run in runs) == 20
    assert sum(run["messages_synced"] for run in runs) == 40
    sf = emulator.control.simple_salesforce(org)
    leads = sf.query_all("SELECT Email FROM Lead")["records"]
    assert len(leads) == len({lead["Email"] for lead in leads}) == 20
    identifiers = [
        record["MessageIdentifier"]
        for record in sf.query_all("SELECT MessageIdentifier FROM EmailMessage")[
            "records"
        ]
    ]
    assert sorted(identifiers) == sorted(m["message_identifier"] for m in messages)


def test_database_refuses_a_second_concurrent_run(stack, emulator):
    org = emulator.control.create_org(name="Racing Org")
    account = stack.create_account("two-commands", org)
    emulator.control.set_faults(org["org_id"], latency_ms=2 * SLOW_REST_MS)
    # Stored without the API, so that no queued task joins the race.
    stack.run(
        "manage.py",
        "shell",
        "-c",
        "from outreach.models import Campaign, Lead; "
        f"campaign = Campaign.objects.get(account_id={account['account_id']}); "
        "[Lead.objects.create(campaign=campaign, email=f'race{i}@example.com', "
        "last_name='Racer', company_name='Acme') for i in range(5)]",
    )

    # Two foreground commands bypass the queue; only the database stops one.
    commands = [
        subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "manage.py",
                "export_leads",
                "--account",
                "two-commands",
                "--no-progress",
                "--trigger",
                "race",
            ],
            cwd=ROOT,
            env=stack.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [command.communicate(timeout=120) for command in commands]

    runs = stack.runs(account["account_id"])
    assert sorted(run["status"] for run in runs) == ["refused", "succeeded"], outputs
    [refused] = [run for run in runs if run["status"] == "refused"]
    [succeeded] = [run for run in runs if run["status"] == "succeeded"]
    assert (
        f"Export run {succeeded['id']} of this account is still running"
        in (refused["error"])
    )
    assert succeeded["started_at"] < refused["started_at"] < succeeded["finished_at"]
    assert succeeded["created"] == 5
    sf = emulator.control.simple_salesforce(org)
    assert len(sf.query_all("SELECT Id FROM Lead")["records"]) == 5

"""Soak: several accounts posting in bursts to faulty orgs, exported exactly once.

Slow (about half a minute), so `make soak` runs it and `make test` does not. Each
org loses some write responses after saving, returns 503 to some requests
and is slow. The workers and the sweep must still leave every lead and
message in its org once.
"""

import pytest

from tests.e2e.stack import Stack
from tests.e2e.test_export_worker import email, lead, linkedin

pytestmark = pytest.mark.slow
ACCOUNTS = 4
LEADS_PER_ACCOUNT = 40
BATCHES = 5


@pytest.fixture(scope="module")
def stack(tmp_path_factory, emulator):
    directory = tmp_path_factory.mktemp("soak")
    stack = Stack(
        directory / "logs",
        emulator,
        database_url=f"sqlite:///{directory / 'artisan_sf.sqlite3'}",
    )
    stack.migrate()
    try:
        stack.start_web()
        stack.start_worker(workers=2)
        yield stack
    finally:
        stack.stop()


def conversation(slug: str) -> tuple[list[dict], list[list[dict]]]:
    """The account's leads, and its messages cut into BATCHES posts."""
    addresses = [f"{slug}-{i}@example.com" for i in range(LEADS_PER_ACCOUNT)]
    messages = []
    for i, address in enumerate(addresses):
        messages.append(email(f"<{slug}-out-{i}@artisan.example>", address))
        messages.append(email(f"<{slug}-in-{i}@mail.example>", address, inbound=True))
        messages.append(linkedin(f"{slug}-li-{i}@linkedin", address))
    return [lead(a) for a in addresses], [messages[i::BATCHES] for i in range(BATCHES)]


def test_bursts_to_faulty_orgs_land_once(stack, emulator):
    accounts = []
    for number in range(ACCOUNTS):
        slug = f"soak{number}"
        org = emulator.control.create_org(name=f"Soak Org {number}")
        emulator.control.set_faults(
            org["org_id"],
            latency_ms=30,
            server_errors={"count": 2, "status": 503},
            lose_response_after_save={"count": 3},
        )
        accounts.append((slug, org, stack.create_account(slug, org)))

    posts = {slug: conversation(slug) for slug, _, _ in accounts}
    for slug, _, account in accounts:
        leads, _ = posts[slug]
        stack.post(
            account["api_key"], "leads", {"campaign": "Outbound", "leads": leads}
        )
    for batch in range(BATCHES):
        for slug, _, account in accounts:
            messages = posts[slug][1][batch]
            stack.post(account["api_key"], "messages", {"messages": messages})
    # Runs that ended on a fault leave work behind; the sweep picks it up.
    for _ in range(3):
        for _, _, account in accounts:
            stack.wait_until_idle(account["account_id"], timeout=180)
        stack.run(
            "manage.py",
            "shell",
            "-c",
            "from exports.tasks import sweep_exports; sweep_exports()",
        )

    for slug, org, account in accounts:
        stack.wait_until_idle(account["account_id"], timeout=180)
        sf = emulator.control.simple_salesforce(org)
        leads = [r["Email"] for r in sf.query_all("SELECT Email FROM Lead")["records"]]
        assert sorted(leads) == sorted(p["email"] for p in posts[slug][0])
        identifiers = [
            r["MessageIdentifier"]
            for r in sf.query_all("SELECT MessageIdentifier FROM EmailMessage")[
                "records"
            ]
        ]
        assert len(identifiers) == len(set(identifiers)) == 2 * LEADS_PER_ACCOUNT
        tasks = sf.query_all("SELECT Id FROM Task WHERE TaskSubtype = 'LinkedIn'")
        assert tasks["totalSize"] == LEADS_PER_ACCOUNT
        [(unsynced,)] = stack.sql(
            "SELECT count(*) FROM outreach_message m JOIN outreach_lead l "
            "ON l.id = m.lead_id JOIN outreach_campaign c ON c.id = l.campaign_id "
            "WHERE c.account_id = %s AND NOT EXISTS (SELECT 1 FROM "
            "exports_syncedmessage s WHERE s.message_id = m.id AND s.state = 'synced')",
            account["account_id"],
        )
        assert unsynced == 0, stack.runs(account["account_id"])
        faults = emulator.control.set_faults(org["org_id"])
        # How many writes there are depends on how the posts meet the runs.
        assert faults["lose_response_after_save"]["count"] < 3
        assert faults["server_errors"]["count"] == 0

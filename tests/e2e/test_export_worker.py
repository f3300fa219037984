"""From the intake API to the org through a real worker, on the embedded tier.

One stack per module: a SQLite file shared by `manage.py runserver` and
`manage.py qcluster` (the ORM broker), and the session's emulator. Every test
has its own account and org. The tests post as the outreach engine does, over
HTTP with a real API key, and read the org back through simple-salesforce.
"""

import pytest
from simple_salesforce.format import format_soql

from tests.e2e.stack import Stack

MARKER = "[Truncated by Artisan AI: the full message was 140,007 characters]"


@pytest.fixture(scope="module")
def stack(tmp_path_factory, emulator):
    directory = tmp_path_factory.mktemp("worker")
    stack = Stack(
        directory / "logs",
        emulator,
        database_url=f"sqlite:///{directory / 'artisan_sf.sqlite3'}",
    )
    stack.migrate()
    try:
        stack.start_web()
        stack.start_worker()
        yield stack
    finally:
        stack.stop()


def lead(email: str, **values) -> dict:
    return {
        "email": email,
        "first_name": "Ada",
        "last_name": email.split("@")[0].title(),
        "company_name": "Analytical Engines",
        **values,
    }


def email(identifier: str, lead_email: str, *, inbound=False, **values) -> dict:
    rep = "rep@artisan.example"
    return {
        "lead_email": lead_email,
        "message_identifier": identifier,
        "channel": "email",
        "direction": "inbound" if inbound else "outbound",
        "subject": "Quick question",
        "body_text": "Hello there",
        "from_address": lead_email if inbound else rep,
        "to_address": rep if inbound else lead_email,
        "sent_at": "2026-03-02T09:30:00+02:00",
        **values,
    }


def linkedin(identifier: str, lead_email: str, *, inbound=False, **values) -> dict:
    return {
        "lead_email": lead_email,
        "message_identifier": identifier,
        "channel": "linkedin",
        "direction": "inbound" if inbound else "outbound",
        "body_text": "Thanks for connecting",
        "sent_at": "2026-03-02T23:30:00-05:00",
        **values,
    }


def post_leads(stack: Stack, key: str, leads: list[dict]) -> dict:
    report = stack.post(key, "leads", {"campaign": "Outbound", "leads": leads})
    assert report["totals"]["rejected"] == 0, report
    return report


def post_messages(stack: Stack, key: str, messages: list[dict]) -> dict:
    report = stack.post(key, "messages", {"messages": messages})
    assert report["totals"]["rejected"] == 0, report
    return report


def org_emails(sf) -> dict[str, dict]:
    records = sf.query_all(
        "SELECT Id, MessageIdentifier, Subject, Incoming, MessageDate, Status, "
        "HtmlBody, TextBody, FromAddress, ToAddress FROM EmailMessage"
    )["records"]
    identifiers = [record["MessageIdentifier"] for record in records]
    assert len(identifiers) == len(set(identifiers)), identifiers
    return {record["MessageIdentifier"]: record for record in records}


def org_leads(sf) -> dict[str, str]:
    records = sf.query_all("SELECT Id, Email FROM Lead")["records"]
    return {record["Email"]: record["Id"] for record in records}


def assert_runs_clean(stack: Stack, account_id: int) -> list[dict]:
    runs = stack.runs(account_id)
    problems = [run for run in runs if run["status"] != "succeeded"]
    assert problems == [], stack.logs()
    return runs


def test_posted_conversation_lands_once(stack, emulator):
    org = emulator.control.create_org(name="Worker Org")
    account = stack.create_account("worker-all", org)
    key, account_id = account["api_key"], account["account_id"]
    conversation = [
        email("<out-1@artisan.example>", "ada@example.com"),
        email(
            "<in-1@mail.example>",
            "ada@example.com",
            inbound=True,
            subject="[artisan ai] Re: Quick question",
            body_html="<p>" + "x" * 140_000 + "</p>",
        ),
        linkedin("li-1@linkedin", "grace@example.com"),
        linkedin("li-2@linkedin", "grace@example.com", inbound=True),
    ]

    post_leads(stack, key, [lead("ada@example.com"), lead("grace@example.com")])
    stored = post_messages(stack, key, conversation)
    stack.wait_until_idle(account_id)

    assert stored["totals"]["created"] == 4
    sf = emulator.control.simple_salesforce(org)
    people = org_leads(sf)
    assert sorted(people) == ["ada@example.com", "grace@example.com"]
    emails = org_emails(sf)
    assert sorted(emails) == ["<in-1@mail.example>", "<out-1@artisan.example>"]
    inbound, outbound = emails["<in-1@mail.example>"], emails["<out-1@artisan.example>"]
    assert inbound["Subject"] == "[artisan ai] Re: Quick question"
    assert outbound["Subject"] == "[Artisan AI] Quick question"
    assert (inbound["Incoming"], outbound["Incoming"]) == (True, False)
    assert outbound["MessageDate"] == "2026-03-02T07:30:00.000+0000"
    assert {inbound["Status"], outbound["Status"]} == {"3"}
    assert len(inbound["HtmlBody"]) <= 131_072
    assert inbound["HtmlBody"].startswith("<p>xxx")
    assert inbound["HtmlBody"].endswith(MARKER)
    relations = sf.query_all(
        format_soql(
            "SELECT EmailMessage.MessageIdentifier, RelationType FROM "
            "EmailMessageRelation WHERE RelationId = {}",
            people["ada@example.com"],
        )
    )["records"]
    assert sorted(
        (r["EmailMessage"]["MessageIdentifier"], r["RelationType"]) for r in relations
    ) == [
        ("<in-1@mail.example>", "FromAddress"),
        ("<out-1@artisan.example>", "ToAddress"),
    ]
    tasks = sf.query_all(
        format_soql(
            "SELECT Subject, Status, TaskSubtype, ActivityDate, Description "
            "FROM Task WHERE WhoId = {} ORDER BY Subject",
            people["grace@example.com"],
        )
    )["records"]
    assert [(t["Subject"], t["Status"], t["TaskSubtype"]) for t in tasks] == [
        ("[Artisan AI] LinkedIn message received", "Completed", "LinkedIn"),
        ("[Artisan AI] LinkedIn message sent", "Completed", "LinkedIn"),
    ]
    assert {t["ActivityDate"] for t in tasks} == {"2026-03-03"}
    assert all(t["Description"].startswith("Thanks for connecting") for t in tasks)

    again = post_messages(stack, key, conversation)
    post_messages(stack, key, [email("<out-2@artisan.example>", "ada@example.com")])
    stack.wait_until_idle(account_id)

    assert again["totals"]["unchanged"] == 4
    assert sorted(org_emails(sf)) == [
        "<in-1@mail.example>",
        "<out-1@artisan.example>",
        "<out-2@artisan.example>",
    ]
    assert (
        len(
            sf.query_all("SELECT Id FROM Task WHERE TaskSubtype = 'LinkedIn'")[
                "records"
            ]
        )
        == 2
    )
    runs = assert_runs_clean(stack, account_id)
    assert sum(run["messages_synced"] for run in runs) == 5


def test_engaged_lead_exported_once_it_replies(stack, emulator):
    org = emulator.control.create_org(name="Engaged Org")
    account = stack.create_account("worker-engaged", org, trigger="engaged")
    key, account_id = account["api_key"], account["account_id"]
    post_leads(stack, key, [lead("quiet@example.com"), lead("replier@example.com")])
    post_messages(
        stack, key, [email("<e-out-1@artisan.example>", "replier@example.com")]
    )
    stack.wait_until_idle(account_id)
    sf = emulator.control.simple_salesforce(org)

    assert org_leads(sf) == {}
    assert org_emails(sf) == {}

    post_messages(
        stack,
        key,
        [email("<e-in-1@mail.example>", "replier@example.com", inbound=True)],
    )
    stack.wait_until_idle(account_id)

    assert sorted(org_leads(sf)) == ["replier@example.com"]
    assert sorted(org_emails(sf)) == [
        "<e-in-1@mail.example>",
        "<e-out-1@artisan.example>",
    ]

    post_leads(stack, key, [lead("quiet@example.com", replied=True)])
    stack.wait_until_idle(account_id)

    assert sorted(org_leads(sf)) == ["quiet@example.com", "replier@example.com"]
    assert_runs_clean(stack, account_id)


def test_lost_email_batch_response_leaves_one_copy(stack, emulator):
    org = emulator.control.create_org(name="Lossy Org")
    emulator.control.set_faults(
        org["org_id"],
        lose_response_after_save={"count": 1, "sobject": "EmailMessage"},
    )
    account = stack.create_account("worker-lossy", org)
    key, account_id = account["api_key"], account["account_id"]
    emails = [f"lead{i}@example.com" for i in range(3)]
    post_leads(stack, key, [lead(address) for address in emails])
    post_messages(
        stack,
        key,
        [
            email(f"<lossy-{kind}-{i}@mail.example>", address, inbound=kind == "in")
            for i, address in enumerate(emails)
            for kind in ("in", "out")
        ],
    )
    stack.wait_until_idle(account_id)

    sf = emulator.control.simple_salesforce(org)
    assert len(org_emails(sf)) == 6
    faults = emulator.control.set_faults(org["org_id"])
    assert faults["lose_response_after_save"]["count"] == 0
    runs = assert_runs_clean(stack, account_id)
    assert sum(run["messages_synced"] for run in runs) == 6


def test_classified_reply_updates_status(stack, emulator):
    statuses = [
        "Open - Not Contacted",
        "Working - Contacted",
        "Qualified",
        "Unqualified",
    ]
    org = emulator.control.create_org(
        name="Sentiment Org",
        picklists={
            "Lead.Status": {
                "values": statuses,
                "default": "Open - Not Contacted",
                "restricted": True,
            }
        },
    )
    account = stack.create_account(
        "worker-sentiment", org, advanced_config={"overwrite_fields": ["Status"]}
    )
    key, account_id = account["api_key"], account["account_id"]
    sf = emulator.control.simple_salesforce(org)

    def status_of(address):
        query = format_soql("SELECT Status FROM Lead WHERE Email = {}", address)
        return [record["Status"] for record in sf.query_all(query)["records"]]

    post_leads(stack, key, [lead("ada@example.com")])
    stack.wait_until_idle(account_id)
    assert status_of("ada@example.com") == ["Open - Not Contacted"]

    post_leads(stack, key, [lead("ada@example.com", replied=True, sentiment=3)])
    stack.wait_until_idle(account_id)

    assert status_of("ada@example.com") == ["Qualified"]
    runs = assert_runs_clean(stack, account_id)
    assert sum(run["created"] for run in runs) == 1
    assert sum(run["updated"] for run in runs) == 1


def test_stack_account_with_dash_password(stack, emulator):
    org = emulator.control.create_org(name="Dash Org", password="-starts-with-dash")

    account = stack.create_account("worker-dash", org)

    assert account["api_key"].startswith("ask_")
    assert account["account_id"] > 0

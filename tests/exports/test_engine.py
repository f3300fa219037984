"""Exports end to end, against the emulator over HTTPS."""

from datetime import datetime, timedelta, timezone

import pytest
from simple_salesforce.format import format_soql

from exports import engine
from exports.engine import run_export
from exports.models import (
    ExportConfig,
    ExportRun,
    LeadLink,
    RecordOutcome,
    SyncedMessage,
)
from integrations.connections import disconnect, store_authorization
from outreach.models import Campaign
from tests.conftest import authorize_org
from tests.exports.conftest import add_email, add_lead

pytestmark = pytest.mark.django_db(transaction=True)


def leads_in(sf, *emails):
    return sf.query_all(
        format_soql(
            "SELECT Id, FirstName, LastName, Email, Company, Title, Website, Status, "
            "LeadSource FROM Lead WHERE Email IN {}",
            list(emails),
        )
    )["records"]


def test_first_export_creates_one_lead_per_distinct_email(connected_account, sf):
    other = Campaign.objects.create(account=connected_account, name="Q4 outbound")
    ada = add_lead(
        connected_account,
        "Ada@Example.com",
        job_title="Analyst",
        website="https://engines.example",
        first_name="F" * 30 + "G" * 30,
    )
    ada_again = add_lead(connected_account, "  ada@example.COM ", campaign=other)
    add_lead(connected_account, "grace@example.com", first_name="Grace")

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.SUCCEEDED, run.error
    assert (run.created_count, run.linked_count, run.failed_count) == (2, 1, 0)
    records = leads_in(sf, "ada@example.com", "grace@example.com")
    assert len(records) == 2
    [record] = [r for r in records if r["Email"].lower() == "ada@example.com"]
    assert record["FirstName"] == "F" * 30 + "G" * 10
    assert record["LastName"] == "Lovelace"
    assert record["Company"] == "Analytical Engines"
    assert record["Title"] == "Analyst"
    assert record["Website"] == "https://engines.example"
    assert record["LeadSource"] == "Artisan AI"
    assert record["Status"] == "Open - Not Contacted"
    links = LeadLink.objects.filter(lead__in=[ada, ada_again])
    assert [link.salesforce_id for link in links] == [record["Id"]] * 2
    created = RecordOutcome.objects.get(export_run=run, lead=ada)
    assert created.outcome == RecordOutcome.Outcome.CREATED
    assert created.truncations == [
        {"field": "FirstName", "original_length": 60, "sent_length": 40}
    ]


def test_second_export_creates_nothing_and_syncs_emails_once(connected_account, sf):
    leads = [add_lead(connected_account, f"lead{i}@example.com") for i in range(3)]
    add_email(leads[0], "<out-1@artisan.example>")
    add_email(leads[0], "<in-1@mail.example>", inbound=True, minutes=5)
    add_email(leads[1], "<out-2@artisan.example>")

    first = run_export(connected_account, trigger="test")
    second = run_export(connected_account, trigger="test")

    assert (first.created_count, first.messages_synced_count) == (3, 3)
    assert second.status == ExportRun.Status.SUCCEEDED
    assert (second.created_count, second.linked_count, second.failed_count) == (0, 0, 0)
    assert second.skipped_count == 3
    assert second.messages_synced_count == 0
    assert second.api_calls == 0
    assert second.summary().endswith("; nothing new (3 leads already linked)")
    emails = sf.query_all(
        "SELECT Id, Subject, Incoming, MessageIdentifier, Status FROM EmailMessage"
    )["records"]
    assert sorted(e["MessageIdentifier"] for e in emails) == [
        "<in-1@mail.example>",
        "<out-1@artisan.example>",
        "<out-2@artisan.example>",
    ]
    assert {e["Subject"] for e in emails} == {"[Artisan AI] Quick question"}
    assert {e["Status"] for e in emails} == {"3"}
    assert SyncedMessage.objects.filter(state=SyncedMessage.State.SYNCED).count() == 3


def test_linkedin_messages_become_completed_tasks_once(
    connected_account, sf, emulator, emulator_org
):
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "li-1", channel="linkedin", body_text="Thanks for connecting")
    add_email(lead, "li-2", channel="linkedin", inbound=True, minutes=3)
    run_export(connected_account, trigger="test")
    # The response to the next create is lost after Salesforce saved the Task.
    add_email(lead, "li-3", channel="linkedin", minutes=6)
    emulator.control.set_faults(
        emulator_org["org_id"], lose_response_after_save={"count": 1}
    )

    second = run_export(connected_account, trigger="test")
    third = run_export(connected_account, trigger="test")

    person_id = LeadLink.objects.get(lead=lead).salesforce_id
    tasks = sf.query_all(
        format_soql(
            "SELECT Id, Subject, Status, TaskSubtype, Description FROM Task "
            "WHERE WhoId = {}",
            person_id,
        )
    )["records"]
    assert len(tasks) == 3
    assert {t["Status"] for t in tasks} == {"Completed"}
    assert {t["TaskSubtype"] for t in tasks} == {"LinkedIn"}
    assert sorted(t["Subject"] for t in tasks) == [
        "[Artisan AI] LinkedIn message received",
        "[Artisan AI] LinkedIn message sent",
        "[Artisan AI] LinkedIn message sent",
    ]
    assert second.messages_synced_count == 1
    assert third.messages_synced_count == 0
    assert SyncedMessage.objects.filter(salesforce_object="Task").count() == 3


def test_emails_reach_the_persons_timeline(connected_account, sf):
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "<out-1@artisan.example>")
    add_email(
        lead,
        "<in-1@mail.example>",
        inbound=True,
        subject="[ARTISAN AI] Re: Quick question",
        body_html="<p>Sounds good</p>",
        sent_at=datetime(2026, 1, 5, 9, 30, tzinfo=timezone(timedelta(hours=2))),
    )

    run_export(connected_account, trigger="test")

    person_id = LeadLink.objects.get(lead=lead).salesforce_id
    relations = sf.query_all(
        format_soql(
            "SELECT EmailMessage.MessageIdentifier, RelationType, RelationAddress, "
            "RelationObjectType FROM EmailMessageRelation WHERE RelationId = {}",
            person_id,
        )
    )["records"]
    assert sorted(
        (
            r["EmailMessage"]["MessageIdentifier"],
            r["RelationType"],
            r["RelationAddress"],
            r["RelationObjectType"],
        )
        for r in relations
    ) == [
        ("<in-1@mail.example>", "FromAddress", "ada@example.com", "Lead"),
        ("<out-1@artisan.example>", "ToAddress", "ada@example.com", "Lead"),
    ]
    emails = {
        e["MessageIdentifier"]: e
        for e in sf.query_all(
            "SELECT MessageIdentifier, Subject, Incoming, MessageDate, Status, "
            "FromAddress, ToAddress, TextBody, HtmlBody FROM EmailMessage"
        )["records"]
    }
    inbound, outbound = emails["<in-1@mail.example>"], emails["<out-1@artisan.example>"]
    assert (inbound["Incoming"], outbound["Incoming"]) == (True, False)
    assert inbound["Subject"] == "[ARTISAN AI] Re: Quick question"
    assert outbound["Subject"] == "[Artisan AI] Quick question"
    assert inbound["MessageDate"] == "2026-01-05T07:30:00.000+0000"
    assert (inbound["FromAddress"], inbound["ToAddress"]) == (
        "ada@example.com",
        "rep@artisan.example",
    )
    assert (outbound["FromAddress"], outbound["ToAddress"]) == (
        "rep@artisan.example",
        "ada@example.com",
    )
    assert (inbound["TextBody"], inbound["HtmlBody"]) == (
        "Hello there",
        "<p>Sounds good</p>",
    )
    assert {inbound["Status"], outbound["Status"]} == {"3"}


def test_contact_email_links_to_contact(connected_account, sf):
    contact = sf.Contact.create(
        {"LastName": "Hopper", "Email": "Grace.Hopper@Navy.example"}
    )
    lead = add_lead(connected_account, "grace.hopper@navy.example ")

    run = run_export(connected_account, trigger="test")

    assert (run.created_count, run.linked_count) == (0, 1)
    link = LeadLink.objects.get(lead=lead)
    assert (link.salesforce_object, link.salesforce_id) == ("Contact", contact["id"])
    assert link.origin == LeadLink.Origin.MATCHED_CONTACT
    assert link.explanation.startswith(f"Matched Contact {contact['id']} by email")
    assert leads_in(sf, "grace.hopper@navy.example") == []


def test_converted_lead_links_to_its_contact(
    connected_account, sf, emulator, emulator_org
):
    created = sf.Lead.create(
        {"LastName": "Turing", "Company": "Bletchley", "Email": "alan@example.com"}
    )
    converted = emulator.control.convert_lead(emulator_org["org_id"], created["id"])
    lead = add_lead(connected_account, "ALAN@example.com")

    run_export(connected_account, trigger="test")

    link = LeadLink.objects.get(lead=lead)
    assert (link.salesforce_object, link.salesforce_id) == (
        "Contact",
        converted["contact_id"],
    )
    assert link.origin == LeadLink.Origin.MATCHED_CONVERTED_LEAD


def test_unusual_emails_match_existing_records(connected_account, sf):
    for email in ("O'Brien@Example.com", "First+Tag@Example.COM"):
        sf.Lead.create({"LastName": "Existing", "Company": "X", "Email": email})
    obrien = add_lead(connected_account, "o'brien@example.com")
    tagged = add_lead(connected_account, "first+tag@example.com")
    backslash = add_lead(connected_account, "a\\b@example.com")

    run = run_export(connected_account, trigger="test")

    assert (run.created_count, run.linked_count, run.failed_count) == (0, 2, 1)
    assert LeadLink.objects.get(lead=obrien).origin == LeadLink.Origin.MATCHED_LEAD
    assert LeadLink.objects.get(lead=tagged).origin == LeadLink.Origin.MATCHED_LEAD
    failed = RecordOutcome.objects.get(export_run=run, lead=backslash)
    assert failed.error_code == "INVALID_EMAIL"
    assert "a\\\\b@example.com" in failed.error_message


def test_lost_bookkeeping_is_repaired_without_creating_twice(connected_account, sf):
    leads = [add_lead(connected_account, f"lead{i}@example.com") for i in range(5)]
    run_export(connected_account, trigger="test")
    ids_before = {link.salesforce_id for link in LeadLink.objects.all()}
    LeadLink.objects.all().delete()

    run = run_export(connected_account, trigger="test")

    assert (run.created_count, run.linked_count) == (0, 5)
    assert {link.salesforce_id for link in LeadLink.objects.all()} == ids_before
    assert len(leads_in(sf, *[lead.email for lead in leads])) == 5


def test_lost_create_response_repaired_in_run(
    connected_account, sf, emulator, emulator_org
):
    leads = [add_lead(connected_account, f"lead{i}@example.com") for i in range(4)]
    add_email(leads[0], "<out-1@artisan.example>")
    emulator.control.set_faults(
        emulator_org["org_id"], lose_response_after_save={"count": 2}
    )

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.SUCCEEDED, run.error
    assert (run.created_count, run.linked_count, run.failed_count) == (0, 4, 0)
    assert run.messages_synced_count == 1
    assert len(leads_in(sf, *[lead.email for lead in leads])) == 4
    assert len(sf.query_all("SELECT Id FROM EmailMessage")["records"]) == 1


def test_api_calls_are_batched(connected_account, emulator, emulator_org):
    for i in range(50):
        lead = add_lead(connected_account, f"lead{i}@example.com")
        add_email(lead, f"<out-{i}@artisan.example>")
        add_email(lead, f"<in-{i}@mail.example>", inbound=True, minutes=1)
    emulator.control.reset_api_calls(emulator_org["org_id"])
    reported = []

    run = run_export(
        connected_account,
        trigger="test",
        progress=lambda *step: reported.append(step),
    )

    assert reported == [("leads", 0, 50), ("leads", 50, 50)] + [
        ("messages", 0, 100),
        ("messages", 100, 100),
    ]
    # describe Lead, query Lead, query Contact, create Leads, describe
    # EmailMessage, query EmailMessage, create EmailMessages.
    assert (run.created_count, run.messages_synced_count) == (50, 100)
    assert run.api_calls == 7
    assert emulator.control.api_calls(emulator_org["org_id"])["total"] == 7


def test_contact_mapping_creates_contacts(connected_account, sf):
    ExportConfig.objects.create(account=connected_account, object_mapping="contact")
    add_lead(connected_account, "ada@example.com", website="https://engines.example")

    run = run_export(connected_account, trigger="test")

    assert run.created_count == 1
    [contact] = sf.query_all(
        "SELECT Id, Department, Description, LeadSource FROM Contact "
        "WHERE Email = 'ada@example.com'"
    )["records"]
    assert contact["Department"] == "Analytical Engines"
    assert contact["Description"] == "https://engines.example"
    assert contact["LeadSource"] == "Artisan AI"


class TestOrgWithItsOwnPicklists:
    """An org whose Lead Status has the values the default mapping uses."""

    @pytest.fixture
    def org_config(self):
        return {
            "name": "Export Test Org",
            "picklists": {
                "Lead.Status": {
                    "values": [
                        "Open - Not Contacted",
                        "Working - Contacted",
                        "Qualified",
                        "Unqualified",
                        "Closed - Converted",
                    ],
                    "default": "Open - Not Contacted",
                    "converted": "Closed - Converted",
                }
            },
            "custom_fields": {
                "Lead": [
                    {
                        "name": "Seniority__c",
                        "type": "picklist",
                        "picklist_values": ["CEO", "CTO"],
                        "restricted": True,
                    }
                ]
            },
        }

    def test_rejected_lead_fails_alone(self, connected_account, sf):
        # Titles go to a restricted picklist, so Salesforce refuses unknown ones.
        ExportConfig.objects.create(
            account=connected_account,
            advanced_config={"field_name_mappings": {"Title": "Seniority__c"}},
        )
        good = [
            add_lead(connected_account, f"ceo{i}@example.com", job_title="CEO")
            for i in range(3)
        ]
        bad = add_lead(connected_account, "intern@example.com", job_title="Intern")

        run = run_export(connected_account, trigger="test")

        assert run.status == ExportRun.Status.SUCCEEDED
        assert (run.created_count, run.failed_count) == (3, 1)
        assert LeadLink.objects.filter(lead__in=good).count() == 3
        failed = RecordOutcome.objects.get(export_run=run, lead=bad)
        assert failed.outcome == RecordOutcome.Outcome.FAILED
        assert failed.error_code == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
        assert "Intern" in failed.error_message
        assert not LeadLink.objects.filter(lead=bad).exists()

    def test_engaged_trigger_exports_only_leads_that_replied(
        self, connected_account, sf
    ):
        ExportConfig.objects.create(account=connected_account, export_trigger="engaged")
        add_lead(connected_account, "quiet@example.com")
        replied = add_lead(
            connected_account, "replied@example.com", replied=True, sentiment=3
        )

        run = run_export(connected_account, trigger="test")

        assert run.created_count == 1
        assert LeadLink.objects.get().lead == replied
        [record] = leads_in(sf, "replied@example.com", "quiet@example.com")
        assert record["Status"] == "Qualified"


def test_missing_status_value_left_to_default(connected_account, sf):
    # The emulator's default org has only the classic four Lead statuses.
    lead = add_lead(connected_account, "fan@example.com", replied=True, sentiment=3)

    run = run_export(connected_account, trigger="test")

    assert run.created_count == 1
    [record] = leads_in(sf, "fan@example.com")
    assert record["Status"] == "Open - Not Contacted"
    note = RecordOutcome.objects.get(export_run=run, lead=lead).note
    assert "Status 'Qualified' is not in this org's picklist" in note


def test_messages_follow_a_lead_converted_after_linking(
    connected_account, sf, emulator, emulator_org
):
    lead = add_lead(connected_account, "ada@example.com")
    other = add_lead(connected_account, "grace@example.com")
    run_export(connected_account, trigger="test")
    lead_record = LeadLink.objects.get(lead=lead).salesforce_id
    converted = emulator.control.convert_lead(emulator_org["org_id"], lead_record)
    email = add_email(lead, "<to-converted@artisan.example>")
    add_email(lead, "li-converted", channel="linkedin", minutes=1)
    add_email(other, "<to-grace@artisan.example>")

    run = run_export(connected_account, trigger="test")
    again = run_export(connected_account, trigger="test")

    assert (run.messages_synced_count, run.messages_failed_count) == (3, 0)
    assert again.messages_synced_count == 0
    contact_id = converted["contact_id"]
    link = LeadLink.objects.get(lead=lead)
    assert (link.salesforce_object, link.salesforce_id) == ("Contact", contact_id)
    assert link.origin == LeadLink.Origin.MATCHED_CONVERTED_LEAD
    assert f"Lead {lead_record} was converted into Contact {contact_id}" in (
        link.explanation
    )
    relations = sf.query_all(
        format_soql(
            "SELECT RelationId, RelationType FROM EmailMessageRelation "
            "WHERE EmailMessage.MessageIdentifier = {}",
            "<to-converted@artisan.example>",
        )
    )["records"]
    assert [(r["RelationId"], r["RelationType"]) for r in relations] == [
        (contact_id, "ToAddress")
    ]
    tasks = sf.query_all(
        format_soql(
            "SELECT Id FROM Task WHERE WhoId = {} AND TaskSubtype = 'LinkedIn'",
            contact_id,
        )
    )["records"]
    assert len(tasks) == 1
    outcome = RecordOutcome.objects.get(export_run=run, message=email)
    assert outcome.note == (
        f"Lead {lead_record} was converted, so the message went to its Contact "
        f"{contact_id}."
    )


def test_lost_email_batch_response_leaves_one_copy_each(
    connected_account, sf, emulator, emulator_org
):
    leads = [add_lead(connected_account, f"lead{i}@example.com") for i in range(3)]
    run_export(connected_account, trigger="test")
    for i, lead in enumerate(leads):
        add_email(lead, f"<out-{i}@artisan.example>")
        add_email(lead, f"<in-{i}@mail.example>", inbound=True, minutes=1)
    emulator.control.set_faults(
        emulator_org["org_id"],
        lose_response_after_save={"count": 1, "mode": "502", "sobject": "EmailMessage"},
    )

    run = run_export(connected_account, trigger="test")

    assert run.status == ExportRun.Status.SUCCEEDED, run.error
    assert (run.messages_synced_count, run.messages_failed_count) == (6, 0)
    identifiers = [
        e["MessageIdentifier"]
        for e in sf.query_all("SELECT MessageIdentifier FROM EmailMessage")["records"]
    ]
    assert len(identifiers) == len(set(identifiers)) == 6
    notes = RecordOutcome.objects.filter(export_run=run).values_list("note", flat=True)
    assert all(note.startswith("Salesforce already had EmailMessage") for note in notes)


def test_rerun_links_emails_of_failed_run(
    connected_account, sf, emulator, emulator_org, monkeypatch
):
    lead = add_lead(connected_account, "ada@example.com")
    run_export(connected_account, trigger="test")
    for i in range(3):
        add_email(lead, f"<out-{i}@artisan.example>", minutes=i)
    emulator.control.set_faults(
        emulator_org["org_id"],
        lose_response_after_save={"count": 1, "sobject": "EmailMessage"},
    )
    # Without a second attempt the run ends on the lost response, as if its
    # process had died after Salesforce saved the emails.
    monkeypatch.setattr(engine, "ATTEMPTS_PER_BATCH", 1)

    failed = run_export(connected_account, trigger="test")
    repaired = run_export(connected_account, trigger="test")

    assert failed.status == ExportRun.Status.FAILED
    assert failed.error.startswith("Salesforce kept failing")
    assert (repaired.messages_synced_count, repaired.messages_failed_count) == (3, 0)
    assert len(sf.query_all("SELECT Id FROM EmailMessage")["records"]) == 3


def test_messages_recorded_nowhere_are_not_sent_twice(connected_account, sf):
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "<out-1@artisan.example>")
    add_email(lead, "li-1", channel="linkedin", minutes=1)
    run_export(connected_account, trigger="test")
    # As if the process had died between Salesforce's response and recording.
    SyncedMessage.objects.all().delete()

    run = run_export(connected_account, trigger="test")

    assert run.messages_synced_count == 2
    assert len(sf.query_all("SELECT Id FROM EmailMessage")["records"]) == 1
    tasks = sf.query_all("SELECT Id FROM Task WHERE TaskSubtype = 'LinkedIn'")
    assert len(tasks["records"]) == 1
    notes = sorted(o.note for o in RecordOutcome.objects.filter(export_run=run))
    assert notes[0].startswith("Salesforce already had EmailMessage 02s")
    assert notes[1].startswith("Salesforce already had Task 00T")


def test_reconnect_to_the_same_org_sends_nothing_twice(
    connected_account, sf, emulator, emulator_org
):
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "<out-1@artisan.example>")
    run_export(connected_account, trigger="test")

    disconnect(connected_account)
    store_authorization(connected_account, authorize_org(emulator, emulator_org))
    add_email(lead, "<out-2@artisan.example>", minutes=1)
    run = run_export(connected_account, trigger="test")

    assert (run.created_count, run.skipped_count, run.messages_synced_count) == (
        0,
        1,
        1,
    )
    assert len(leads_in(sf, "ada@example.com")) == 1
    assert len(sf.query_all("SELECT Id FROM EmailMessage")["records"]) == 2


def test_messages_of_a_matched_contact_are_synced(connected_account, sf):
    contact = sf.Contact.create({"LastName": "Hopper", "Email": "grace@navy.example"})
    lead = add_lead(connected_account, "grace@navy.example")
    add_email(lead, "<in-1@mail.example>", inbound=True)
    add_email(lead, "li-1", channel="linkedin", minutes=1)

    run = run_export(connected_account, trigger="test")

    assert (run.linked_count, run.messages_synced_count) == (1, 2)
    [relation] = sf.query_all(
        "SELECT RelationId, RelationType FROM EmailMessageRelation"
    )["records"]
    assert (relation["RelationId"], relation["RelationType"]) == (
        contact["id"],
        "FromAddress",
    )
    [task] = sf.query_all("SELECT WhoId FROM Task WHERE TaskSubtype = 'LinkedIn'")[
        "records"
    ]
    assert task["WhoId"] == contact["id"]


def test_task_with_bare_prefix_found_again(connected_account, sf):
    # prefixed_subject keeps "[Artisan AI]Hi" as it is, so look-up must too.
    lead = add_lead(connected_account, "ada@example.com")
    add_email(lead, "li-1", channel="linkedin", subject="[Artisan AI]Hi")
    run_export(connected_account, trigger="test")
    SyncedMessage.objects.all().delete()

    run = run_export(connected_account, trigger="test")

    assert run.messages_synced_count == 1
    tasks = sf.query_all("SELECT Id, Subject FROM Task")["records"]
    assert [task["Subject"] for task in tasks] == ["[Artisan AI]Hi"]

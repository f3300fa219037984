"""Linked records follow their leads' changes through overwrite_fields."""

import pytest
from simple_salesforce.format import format_soql

from exports import engine
from exports.engine import run_export
from exports.models import ExportConfig, LeadLink, RecordOutcome
from tests.exports.conftest import add_lead

pytestmark = pytest.mark.django_db(transaction=True)

STATUSES = [
    "Open - Not Contacted",
    "Working - Contacted",
    "Qualified",
    "Unqualified",
    "Closed - Converted",
]


@pytest.fixture
def org_config():
    return {
        "name": "Status Org",
        "picklists": {
            "Lead.Status": {
                "values": STATUSES,
                "default": "Open - Not Contacted",
                "converted": "Closed - Converted",
            }
        },
    }


def overwrite(account, *fields):
    ExportConfig.objects.update_or_create(
        account=account,
        defaults={"advanced_config": {"overwrite_fields": list(fields)}},
    )


def record(sf, sobject, record_id, *fields):
    return sf.query(
        format_soql(
            f"SELECT {', '.join(fields)} FROM {sobject} WHERE Id = {{}}",  # noqa: S608
            record_id,
        )
    )["records"][0]


def test_new_sentiment_updates_the_status(connected_account, sf):
    overwrite(connected_account, "Status")
    lead = add_lead(connected_account, "ada@example.com")
    run_export(connected_account, trigger="test")
    record_id = LeadLink.objects.get(lead=lead).salesforce_id
    assert record(sf, "Lead", record_id, "Status")["Status"] == "Open - Not Contacted"

    lead.replied, lead.sentiment = True, 3
    lead.save()
    run = run_export(connected_account, trigger="test")
    again = run_export(connected_account, trigger="test")

    assert (run.updated_count, run.failed_count) == (1, 0)
    assert record(sf, "Lead", record_id, "Status")["Status"] == "Qualified"
    outcome = RecordOutcome.objects.get(export_run=run, lead=lead)
    assert outcome.outcome == RecordOutcome.Outcome.UPDATED
    assert outcome.changes == [
        {"field": "Status", "from": "Open - Not Contacted", "to": "Qualified"}
    ]
    assert (again.updated_count, again.api_calls) == (0, 0)


def test_changes_stay_local_without_overwrite_fields(connected_account, sf):
    lead = add_lead(connected_account, "ada@example.com")
    run_export(connected_account, trigger="test")
    record_id = LeadLink.objects.get(lead=lead).salesforce_id

    lead.replied, lead.sentiment = True, 1
    lead.save()
    run = run_export(connected_account, trigger="test")

    assert (run.updated_count, run.api_calls) == (0, 0)
    assert record(sf, "Lead", record_id, "Status")["Status"] == "Open - Not Contacted"


def test_converted_lead_update_goes_to_contact(
    connected_account, sf, emulator, emulator_org
):
    overwrite(connected_account, "Title")
    lead = add_lead(connected_account, "ada@example.com", job_title="Analyst")
    run_export(connected_account, trigger="test")
    lead_record = LeadLink.objects.get(lead=lead).salesforce_id
    converted = emulator.control.convert_lead(emulator_org["org_id"], lead_record)

    lead.job_title = "Chief Analyst"
    lead.save()
    run = run_export(connected_account, trigger="test")

    contact_id = converted["contact_id"]
    assert (run.updated_count, run.failed_count) == (1, 0)
    assert record(sf, "Contact", contact_id, "Title")["Title"] == "Chief Analyst"
    link = LeadLink.objects.get(lead=lead)
    assert (link.salesforce_object, link.salesforce_id) == ("Contact", contact_id)
    assert f"Lead {lead_record} was converted into Contact {contact_id}" in (
        link.explanation
    )


def test_org_check_runs_once_per_run(connected_account, sf, monkeypatch):
    overwrite(connected_account, "Status")
    lead = add_lead(connected_account, "ada@example.com")
    run_export(connected_account, trigger="test")
    lead.replied, lead.sentiment = True, 3
    lead.save()
    add_lead(connected_account, "grace@example.com")
    checks = []
    original = engine.check_against_org

    def counting_check(*args, **kwargs):
        checks.append(args)
        return original(*args, **kwargs)

    monkeypatch.setattr(engine, "check_against_org", counting_check)

    run = run_export(connected_account, trigger="test")

    assert (run.created_count, run.updated_count) == (1, 1)
    assert len(checks) == 1

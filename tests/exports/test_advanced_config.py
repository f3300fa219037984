"""The advanced configuration end to end, against the emulator over HTTPS."""

import json
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone
from simple_salesforce.format import format_soql

from exports.config import EXAMPLE_ADVANCED_CONFIG
from exports.engine import run_export
from exports.models import (
    ExportConfig,
    ExportRun,
    LeadLink,
    ObjectDescribe,
    RecordOutcome,
)
from tests.exports.conftest import add_lead

pytestmark = pytest.mark.django_db(transaction=True)

# Salesforce sets these on every write, so they differ after any update.
AUDIT_FIELDS = {"LastModifiedDate", "SystemModstamp", "LastModifiedById"}
STATUSES = ["Open - Not Contacted", "Working - Contacted", "Qualified", "Unqualified"]
EXAMPLE_ORG = {
    "name": "Partner Org",
    "custom_fields": {
        "Lead": [
            {
                "name": "Custom_Status__c",
                "type": "picklist",
                "picklist_values": STATUSES,
                "restricted": True,
            },
            {"name": "Company_Website__c", "type": "url", "length": 255},
            {"name": "artisanai__data_source_c__c", "type": "string", "length": 100},
        ],
        "Contact": [
            {"name": "artisanai__data_source_c__c", "type": "string", "length": 100}
        ],
    },
}


def configure(account, advanced=None, **fields):
    return ExportConfig.objects.create(
        account=account, advanced_config=advanced or {}, **fields
    )


FIND_BY_EMAIL = {
    "Lead": "SELECT Id FROM Lead WHERE Email = {}",
    "Contact": "SELECT Id FROM Contact WHERE Email = {}",
}


def find_one(sf, sobject, email):
    [record] = sf.query_all(format_soql(FIND_BY_EMAIL[sobject], email))["records"]
    return getattr(sf, sobject).get(record["Id"])


def changed_fields(before: dict, after: dict) -> set[str]:
    return {
        name
        for name in before.keys() | after.keys()
        if name not in AUDIT_FIELDS and before.get(name) != after.get(name)
    }


class TestCompleteExample:
    @pytest.fixture
    def org_config(self):
        return EXAMPLE_ORG

    def test_new_lead_gets_every_configured_value(self, connected_account, sf):
        configure(connected_account, dict(EXAMPLE_ADVANCED_CONFIG))
        add_lead(
            connected_account,
            "ada@example.com",
            website="https://engines.example",
            replied=True,
            sentiment=3,
        )

        run = run_export(connected_account, trigger="test")

        assert run.status == ExportRun.Status.SUCCEEDED, run.error
        assert run.created_count == 1
        lead = find_one(sf, "Lead", "ada@example.com")
        assert lead["LeadSource"] == "Partner Outbound"
        assert lead["Custom_Status__c"] == "Qualified"
        assert lead["Status"] == "Open - Not Contacted"  # the org's default
        assert lead["Company_Website__c"] == "https://engines.example"
        assert lead["Website"] is None
        assert lead["artisanai__data_source_c__c"] == "Artisan AI Platform"

    def test_match_changes_only_overwritten_fields(self, connected_account, sf):
        configure(connected_account, dict(EXAMPLE_ADVANCED_CONFIG))
        existing = sf.Lead.create(
            {
                "FirstName": "Grace",
                "LastName": "Hopper",
                "Company": "Navy",
                "Email": "grace@navy.example",
                "Title": "Rear Admiral",
                "Website": "https://navy.example",
                "Company_Website__c": "https://old.navy.example",
                "LeadSource": "Web",
                "Custom_Status__c": "Open - Not Contacted",
                "artisanai__data_source_c__c": "Trade show",
            }
        )
        lead = add_lead(
            connected_account,
            "GRACE@navy.example",
            first_name="Ada",
            last_name="Lovelace",
            job_title="Analyst",
            website="https://engines.example",
            replied=True,
            sentiment=2,
        )
        before = sf.Lead.get(existing["id"])

        run = run_export(connected_account, trigger="test")

        after = sf.Lead.get(existing["id"])
        assert run.status == ExportRun.Status.SUCCEEDED, run.error
        assert (run.created_count, run.linked_count, run.updated_count) == (0, 0, 1)
        assert changed_fields(before, after) == {
            "LeadSource",
            "artisanai__data_source_c__c",
            "Custom_Status__c",
        }
        assert after["LeadSource"] == "Partner Outbound"
        assert after["artisanai__data_source_c__c"] == "Artisan AI Platform"
        assert after["Custom_Status__c"] == "Working - Contacted"
        outcome = RecordOutcome.objects.get(export_run=run, lead=lead)
        assert outcome.outcome == RecordOutcome.Outcome.UPDATED
        # In the order of overwrite_fields.
        assert outcome.changes == [
            {"field": "LeadSource", "from": "Web", "to": "Partner Outbound"},
            {
                "field": "artisanai__data_source_c__c",
                "from": "Trade show",
                "to": "Artisan AI Platform",
            },
            {
                "field": "Custom_Status__c",
                "from": "Open - Not Contacted",
                "to": "Working - Contacted",
            },
        ]
        assert LeadLink.objects.get(lead=lead).salesforce_id == existing["id"]

    def test_equal_values_are_not_patched(
        self, connected_account, sf, emulator, emulator_org
    ):
        configure(connected_account, dict(EXAMPLE_ADVANCED_CONFIG))
        existing = sf.Lead.create(
            {
                "LastName": "Hopper",
                "Company": "Navy",
                "Email": "grace@navy.example",
                "LeadSource": "Partner Outbound",
                "Custom_Status__c": "Open - Not Contacted",
                "artisanai__data_source_c__c": "Artisan AI Platform",
            }
        )
        lead = add_lead(connected_account, "grace@navy.example")
        before = sf.Lead.get(existing["id"])
        emulator.control.reset_api_calls(emulator_org["org_id"])

        run = run_export(connected_account, trigger="test")

        assert (run.linked_count, run.updated_count) == (1, 0)
        assert sf.Lead.get(existing["id"]) == before
        calls = emulator.control.api_calls(emulator_org["org_id"])["by_endpoint"]
        assert "PATCH composite/sobjects" not in calls
        note = RecordOutcome.objects.get(export_run=run, lead=lead).note
        assert "already held Artisan's values" in note

    def test_converted_lead_updates_its_contact(
        self, connected_account, sf, emulator, emulator_org
    ):
        configure(connected_account, dict(EXAMPLE_ADVANCED_CONFIG))
        created = sf.Lead.create(
            {
                "LastName": "Turing",
                "Company": "Bletchley",
                "Email": "alan@example.com",
                "LeadSource": "Web",
            }
        )
        converted = emulator.control.convert_lead(emulator_org["org_id"], created["id"])
        lead_before = sf.Lead.get(created["id"])
        add_lead(connected_account, "alan@example.com", replied=True, sentiment=3)

        run = run_export(connected_account, trigger="test")

        assert run.status == ExportRun.Status.SUCCEEDED, run.error
        assert (run.updated_count, run.failed_count) == (1, 0)
        assert sf.Lead.get(created["id"]) == lead_before
        contact = sf.Contact.get(converted["contact_id"])
        assert contact["LeadSource"] == "Partner Outbound"
        assert contact["artisanai__data_source_c__c"] == "Artisan AI Platform"
        link = LeadLink.objects.get()
        assert (link.salesforce_object, link.salesforce_id) == (
            "Contact",
            converted["contact_id"],
        )
        assert link.origin == LeadLink.Origin.MATCHED_CONVERTED_LEAD


def test_contact_mapping_fills_department_and_description(connected_account, sf):
    configure(connected_account, object_mapping="contact")
    lead = add_lead(
        connected_account,
        "ada@example.com",
        company_name="C" * 100,
        website="https://engines.example",
        replied=True,
        sentiment=3,
    )

    run = run_export(connected_account, trigger="test")

    assert run.created_count == 1
    contact = find_one(sf, "Contact", "ada@example.com")
    assert contact["Department"] == "C" * 80
    assert contact["Description"] == "https://engines.example"
    assert contact["LeadSource"] == "Artisan AI"
    assert "Status" not in contact
    assert not sf.query_all("SELECT Id FROM Lead")["records"]
    outcome = RecordOutcome.objects.get(export_run=run, lead=lead)
    assert outcome.truncations == [
        {"field": "Department", "original_length": 100, "sent_length": 80}
    ]


def test_several_matches_record_their_count(connected_account, sf):
    sf.Contact.create({"LastName": "Hopper", "Email": "grace@navy.example"})
    older = sf.Lead.create(
        {"LastName": "Hopper", "Company": "Navy", "Email": "Grace@Navy.example"}
    )
    sf.Lead.create(
        {"LastName": "Hopper", "Company": "Navy", "Email": "grace@navy.example"}
    )
    lead = add_lead(connected_account, "grace@navy.example")

    run_export(connected_account, trigger="test")

    link = LeadLink.objects.get(lead=lead)
    assert link.candidate_count == 3
    assert link.salesforce_id == older["id"]
    assert "2 other records carry the same email" in link.explanation


class TestStatusMapping:
    """An org whose Lead Status picklist has every value the mappings use."""

    @pytest.fixture
    def org_config(self):
        return {
            "name": "Status Org",
            "picklists": {
                "Lead.Status": {
                    "values": [
                        *STATUSES,
                        "Interested",
                        {"value": "Not Interested", "label": "Not interested"},
                        "Closed - Converted",
                    ],
                    "default": "Open - Not Contacted",
                    "converted": "Closed - Converted",
                }
            },
        }

    @pytest.mark.parametrize(
        ("lead_status", "expected"),
        [
            (
                None,
                {
                    "positive": "Qualified",
                    "neutral": "Working - Contacted",
                    "negative": "Unqualified",
                    "quiet": "Open - Not Contacted",
                },
            ),
            (
                # "Not interested" is the label of the value "Not Interested".
                {"3": "Interested", "1": "Not interested"},
                {
                    "positive": "Interested",
                    "neutral": "Working - Contacted",
                    "negative": "Not Interested",
                    "quiet": "Open - Not Contacted",
                },
            ),
        ],
    )
    def test_each_engagement_gets_its_status(
        self, connected_account, sf, lead_status, expected
    ):
        configure(
            connected_account, {"lead_status": lead_status} if lead_status else {}
        )
        engagement = {
            "positive": {"replied": True, "sentiment": 3},
            "neutral": {"replied": True, "sentiment": 2},
            "negative": {"replied": True, "sentiment": 1},
            "quiet": {"replied": False},
        }
        for name, values in engagement.items():
            add_lead(connected_account, f"{name}@example.com", **values)

        run = run_export(connected_account, trigger="test")

        assert run.status == ExportRun.Status.SUCCEEDED, run.error
        records = sf.query_all("SELECT Email, Status FROM Lead")["records"]
        statuses = {r["Email"].split("@")[0]: r["Status"] for r in records}
        assert statuses == expected


INVALID_CONFIGS = [
    pytest.param(
        {"lead_sources": "Partner"},
        '"lead_sources": an unknown key of the advanced configuration',
        id="unknown key",
    ),
    pytest.param(
        {"lead_source": 5},
        "lead_source: must be a string, not 5.",
        id="lead_source not a string",
    ),
    pytest.param(
        {"field_name_mappings": {"Website": "Company Website"}},
        'field_name_mappings.Website: "Company Website" is not a field API name',
        id="label instead of API name",
    ),
    pytest.param(
        {"lead_status": {"4": "Qualified"}},
        'lead_status: unknown key "4"',
        id="unknown status key",
    ),
    pytest.param(
        {"overwrite_fields": "LeadSource"},
        "overwrite_fields: must be a list of field API names",
        id="overwrite_fields not a list",
    ),
]
INVALID_FOR_ORG = [
    pytest.param(
        {"custom_attribution_property": "Missing_Field__c"},
        "custom_attribution_property: Lead has no field Missing_Field__c",
        id="field missing in the org",
    ),
    pytest.param(
        {"lead_status": {"3": "Hot Lead"}},
        "lead_status.3: &#x27;Hot Lead&#x27; is not a value of the restricted "
        "picklist Lead.Status",
        id="status missing from restricted picklist",
    ),
]


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", password="pw-for-tests")
    client.force_login(user)
    return client


def post_config(admin_client, config, advanced_text):
    return admin_client.post(
        f"/admin/exports/exportconfig/{config.pk}/change/",
        {
            "account": config.account_id,
            "object_mapping": config.object_mapping,
            "export_trigger": config.export_trigger,
            "apply_assignment_rules": "on",
            "advanced_config": advanced_text,
            "changes-TOTAL_FORMS": "0",
            "changes-INITIAL_FORMS": "0",
        },
        follow=True,
    )


@pytest.mark.parametrize(("advanced", "message"), INVALID_CONFIGS)
def test_invalid_json_rejected_in_admin_and_export(
    connected_account, admin_client, advanced, message
):
    config = configure(connected_account)
    add_lead(connected_account, "ada@example.com")

    response = post_config(admin_client, config, json.dumps(advanced))
    ExportConfig.objects.filter(pk=config.pk).update(advanced_config=advanced)
    run = run_export(connected_account, trigger="test")

    html = response.content.decode()
    field_errors = html.split('class="errorlist', 1)[1].split("</ul>", 1)[0]
    assert message.replace('"', "&quot;") in field_errors
    assert run.status == ExportRun.Status.REFUSED
    assert message in run.error
    assert "nothing was written to Salesforce" in run.error
    assert not LeadLink.objects.exists()


@pytest.mark.parametrize(("advanced", "message"), INVALID_FOR_ORG)
def test_invalid_for_org_reported_and_refused(
    connected_account, admin_client, sf, advanced, message
):
    config = configure(connected_account)
    add_lead(connected_account, "ada@example.com", replied=True, sentiment=3)

    saved = post_config(admin_client, config, json.dumps(advanced))
    validated = admin_client.post(
        "/admin/exports/exportconfig/",
        {"action": "validate_against_org", "_selected_action": [config.pk]},
        follow=True,
    )
    run = run_export(connected_account, trigger="test")

    assert message in saved.content.decode()
    assert message in validated.content.decode()
    assert run.status == ExportRun.Status.REFUSED
    assert message.replace("&#x27;", "'") in run.error
    assert not sf.query_all("SELECT Id FROM Lead")["records"]


def test_rejection_rereads_only_old_metadata(connected_account, emulator, emulator_org):
    configure(connected_account, {"custom_attribution_property": "Missing__c"})
    add_lead(connected_account, "ada@example.com")
    org_id = emulator_org["org_id"]

    def describes():
        calls = emulator.control.api_calls(org_id)["by_endpoint"]
        return calls.get("GET sobjects/Lead/describe", 0)

    first = run_export(connected_account, trigger="test")
    after_first = describes()
    ObjectDescribe.objects.update(described_at=timezone.now() - timedelta(minutes=10))
    second = run_export(connected_account, trigger="test")
    after_second = describes()
    third = run_export(connected_account, trigger="test")

    assert {first.status, second.status, third.status} == {ExportRun.Status.REFUSED}
    assert after_first == 1
    assert after_second == 2
    assert describes() == 2

"""Collections results mapped back by position, against exact Salesforce replies."""

import json

import pytest
import responses

from exports.apply import apply_creates, apply_updates, person_headers
from exports.planning import Action, LeadDecision
from integrations.client import SalesforceClient
from integrations.models import SalesforceConnection

INSTANCE = "https://acme.my.salesforce.com"
COLLECTIONS = f"{INSTANCE}/services/data/v62.0/composite/sobjects"


@pytest.fixture
def client(account, settings):
    settings.SALESFORCE_API_VERSION = "62.0"
    settings.SALESFORCE_CA_BUNDLE = ""
    connection = SalesforceConnection.objects.create(
        account=account,
        org_id="00D000000000001EAA",
        instance_url=INSTANCE,
        login_url="https://login.salesforce.com",
        salesforce_user_id="005000000000001AAA",
        access_token="access",
        refresh_token="refresh",
    )
    return SalesforceClient(connection, sleep=lambda seconds: None)


@pytest.fixture
def mocked():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        yield mock


def create(email, lead_id):
    payload = {"attributes": {"type": "Lead"}, "LastName": "X", "Email": email}
    return LeadDecision(
        email, (lead_id,), Action.CREATE, sobject="Lead", payload=payload
    )


def test_mixed_results_are_matched_back_by_position(mocked, client):
    linked = LeadDecision(
        "linked@example.com",
        (2,),
        Action.LINK,
        sobject="Contact",
        salesforce_id="003000000000001AAA",
    )
    decisions = [
        create("a@example.com", 1),
        linked,
        create("b@example.com", 3),
        create("c@example.com", 4),
    ]
    mocked.post(
        COLLECTIONS,
        status=200,
        json=[
            {"id": "00Q000000000001AAA", "success": True, "errors": []},
            {
                "success": False,
                "errors": [
                    {
                        "statusCode": "STRING_TOO_LONG",
                        "message": "Company: data value too large",
                        "fields": ["Company"],
                    }
                ],
            },
            {"id": "00Q000000000003AAA", "success": True, "errors": []},
        ],
    )

    applied = apply_creates(client, decisions, person_headers(False))

    assert [(d.action, d.salesforce_id, d.error_code) for d in applied] == [
        (Action.CREATE, "00Q000000000001AAA", ""),
        (Action.LINK, "003000000000001AAA", ""),
        (Action.FAIL, None, "STRING_TOO_LONG"),
        (Action.CREATE, "00Q000000000003AAA", ""),
    ]
    assert applied[2].error_message == (
        "Company: data value too large (fields: Company)"
    )
    request = mocked.calls[0].request
    body = json.loads(request.body)
    assert body["allOrNone"] is False
    assert [r["Email"] for r in body["records"]] == [
        "a@example.com",
        "b@example.com",
        "c@example.com",
    ]
    assert request.headers["Sforce-Duplicate-Rule-Header"] == "allowSave=true"
    assert request.headers["Sforce-Auto-Assign"] == "FALSE"


def test_rejected_request_fails_every_create(mocked, client):
    mocked.post(
        COLLECTIONS,
        status=400,
        json=[{"errorCode": "INVALID_FIELD", "message": "No such column 'Foo__c'"}],
    )

    applied = apply_creates(
        client, [create("a@example.com", 1), create("b@example.com", 2)]
    )

    assert {(d.action, d.error_code) for d in applied} == {
        (Action.FAIL, "INVALID_FIELD")
    }
    assert applied[0].error_message == "No such column 'Foo__c'"


def test_nothing_to_create_sends_nothing(mocked, client):
    linked = LeadDecision("a@example.com", (1,), Action.LINK, salesforce_id="00Q1")

    assert apply_creates(client, [linked]) == [linked]
    assert client.api_calls == 0


@pytest.mark.parametrize(("apply_rules", "header"), [(True, "TRUE"), (False, "FALSE")])
def test_assignment_rules_header_follows_the_setting(apply_rules, header):
    assert person_headers(apply_rules) == {
        "Sforce-Duplicate-Rule-Header": "allowSave=true",
        "Sforce-Auto-Assign": header,
    }


def update(salesforce_id, lead_id):
    payload = {
        "attributes": {"type": "Lead"},
        "id": salesforce_id,
        "LeadSource": "Partner Outbound",
    }
    return LeadDecision(
        "x@example.com",
        (lead_id,),
        Action.UPDATE,
        sobject="Lead",
        salesforce_id=salesforce_id,
        update_payload=payload,
    )


def test_update_results_are_matched_back_by_position(mocked, client):
    decisions = [
        update("00Q000000000001AAA", 1),
        create("new@example.com", 2),
        update("00Q000000000002AAA", 3),
    ]
    mocked.patch(
        COLLECTIONS,
        status=200,
        json=[
            {
                "success": False,
                "errors": [
                    {
                        "statusCode": "FIELD_CUSTOM_VALIDATION_EXCEPTION",
                        "message": "Partners need a region",
                        "fields": [],
                    }
                ],
            },
            {"id": "00Q000000000002AAA", "success": True, "errors": []},
        ],
    )

    applied = apply_updates(client, decisions)

    assert [(d.action, d.error_code) for d in applied] == [
        (Action.FAIL, "FIELD_CUSTOM_VALIDATION_EXCEPTION"),
        (Action.CREATE, ""),
        (Action.UPDATE, ""),
    ]
    assert applied[0].error_message == (
        "Updating the fields of overwrite_fields on Lead 00Q000000000001AAA failed: "
        "Partners need a region"
    )
    body = json.loads(mocked.calls[0].request.body)
    assert body["allOrNone"] is False
    assert [r["id"] for r in body["records"]] == [
        "00Q000000000001AAA",
        "00Q000000000002AAA",
    ]


def test_rejected_update_request_fails_every_update(mocked, client):
    mocked.patch(
        COLLECTIONS,
        status=400,
        json=[{"errorCode": "INVALID_FIELD", "message": "No such column 'Foo__c'"}],
    )

    applied = apply_updates(
        client, [update("00Q000000000001AAA", 1), update("00Q000000000002AAA", 2)]
    )

    assert {(d.action, d.error_code) for d in applied} == {
        (Action.FAIL, "INVALID_FIELD")
    }


def test_nothing_to_update_sends_nothing(mocked, client):
    linked = LeadDecision("a@example.com", (1,), Action.LINK, salesforce_id="00Q1")

    assert apply_updates(client, [linked]) == [linked]
    assert client.api_calls == 0

"""Single-record create, read, update and delete, with Salesforce's validation."""

import re
from concurrent.futures import ThreadPoolExecutor

import pytest
from simple_salesforce import format_soql
from simple_salesforce.exceptions import SalesforceMalformedRequest

from sf_emulator import ids
from sf_emulator.client import EmulatorError

DATETIME = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$")


def test_create_and_read_lead(sf, org):
    created = sf.Lead.create({"LastName": "Lovelace", "Company": "Analytical"})

    assert created["success"] is True
    assert created["errors"] == []
    assert created["id"].startswith("00Q")
    assert len(created["id"]) == 18
    lead = sf.Lead.get(created["id"])
    assert lead["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v62.0/sobjects/Lead/{created['id']}",
    }
    assert lead["Status"] == "Open - Not Contacted"
    assert lead["OwnerId"] == org["user_id"]
    assert lead["IsConverted"] is False
    assert lead["HasOptedOutOfEmail"] is False
    assert lead["DoNotCall"] is False
    assert lead["IsDeleted"] is False
    assert lead["Name"] == "Lovelace"
    assert lead["FirstName"] is None
    assert "Department" not in lead
    assert DATETIME.match(lead["CreatedDate"])
    assert lead["CreatedDate"] == lead["SystemModstamp"]


def test_create_returns_201_with_location(api):
    response = api.post("/sobjects/Lead/", json={"LastName": "A", "Company": "B"})

    assert response.status_code == 201
    body = response.json()
    assert body == {"id": body["id"], "success": True, "errors": []}
    assert response.headers["Location"].endswith(f"/sobjects/Lead/{body['id']}")


def test_read_by_15_char_and_lowercase_id(sf):
    lead_id = sf.Lead.create({"LastName": "A", "Company": "B"})["id"]

    assert sf.Lead.get(lead_id[:15])["Id"] == lead_id
    assert sf.Lead.get(lead_id.lower())["Id"] == lead_id


def test_read_selected_fields(api, sf):
    lead_id = sf.Lead.create({"LastName": "A", "Company": "B", "Email": "a@b.co"})["id"]

    body = api.get(
        f"/sobjects/Lead/{lead_id}", params={"fields": "Email,company"}
    ).json()

    assert body == {
        "attributes": {
            "type": "Lead",
            "url": f"/services/data/v62.0/sobjects/Lead/{lead_id}",
        },
        "Email": "a@b.co",
        "Company": "B",
    }


def test_update_and_delete(api, sf):
    lead_id = sf.Lead.create({"LastName": "A", "Company": "B"})["id"]

    patched = api.patch(f"/sobjects/Lead/{lead_id}", json={"Title": "CTO"})
    assert patched.status_code == 204
    assert patched.content == b""
    assert sf.Lead.get(lead_id)["Title"] == "CTO"

    deleted = api.delete(f"/sobjects/Lead/{lead_id}")
    assert deleted.status_code == 204
    for method in ("get", "patch", "delete"):
        kwargs = {"json": {"Title": "x"}} if method == "patch" else {}
        response = getattr(api, method)(f"/sobjects/Lead/{lead_id}", **kwargs)
        assert response.status_code == 404
        assert response.json() == [
            {
                "errorCode": "ENTITY_IS_DELETED",
                "message": "entity is deleted",
                "fields": [],
            }
        ]


def test_unknown_record_and_object(api):
    missing = ids.to_18("00Q000000000001")
    assert api.get(f"/sobjects/Lead/{missing}").status_code == 404
    response = api.get("/sobjects/Gadget__c/describe")
    assert response.status_code == 404
    assert response.json() == [
        {"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}
    ]


def test_malformed_and_wrong_type_ids(api):
    contact_id = ids.to_18("003000000000001")
    for bad in ("00Q00000000000!", contact_id):
        response = api.get(f"/sobjects/Lead/{bad}")
        assert response.status_code == 400
        assert response.json() == [
            {
                "errorCode": "MALFORMED_ID",
                "message": f"Lead ID: id value of incorrect type: {bad}",
                "fields": ["Id"],
            }
        ]


def error_of(api, path: str, body: dict, method: str = "post", **kwargs) -> list:
    response = getattr(api, method)(path, json=body, **kwargs)
    assert response.status_code == 400, response.text
    return response.json()


def test_required_fields_listed_together(api):
    assert error_of(api, "/sobjects/Lead/", {"FirstName": "Ada"}) == [
        {
            "errorCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName, Company]",
            "fields": ["LastName", "Company"],
        }
    ]
    assert error_of(api, "/sobjects/Contact/", {"Email": "a@b.co"}) == [
        {
            "errorCode": "REQUIRED_FIELD_MISSING",
            "message": "Required fields are missing: [LastName]",
            "fields": ["LastName"],
        }
    ]


def test_empty_string_counts_as_missing(api):
    errors = error_of(api, "/sobjects/Lead/", {"LastName": "", "Company": "B"})
    assert errors[0]["fields"] == ["LastName"]


def test_string_too_long_counts_utf16_units(api):
    # 39 characters plus one emoji is 41 UTF-16 code units, over FirstName's 40.
    name = "a" * 39 + "\U0001f600"
    errors = error_of(
        api, "/sobjects/Lead/", {"FirstName": name, "LastName": "L", "Company": "C"}
    )
    assert errors == [
        {
            "errorCode": "STRING_TOO_LONG",
            "message": f"First Name: data value too large: {name} (max length=40)",
            "fields": ["FirstName"],
        }
    ]
    fits = api.post(
        "/sobjects/Lead/",
        json={"FirstName": "a" * 38 + "\U0001f600", "LastName": "L", "Company": "C"},
    )
    assert fits.status_code == 201


def test_invalid_email(api):
    for bad in ("not an email", "@bc.com", "a@213213213213213com", "a@b&c.com"):
        errors = error_of(
            api, "/sobjects/Lead/", {"LastName": "L", "Company": "C", "Email": bad}
        )
        assert errors == [
            {
                "errorCode": "INVALID_EMAIL_ADDRESS",
                "message": f"Email: invalid email address: {bad}",
                "fields": ["Email"],
            }
        ]


def test_restricted_picklist(api):
    errors = error_of(
        api, "/sobjects/Lead/", {"LastName": "L", "Company": "C", "Status": "Hot"}
    )
    assert errors == [
        {
            "errorCode": "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "message": "Status: bad value for restricted picklist field: Hot",
            "fields": ["Status"],
        }
    ]


def test_unrestricted_picklist_accepts_new_values(api):
    response = api.post(
        "/sobjects/Lead/",
        json={"LastName": "L", "Company": "C", "LeadSource": "Podcast"},
    )
    assert response.status_code == 201


def test_unknown_field(api):
    errors = error_of(
        api, "/sobjects/Lead/", {"LastName": "L", "Company": "C", "Department": "R&D"}
    )
    assert errors == [
        {
            "errorCode": "INVALID_FIELD",
            "message": "No such column 'Department' on sobject of type Lead",
        }
    ]


def test_id_in_create_body(api):
    errors = error_of(
        api, "/sobjects/Lead/", {"Id": ids.to_18("00Q000000000001"), "LastName": "L"}
    )
    assert errors == [
        {
            "errorCode": "INVALID_FIELD",
            "message": "The Id field should not be specified in the sobject data.",
        }
    ]


def test_non_updateable_field_on_patch(api, sf):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    errors = error_of(
        api, f"/sobjects/Lead/{lead_id}", {"IsConverted": True}, method="patch"
    )
    assert errors[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    assert errors[0]["fields"] == ["IsConverted"]
    assert errors[0]["message"].startswith(
        "Unable to create/update fields: IsConverted."
    )


def test_wrong_type_reference(api, sf):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    errors = error_of(
        api, "/sobjects/Contact/", {"LastName": "L", "AccountId": lead_id}
    )
    assert errors == [
        {
            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
            "message": f"Account ID: id value of incorrect type: {lead_id}",
            "fields": ["AccountId"],
        }
    ]


def test_datetime_input_is_normalised(sf):
    task_id = sf.Task.create(
        {"Subject": "Call", "ActivityDate": "2026-03-01", "Status": "Completed"}
    )["id"]
    email_id = sf.EmailMessage.create(
        {"Subject": "Hi", "Status": "3", "MessageDate": "2026-03-01T10:00:00+02:00"}
    )["id"]

    assert sf.Task.get(task_id)["ActivityDate"] == "2026-03-01"
    assert (
        sf.EmailMessage.get(email_id)["MessageDate"] == "2026-03-01T08:00:00.000+0000"
    )


def test_datetime_with_space_is_rejected(api):
    errors = error_of(
        api,
        "/sobjects/EmailMessage/",
        {"Subject": "Hi", "MessageDate": "2026-03-01 10:00:00"},
    )
    assert errors[0]["errorCode"] == "JSON_PARSER_ERROR"


def test_task_defaults_and_linkedin_subtype(sf, org):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    task_id = sf.Task.create(
        {"WhoId": lead_id, "Subject": "Hi", "TaskSubtype": "LinkedIn"}
    )["id"]

    task = sf.Task.get(task_id)

    assert task["Status"] == "Not Started"
    assert task["Priority"] == "Normal"
    assert task["OwnerId"] == org["user_id"]
    assert task["TaskSubtype"] == "LinkedIn"
    assert task["IsClosed"] is False


def test_task_subtype_is_create_only(api, sf):
    task_id = sf.Task.create({"Subject": "Hi", "TaskSubtype": "Task"})["id"]
    errors = error_of(
        api, f"/sobjects/Task/{task_id}", {"TaskSubtype": "Call"}, method="patch"
    )
    assert errors[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_email_message_status_codes(api):
    errors = error_of(
        api, "/sobjects/EmailMessage/", {"Subject": "Hi", "Status": "Sent"}
    )
    assert errors[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"
    ok = api.post("/sobjects/EmailMessage/", json={"Subject": "Hi", "Status": "3"})
    assert ok.status_code == 201


def test_email_related_to_person_is_rejected(api, sf):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    errors = error_of(
        api, "/sobjects/EmailMessage/", {"Subject": "Hi", "RelatedToId": lead_id}
    )
    assert errors == [
        {
            "errorCode": "FIELD_INTEGRITY_EXCEPTION",
            "message": f"Related To ID: id value of incorrect type: {lead_id}",
            "fields": ["RelatedToId"],
        }
    ]


def test_email_to_ids_become_relations_and_activity(sf):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C", "Email": "lead@x.co"})[
        "id"
    ]
    email_id = sf.EmailMessage.create(
        {
            "Subject": "Hello",
            "TextBody": "Body",
            "Status": "3",
            "Incoming": False,
            "MessageDate": "2026-03-01T10:00:00Z",
            "ToIds": [lead_id],
        }
    )["id"]

    relations = sf.query(
        format_soql(
            "SELECT RelationId, RelationType, RelationAddress, RelationObjectType "
            "FROM EmailMessageRelation WHERE EmailMessageId = {}",
            email_id,
        )
    )["records"]
    email = sf.EmailMessage.get(email_id)
    activity = sf.Task.get(email["ActivityId"])

    assert [
        (
            r["RelationId"],
            r["RelationType"],
            r["RelationAddress"],
            r["RelationObjectType"],
        )
        for r in relations
    ] == [(lead_id, "ToAddress", "lead@x.co", "Lead")]
    assert email["Name"] == "Hello"
    assert email["Incoming"] is False
    assert activity["TaskSubtype"] == "Email"
    assert activity["WhoId"] == lead_id
    assert activity["Status"] == "Completed"


def test_sent_email_is_immutable(api, sf):
    email_id = sf.EmailMessage.create({"Subject": "Hi", "Status": "3"})["id"]
    errors = error_of(
        api, f"/sobjects/EmailMessage/{email_id}", {"Subject": "New"}, method="patch"
    )
    assert errors[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"
    allowed = api.patch(
        f"/sobjects/EmailMessage/{email_id}", json={"MessageIdentifier": "<a@b>"}
    )
    assert allowed.status_code == 204


def test_email_message_relation_direct_create(sf):
    contact_id = sf.Contact.create({"LastName": "L", "Email": "c@x.co"})["id"]
    email_id = sf.EmailMessage.create({"Subject": "Hi", "Status": "3"})["id"]

    relation_id = sf.EmailMessageRelation.create(
        {
            "EmailMessageId": email_id,
            "RelationId": contact_id,
            "RelationType": "FromAddress",
        }
    )["id"]
    relation = sf.EmailMessageRelation.get(relation_id)

    assert relation_id.startswith("0Ep")
    assert relation["RelationAddress"] == "c@x.co"
    assert relation["RelationObjectType"] == "Contact"


def duplicate_lead(sf):
    return sf.Lead.create(
        {
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "Email": "ada@x.co",
            "Company": "C",
        }
    )["id"]


def test_duplicate_rule_blocks_same_name_and_email(api, sf):
    existing = duplicate_lead(sf)

    response = api.post(
        "/sobjects/Contact/",
        json={"FirstName": "ADA", "LastName": "lovelace", "Email": "Ada@X.co"},
    )

    assert response.status_code == 400
    [error] = response.json()
    assert error["errorCode"] == "DUPLICATES_DETECTED"
    assert error["message"] == "Use one of these records?"
    detail = error["duplicateResut"]
    assert detail["allowSave"] is True
    assert detail["duplicateRule"] == "Standard_Contact_Duplicate_Rule"
    assert detail["duplicateRuleEntityType"] == "Contact"
    [match] = detail["matchResults"]
    assert match["entityType"] == "Lead"
    assert match["matchEngine"] == "FuzzyMatchEngine"
    assert match["size"] == 1
    assert match["matchRecords"][0]["record"]["Id"] == existing


def test_duplicate_rule_bypass_header(api, sf):
    duplicate_lead(sf)
    response = api.post(
        "/sobjects/Lead/",
        json={
            "FirstName": "Ada",
            "LastName": "Lovelace",
            "Email": "ada@x.co",
            "Company": "C",
        },
        headers={
            "Sforce-Duplicate-Rule-Header": "allowSave=true; includeRecordDetails=true"
        },
    )
    assert response.status_code == 201


def test_same_email_alone_is_not_a_duplicate(api, sf):
    duplicate_lead(sf)
    response = api.post(
        "/sobjects/Lead/",
        json={"LastName": "Other", "Email": "ada@x.co", "Company": "C"},
    )
    assert response.status_code == 201


def test_duplicate_rules_can_be_off(emulator):
    org = emulator.control.create_org(name="No Rules", duplicate_rules=False)
    sf = emulator.control.simple_salesforce(org)
    duplicate_lead(sf)
    assert duplicate_lead(sf)


def test_converted_lead_is_read_only(api, sf, emulator, org):
    lead_id = sf.Lead.create(
        {"FirstName": "A", "LastName": "B", "Company": "Acme", "Email": "a@b.co"}
    )["id"]

    converted = emulator.control.convert_lead(org["org_id"], lead_id)

    lead = sf.Lead.get(lead_id)
    contact = sf.Contact.get(converted["contact_id"])
    account = sf.Account.get(converted["account_id"])
    assert lead["IsConverted"] is True
    assert lead["ConvertedContactId"] == converted["contact_id"]
    assert lead["ConvertedAccountId"] == converted["account_id"]
    assert re.match(r"^\d{4}-\d\d-\d\d$", lead["ConvertedDate"])
    assert lead["Status"] == "Closed - Converted"
    assert contact["Email"] == "a@b.co"
    assert contact["AccountId"] == account["Id"]
    assert account["Name"] == "Acme"
    expected = [
        {
            "errorCode": "CANNOT_UPDATE_CONVERTED_LEAD",
            "message": "cannot reference converted lead",
            "fields": [],
        }
    ]
    assert (
        error_of(api, f"/sobjects/Lead/{lead_id}", {"Title": "x"}, method="patch")
        == expected
    )
    assert (
        error_of(api, "/sobjects/Task/", {"WhoId": lead_id, "Subject": "x"}) == expected
    )
    email_id = sf.EmailMessage.create({"Subject": "Hi", "Status": "3"})["id"]
    relation = {
        "EmailMessageId": email_id,
        "RelationId": lead_id,
        "RelationType": "ToAddress",
    }
    assert error_of(api, "/sobjects/EmailMessageRelation/", relation) == expected


def test_auto_assign_header(api, emulator, org):
    other = emulator.control._request(
        "POST",
        f"/_emulator/orgs/{org['org_id']}/users",
        json={"username": f"queue-{org['org_id']}@x.co", "assignment_rule_owner": True},
    ).json()
    body = {"LastName": "L", "Company": "C", "OwnerId": org["user_id"]}

    assigned = api.post("/sobjects/Lead/", json=body).json()["id"]
    owner_kept = api.post(
        "/sobjects/Lead/", json=body, headers={"Sforce-Auto-Assign": "FALSE"}
    ).json()["id"]

    assert api.get(f"/sobjects/Lead/{assigned}").json()["OwnerId"] == other["user_id"]
    assert api.get(f"/sobjects/Lead/{owner_kept}").json()["OwnerId"] == org["user_id"]


def test_simple_salesforce_raises_on_validation(sf):
    with pytest.raises(SalesforceMalformedRequest) as raised:
        sf.Lead.create({"FirstName": "NoLast"})
    assert raised.value.content[0]["errorCode"] == "REQUIRED_FIELD_MISSING"


def test_bearer_and_oauth_schemes(http, token):
    url = f"{token['instance_url']}/services/data/v62.0/limits"
    for scheme in ("Bearer", "OAuth"):
        response = http.get(
            url, headers={"Authorization": f"{scheme} {token['access_token']}"}
        )
        assert response.status_code == 200


def test_invalid_session(http, token):
    response = http.get(
        f"{token['instance_url']}/services/data/v62.0/limits",
        headers={"Authorization": "Bearer 00D!nonsense"},
    )
    assert response.status_code == 401
    assert response.json() == [
        {"errorCode": "INVALID_SESSION_ID", "message": "Session expired or invalid"}
    ]


def test_versions(http, api, emulator):
    versions = http.get(f"{emulator.base_url}/services/data/").json()
    assert versions[0] == {
        "label": "Summer '14",
        "url": "/services/data/v31.0",
        "version": "31.0",
    }
    assert {
        "label": "Winter '25",
        "url": "/services/data/v62.0",
        "version": "62.0",
    } in versions
    assert versions[-1]["version"] == "67.0"
    assert api.get(api.base.replace("v62.0", "v30.0") + "/limits").status_code == 410
    assert api.get(api.base.replace("v62.0", "v67.0") + "/limits").status_code == 200
    assert api.get(api.base.replace("v62.0", "v68.0") + "/limits").status_code == 404
    assert api.get("/").json()["query"] == "/services/data/v62.0/query"


def test_email_cc_and_from_ids(sf, org):
    contact_id = sf.Contact.create({"LastName": "C", "Email": "c@x.co"})["id"]
    email_id = sf.EmailMessage.create(
        {
            "Subject": "Re",
            "Status": "3",
            "Incoming": True,
            "FromId": contact_id,
            "CcIds": [org["user_id"]],
        }
    )["id"]

    relations = sf.query(
        format_soql(
            "SELECT RelationType, RelationObjectType FROM EmailMessageRelation "
            "WHERE EmailMessageId = {} ORDER BY RelationType",
            email_id,
        )
    )["records"]
    activity = sf.Task.get(sf.EmailMessage.get(email_id)["ActivityId"])

    assert [(r["RelationType"], r["RelationObjectType"]) for r in relations] == [
        ("CcAddress", "User"),
        ("FromAddress", "Contact"),
    ]
    assert activity["WhoId"] == contact_id


def test_conversion_moves_tasks_to_the_contact(sf, emulator, org):
    lead_id = sf.Lead.create({"LastName": "B", "Company": "Acme"})["id"]
    task_id = sf.Task.create({"WhoId": lead_id, "Subject": "Call"})["id"]

    converted = emulator.control.convert_lead(org["org_id"], lead_id)

    task = sf.Task.get(task_id)
    assert task["WhoId"] == converted["contact_id"]
    assert task["AccountId"] == converted["account_id"]


def test_converting_twice_is_rejected(sf, emulator, org):
    lead_id = sf.Lead.create({"LastName": "L", "Company": "C"})["id"]
    emulator.control.convert_lead(org["org_id"], lead_id)

    with pytest.raises(EmulatorError, match="CANNOT_UPDATE_CONVERTED_LEAD"):
        emulator.control.convert_lead(org["org_id"], lead_id)


def test_control_api_unknown_org(emulator):
    with pytest.raises(EmulatorError, match="404"):
        emulator.control.api_calls("00D000000000000AAA")


def test_concurrent_creates(api):
    def create(number: int) -> int:
        body = {"LastName": f"Parallel{number}", "Company": "C"}
        return api.post("/sobjects/Lead/", json=body).status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(40)))

    assert statuses == [201] * 40
    count = api.get("/query", params={"q": "SELECT COUNT() FROM Lead"}).json()
    assert count["totalSize"] == 40

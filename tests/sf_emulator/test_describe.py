"""Describe shapes and per-org custom fields and picklists."""

import pytest

from sf_emulator.client import EmulatorError

FIELD_KEYS = {
    "aggregatable", "aiPredictionField", "autoNumber", "byteLength", "calculated",
    "calculatedFormula", "cascadeDelete", "caseSensitive", "compoundFieldName",
    "controllerName", "createable", "custom", "defaultValue", "defaultValueFormula",
    "defaultedOnCreate", "dependentPicklist", "deprecatedAndHidden", "digits",
    "displayLocationInDecimal", "encrypted", "externalId", "extraTypeInfo",
    "filterable", "filteredLookupInfo", "formulaTreatNullNumberAsZero", "groupable",
    "highScaleNumber", "htmlFormatted", "idLookup", "inlineHelpText", "label",
    "length", "mask", "maskType", "name", "nameField", "namePointing", "nillable",
    "permissionable", "picklistValues", "polymorphicForeignKey", "precision",
    "queryByDistance", "referenceTargetField", "referenceTo", "relationshipName",
    "relationshipOrder", "restrictedDelete", "restrictedPicklist", "scale",
    "searchPrefilterable", "soapType", "sortable", "type", "unique", "updateable",
    "writeRequiresMasterRead",
}  # fmt: skip


def fields_by_name(describe: dict) -> dict:
    return {field["name"]: field for field in describe["fields"]}


def test_lead_describe(sf):
    describe = sf.Lead.describe()
    fields = fields_by_name(describe)

    assert describe["name"] == "Lead"
    assert describe["keyPrefix"] == "00Q"
    assert all(set(field) == FIELD_KEYS for field in describe["fields"])
    assert "Department" not in fields
    assert fields["LastName"]["length"] == 80
    assert fields["LastName"]["nillable"] is False
    assert fields["Email"]["type"] == "email"
    assert fields["Email"]["idLookup"] is True
    assert fields["FirstName"]["byteLength"] == 120
    assert fields["Description"]["filterable"] is False
    assert fields["Status"]["defaultedOnCreate"] is True
    assert fields["Status"]["restrictedPicklist"] is True
    assert fields["Status"]["picklistValues"][0] == {
        "active": True,
        "defaultValue": True,
        "label": "Open - Not Contacted",
        "validFor": None,
        "value": "Open - Not Contacted",
    }
    sources = [value["value"] for value in fields["LeadSource"]["picklistValues"]]
    assert {"Artisan AI", "Web", "Partner Outbound", "Other"} <= set(sources)
    assert fields["OwnerId"]["referenceTo"] == ["Group", "User"]
    assert fields["OwnerId"]["relationshipName"] == "Owner"
    assert fields["ConvertedContactId"]["updateable"] is False


def test_other_objects_describe(sf):
    contact = fields_by_name(sf.Contact.describe())
    task = fields_by_name(sf.Task.describe())
    email = fields_by_name(sf.EmailMessage.describe())
    relation = fields_by_name(sf.EmailMessageRelation.describe())

    assert contact["Department"]["length"] == 80
    assert contact["AccountId"]["referenceTo"] == ["Account"]
    assert "LinkedIn" in [v["value"] for v in task["TaskSubtype"]["picklistValues"]]
    assert task["TaskSubtype"]["updateable"] is False
    assert [v["value"] for v in email["Status"]["picklistValues"]] == list("012345")
    assert email["TextBody"]["length"] == 131072
    assert "Lead" not in email["RelatedToId"]["referenceTo"]
    assert relation["RelationId"]["referenceTo"] == ["Contact", "Lead", "User"]


def test_global_describe(api):
    body = api.get("/sobjects/").json()
    names = {item["name"] for item in body["sobjects"]}
    assert {"Lead", "Contact", "Account", "User", "Task", "EmailMessage"} <= names


CUSTOM_ORG = {
    "name": "Custom",
    "custom_fields": {
        "Lead": [
            {"name": "Custom_Status__c", "type": "picklist", "label": "Custom Status",
             "picklist_values": ["New", "Qualified"], "restricted": True},
            {"name": "artisanai__data_source_c__c", "type": "string", "length": 40,
             "label": "Data Source"},
            {"name": "Company_Website__c", "type": "url", "length": 255,
             "updateable": False},
        ]
    },
    "picklists": {
        "Lead.Status": {
            "values": ["Open", "Contacted", "Qualified", "Unqualified"],
            "default": "Open",
            "restricted": False,
        },
    },
}  # fmt: skip


def test_custom_fields_and_picklists(emulator):
    org = emulator.control.create_org(**CUSTOM_ORG)
    sf = emulator.control.simple_salesforce(org)

    fields = fields_by_name(sf.Lead.describe())
    lead_id = sf.Lead.create(
        {"LastName": "L", "Company": "C", "artisanai__data_source_c__c": "Artisan AI"}
    )["id"]
    lead = sf.Lead.get(lead_id)

    assert fields["artisanai__data_source_c__c"]["custom"] is True
    assert fields["artisanai__data_source_c__c"]["length"] == 40
    assert fields["Custom_Status__c"]["restrictedPicklist"] is True
    assert fields["Company_Website__c"]["updateable"] is False
    assert [v["value"] for v in fields["Status"]["picklistValues"]] == [
        "Open", "Contacted", "Qualified", "Unqualified",
    ]  # fmt: skip
    assert fields["Status"]["restrictedPicklist"] is False
    assert lead["Status"] == "Open"
    assert lead["artisanai__data_source_c__c"] == "Artisan AI"
    assert lead["Custom_Status__c"] is None


def test_custom_field_validation(emulator):
    org = emulator.control.create_org(**CUSTOM_ORG)
    token = emulator.control.password_token(org["username"], org["password"])
    url = f"{token['instance_url']}/services/data/v62.0/sobjects/Lead/"
    headers = {"Authorization": f"Bearer {token['access_token']}"}
    session = emulator.control.session

    too_long = session.post(
        url,
        json={"LastName": "L", "Company": "C", "artisanai__data_source_c__c": "x" * 41},
        headers=headers,
    )
    bad_value = session.post(
        url,
        json={"LastName": "L", "Company": "C", "Custom_Status__c": "Maybe"},
        headers=headers,
    )

    assert too_long.json()[0]["message"] == (
        f"Data Source: data value too large: {'x' * 41} (max length=40)"
    )
    assert too_long.json()[0]["fields"] == ["artisanai__data_source_c__c"]
    assert bad_value.json()[0]["errorCode"] == "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST"


@pytest.mark.parametrize(
    "config",
    [
        {"custom_fields": {"Lead": [{"name": "NoSuffix", "type": "string"}]}},
        {"custom_fields": {"Lead": [{"name": "Bad__c", "type": "blob"}]}},
        {"custom_fields": {"Gadget": []}},
        {"picklists": {"Lead.LastName": {"values": ["x"]}}},
        {"picklists": {"Lead.Status": {"values": ["a"], "default": "b"}}},
        {"api_limit": -1},
        {"colour": "blue"},
    ],
)
def test_invalid_org_config_is_rejected(emulator, config):
    with pytest.raises(EmulatorError, match="failed with 400"):
        emulator.control.create_org(**config)

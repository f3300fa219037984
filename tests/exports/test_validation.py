"""Settings checked against an org's describe: fields, access and picklists."""

from types import MappingProxyType

import pytest

from exports.config import EXAMPLE_ADVANCED_CONFIG, ExportSettings, settings_from_config
from exports.describe import ObjectSchema
from exports.models import ExportConfig
from exports.validation import check_settings, objects_to_check
from tests.exports.schemas import CONTACT, CONTACT_DESCRIBE, LEAD_DESCRIBE

CUSTOM_LEAD_FIELDS = [
    {
        "name": "Custom_Status__c",
        "type": "picklist",
        "length": 255,
        "restrictedPicklist": True,
        "picklistValues": [
            {"value": v, "label": v, "active": True}
            for v in ("Open - Not Contacted", "Working - Contacted", "Qualified")
        ]
        + [{"value": "Unqualified", "label": "Not a fit", "active": True}],
    },
    {"name": "Company_Website__c", "type": "url", "length": 255},
    {"name": "artisanai__data_source_c__c", "type": "string", "length": 10},
]


def schema(describe, extra=(), replace=None) -> ObjectSchema:
    fields = [
        {**item, **(replace or {}).get(item["name"], {})} for item in describe["fields"]
    ]
    return ObjectSchema.from_describe({**describe, "fields": [*fields, *extra]})


def example_settings(**changes) -> ExportSettings:
    advanced = {**EXAMPLE_ADVANCED_CONFIG, **changes}
    return settings_from_config(ExportConfig(advanced_config=advanced))


def test_complete_example_is_valid_with_its_fields():
    lead = schema(LEAD_DESCRIBE, CUSTOM_LEAD_FIELDS)
    contact = schema(CONTACT_DESCRIBE, CUSTOM_LEAD_FIELDS[2:])

    errors, warnings = check_settings(
        example_settings(lead_status={"1": "Not a fit"}),
        {"Lead": lead, "Contact": contact},
    )

    assert errors == []
    assert (
        "lead_status.1: 'Not a fit' is how Lead.Custom_Status__c labels the value "
        "'Unqualified'; Artisan sends 'Unqualified'." in warnings
    )
    assert any("is 19 characters long" in w for w in warnings)


def test_overwrites_need_both_objects():
    assert objects_to_check(ExportSettings()) == ("Lead",)
    assert objects_to_check(ExportSettings(object_mapping="contact")) == ("Contact",)
    assert objects_to_check(ExportSettings(overwrite_fields=("Status",))) == (
        "Lead",
        "Contact",
    )


@pytest.mark.parametrize(
    ("lead_extra", "replace", "error"),
    [
        (
            CUSTOM_LEAD_FIELDS[:2],
            None,
            "custom_attribution_property: Lead has no field "
            "artisanai__data_source_c__c that the connected Salesforce user can see.",
        ),
        (
            [*CUSTOM_LEAD_FIELDS[:2], {**CUSTOM_LEAD_FIELDS[2], "createable": False}],
            None,
            "custom_attribution_property: Lead.artisanai__data_source_c__c cannot be "
            "set on new records",
        ),
        (
            [*CUSTOM_LEAD_FIELDS[:2], {**CUSTOM_LEAD_FIELDS[2], "updateable": False}],
            None,
            "overwrite_fields: Lead.artisanai__data_source_c__c cannot be updated",
        ),
        (
            [
                CUSTOM_LEAD_FIELDS[0],
                {"name": "Company_Website__c", "type": "boolean"},
                CUSTOM_LEAD_FIELDS[2],
            ],
            None,
            "field_name_mappings.Website: Lead.Company_Website__c is a boolean field",
        ),
        (
            [*CUSTOM_LEAD_FIELDS, {"name": "Region__c", "nillable": False}],
            None,
            "field_name_mappings: Lead.Region__c is required in this org",
        ),
        (
            CUSTOM_LEAD_FIELDS,
            {
                "LeadSource": {
                    "restrictedPicklist": True,
                    "picklistValues": [{"value": "Web", "active": True}],
                }
            },
            "lead_source: 'Partner Outbound' is not a value of the restricted "
            "picklist Lead.LeadSource. Use one of 'Web', or add the value in "
            "Salesforce.",
        ),
    ],
)
def test_org_errors(lead_extra, replace, error):
    lead = schema(LEAD_DESCRIBE, lead_extra, replace)

    errors, _ = check_settings(
        example_settings(), {"Lead": lead, "Contact": schema(CONTACT_DESCRIBE)}
    )

    assert any(e.startswith(error) for e in errors), errors


def test_configured_status_missing_is_error():
    lead = schema(LEAD_DESCRIBE)  # Status: the test picklist has no "Hot"
    settings = settings_from_config(
        ExportConfig(advanced_config={"lead_status": {"3": "Hot"}})
    )

    errors, _ = check_settings(settings, {"Lead": lead})

    assert errors == [
        "lead_status.3: 'Hot' is not a value of the restricted picklist Lead.Status. "
        "Use one of 'Open - Not Contacted', 'Working - Contacted', 'Qualified', "
        "'Unqualified', 'Closed - Converted', or add the value in Salesforce."
    ]


def test_default_status_missing_from_org_is_a_warning():
    classic = {
        "Status": {
            "picklistValues": [
                {"value": "Open - Not Contacted", "active": True, "defaultValue": True},
                {"value": "Working - Contacted", "active": True},
            ]
        }
    }
    lead = schema(LEAD_DESCRIBE, replace=classic)

    errors, warnings = check_settings(ExportSettings(), {"Lead": lead})

    assert errors == []
    assert warnings == [
        "lead_status.1: Artisan's default 'Unqualified' is not a value of Lead.Status, "
        "so those records get the org's default 'Open - Not Contacted'. Set "
        "lead_status.1 to one of 'Open - Not Contacted', 'Working - Contacted' to "
        "choose another.",
        "lead_status.3: Artisan's default 'Qualified' is not a value of Lead.Status, "
        "so those records get the org's default 'Open - Not Contacted'. Set "
        "lead_status.3 to one of 'Open - Not Contacted', 'Working - Contacted' to "
        "choose another.",
    ]


def test_unrestricted_picklist_value_warns():
    settings = ExportSettings(lead_source="Podcast", lead_source_configured=True)

    errors, warnings = check_settings(settings, {"Lead": schema(LEAD_DESCRIBE)})

    assert errors == []
    assert warnings == [
        "lead_source: 'Podcast' is not among the values of Lead.LeadSource. The "
        "picklist is unrestricted, so Salesforce stores it as it is, but it is "
        "missing from the picklist's list until an admin adds it."
    ]


def test_missing_field_on_the_matched_object_only_warns():
    settings = ExportSettings(
        attribution_field="Source__c",
        overwrite_fields=("Source__c",),
    )
    lead = schema(
        LEAD_DESCRIBE, [{"name": "Source__c", "type": "string", "length": 50}]
    )

    errors, warnings = check_settings(settings, {"Lead": lead, "Contact": CONTACT})

    assert errors == []
    assert warnings == [
        "overwrite_fields: Contact has no field Source__c, so matched Contacts keep "
        "their own value there."
    ]


def test_contact_mapping_checks_contact_fields():
    settings = ExportSettings(
        object_mapping="contact",
        field_name_mappings=MappingProxyType({"Company": "Account_Name__c"}),
    )

    errors, _ = check_settings(settings, {"Contact": CONTACT})

    assert errors == [
        "field_name_mappings.Company: Contact has no field Account_Name__c that the "
        "connected Salesforce user can see. Create the field in Salesforce (or grant "
        "the user access to it), or correct the name."
    ]

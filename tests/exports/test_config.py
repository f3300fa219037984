"""The advanced configuration: its JSON Schema, its meaning and its parsing."""

import json
from types import MappingProxyType

import pytest

from exports.config import (
    ATTRIBUTION,
    DEFAULT_LEAD_STATUS,
    EXAMPLE_ADVANCED_CONFIG,
    SCHEMA_PATH,
    ExportConfigError,
    ExportSettings,
    advanced_config_problems,
    settings_from_config,
)
from exports.models import ExportConfig


def settings_for(advanced, **fields) -> ExportSettings:
    return settings_from_config(ExportConfig(advanced_config=advanced, **fields))


def test_schema_file_is_valid_json_schema():
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(SCHEMA_PATH.read_text()))


def test_complete_example_is_accepted():
    assert advanced_config_problems(dict(EXAMPLE_ADVANCED_CONFIG)) == []


@pytest.mark.parametrize("advanced", [{}, None])
def test_empty_configuration_means_defaults(advanced):
    settings = settings_for(advanced)

    assert settings == ExportSettings()


@pytest.mark.parametrize(
    ("advanced", "problem"),
    [
        (
            {"lead_sources": "X", "colour": 1},
            '"colour", "lead_sources": unknown keys of the advanced configuration. '
            "The known keys are lead_source, custom_attribution_property, "
            "attribution_value, overwrite_fields, field_name_mappings, lead_status.",
        ),
        ([], "The configuration: must be a JSON object, not []."),
        ({"lead_source": 5}, "lead_source: must be a string, not 5."),
        ({"lead_source": ""}, "lead_source: must not be empty."),
        ({"lead_source": "x" * 256}, "lead_source: " + json.dumps("x" * 256)),
        (
            {"attribution_value": ["A"]},
            'attribution_value: must be a string, not ["A"].',
        ),
        (
            {"overwrite_fields": "Status"},
            "overwrite_fields: must be a list of field API names, for example "
            '["LeadSource", "Status"], not "Status".',
        ),
        (
            {"overwrite_fields": ["Status", 3]},
            "overwrite_fields[1]: must be a string, not 3.",
        ),
        (
            {"overwrite_fields": ["Status", "Status"]},
            "overwrite_fields: names a field more than once; list each field once.",
        ),
        (
            {"field_name_mappings": {"Website": "Company Website"}},
            'field_name_mappings.Website: "Company Website" is not a field API name.',
        ),
        (
            {"field_name_mappings": {"Website": "Company__Website"}},
            'field_name_mappings.Website: "Company__Website" is not a field API name.',
        ),
        (
            {"field_name_mappings": {"Email": "Work_Email__c"}},
            'field_name_mappings: "Email" cannot be mapped.',
        ),
        (
            {"field_name_mappings": ["Status"]},
            'field_name_mappings: must be a JSON object, not ["Status"].',
        ),
        (
            {"custom_attribution_property": "Data Source"},
            'custom_attribution_property: "Data Source" is not a custom field API name.',
        ),
        (
            {"custom_attribution_property": "Description"},
            'custom_attribution_property: "Description" is not a custom field API name.',
        ),
        (
            {"custom_attribution_property": "bad_ns___field__c"},
            'custom_attribution_property: "bad_ns___field__c" is not a custom field',
        ),
        ({"lead_status": {"4": "Qualified"}}, 'lead_status: unknown key "4".'),
        ({"lead_status": {"3": 3}}, "lead_status.3: must be a string, not 3."),
        (
            {"lead_status": "Qualified"},
            'lead_status: must be a JSON object, not "Qualified".',
        ),
    ],
)
def test_schema_problems_name_the_key(advanced, problem):
    problems = advanced_config_problems(advanced)

    assert len(problems) == 1, problems
    assert problems[0].startswith(problem)


def test_every_schema_problem_is_reported():
    problems = advanced_config_problems(
        {"lead_source": 1, "lead_status": {"9": "x"}, "extra": True}
    )

    assert len(problems) == 3
    assert [p.split(":")[0] for p in problems] == [
        '"extra"',
        "lead_source",
        "lead_status",
    ]


@pytest.mark.parametrize(
    "name",
    [
        "Data_Source__c",
        "artisanai__data_source_c__c",
        "ns_2__Field__c",
        "X__c",
    ],
)
def test_custom_field_names_are_accepted(name):
    assert advanced_config_problems({"custom_attribution_property": name}) == []


@pytest.mark.parametrize(
    ("advanced", "problem"),
    [
        (
            {"attribution_value": "Artisan"},
            "attribution_value: is set, but custom_attribution_property is not",
        ),
        (
            {"overwrite_fields": ["Phone"]},
            "overwrite_fields[0]: Artisan sets no field 'Phone'",
        ),
        (
            # Department is where Contacts get the company name, unless mapped.
            {
                "field_name_mappings": {"Company": "Account_Name__c"},
                "overwrite_fields": ["Department"],
            },
            "overwrite_fields[0]: Artisan sets no field 'Department'",
        ),
        (
            {"field_name_mappings": {"Title": "Website"}},
            "field_name_mappings: Title and Website would both go to Lead.Website.",
        ),
        (
            {"field_name_mappings": {"Website": "Company"}},
            "field_name_mappings: Company and Website would both go to Lead.Company.",
        ),
        (
            {
                "field_name_mappings": {"Website": "Source__c"},
                "custom_attribution_property": "Source__c",
            },
            "field_name_mappings: Website and custom_attribution_property would both "
            "go to Lead.Source__c.",
        ),
    ],
)
def test_meaning_problems(advanced, problem):
    problems = advanced_config_problems(advanced)

    assert any(p.startswith(problem) for p in problems), problems


def test_invalid_configuration_raises_with_every_problem():
    with pytest.raises(ExportConfigError) as raised:
        settings_for({"lead_source": 1, "colour": "red"})

    assert len(raised.value.problems) == 2
    assert "lead_source: must be a string" in str(raised.value)


def test_complete_example_parses_to_settings():
    settings = settings_for(dict(EXAMPLE_ADVANCED_CONFIG))

    assert settings.lead_source == "Partner Outbound"
    assert settings.lead_source_configured
    assert settings.attribution_field == "artisanai__data_source_c__c"
    assert settings.attribution_value == "Artisan AI Platform"
    assert settings.configured_status_keys == set(DEFAULT_LEAD_STATUS)
    assert settings.target_fields("Lead")["Status"] == "Custom_Status__c"
    assert settings.target_fields("Lead")["Website"] == "Company_Website__c"
    assert "Status" not in settings.target_fields("Contact")
    assert settings.overwrite_targets("Lead") == {
        "LeadSource": "LeadSource",
        "artisanai__data_source_c__c": ATTRIBUTION,
        "Custom_Status__c": "Status",
    }
    assert settings.overwrite_targets("Contact") == {
        "LeadSource": "LeadSource",
        "artisanai__data_source_c__c": ATTRIBUTION,
    }


def test_lead_status_overlays_defaults_key_by_key():
    settings = settings_for({"lead_status": {"3": "Hot"}})

    assert settings.lead_status == {**DEFAULT_LEAD_STATUS, "3": "Hot"}
    assert settings.configured_status_keys == {"3"}
    assert not settings.lead_source_configured


@pytest.mark.parametrize(
    ("entry", "lead_field", "contact_field"),
    [
        ("Status", "Custom_Status__c", None),
        ("Custom_Status__c", "Custom_Status__c", None),
        ("custom_status__C", "Custom_Status__c", None),
        ("Company", "Company", "Department"),
        ("Department", "Company", "Department"),
        ("Website", "Company_Website__c", "Company_Website__c"),
        ("Company_Website__c", "Company_Website__c", "Company_Website__c"),
    ],
)
def test_overwrite_entries_name_canonical_or_mapped_fields(
    entry, lead_field, contact_field
):
    settings = ExportSettings(
        field_name_mappings=MappingProxyType(
            {"Status": "Custom_Status__c", "Website": "Company_Website__c"}
        ),
        overwrite_fields=(entry,),
    )

    assert list(settings.overwrite_targets("Lead")) == [lead_field]
    assert list(settings.overwrite_targets("Contact")) == (
        [contact_field] if contact_field else []
    )


def test_mapped_company_still_fills_company_on_leads():
    settings = ExportSettings(
        field_name_mappings=MappingProxyType({"Company": "Account_Name__c"})
    )

    assert settings.field_sources("Lead")["Account_Name__c"] == "Company"
    assert settings.field_sources("Lead")["Company"] == "Company"
    assert "Department" not in settings.field_sources("Contact")
    assert settings.field_sources("Contact")["Account_Name__c"] == "Company"

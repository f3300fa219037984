"""Field mapping, status rules, placeholders and UTF-16 truncation."""

import dataclasses
from types import MappingProxyType

import pytest

from exports.config import ExportSettings
from exports.describe import ObjectSchema
from exports.mapping import (
    COMPANY_PLACEHOLDER,
    FieldChange,
    LeadData,
    MappingError,
    Truncation,
    grapheme_clusters,
    lead_status_key,
    map_lead,
    map_update,
    truncate_utf16,
    utf16_length,
)
from tests.exports.schemas import CONTACT, LEAD, LEAD_DESCRIBE

ADA = LeadData(
    lead_id=1,
    email="  Ada@Example.com ",
    first_name="Ada",
    last_name="Lovelace",
    job_title="Analyst",
    company_name="Analytical Engines",
    website="https://engines.example",
)


@pytest.mark.parametrize(
    ("replied", "sentiment", "key", "status"),
    [
        (False, None, "not_engaged", "Open - Not Contacted"),
        (False, 3, "not_engaged", "Open - Not Contacted"),
        (True, None, "engaged", "Working - Contacted"),
        (True, 3, "3", "Qualified"),
        (True, 2, "2", "Working - Contacted"),
        (True, 1, "1", "Unqualified"),
    ],
)
def test_status_follows_engagement_and_sentiment(replied, sentiment, key, status):
    lead = dataclasses.replace(ADA, replied=replied, sentiment=sentiment)

    record = map_lead(lead, ExportSettings(), LEAD)

    assert lead_status_key(replied, sentiment) == key
    assert record.fields["Status"] == status


def test_lead_mapping_sends_every_field():
    record = map_lead(ADA, ExportSettings(), LEAD)

    assert record.payload() == {
        "attributes": {"type": "Lead"},
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "Ada@Example.com",
        "Title": "Analyst",
        "Company": "Analytical Engines",
        "Website": "https://engines.example",
        "Status": "Open - Not Contacted",
        "LeadSource": "Artisan AI",
    }
    assert record.truncations == ()
    assert record.notes == ()


def test_contact_gets_department_and_description_and_no_status():
    record = map_lead(ADA, ExportSettings(object_mapping="contact"), CONTACT)

    assert record.payload() == {
        "attributes": {"type": "Contact"},
        "FirstName": "Ada",
        "LastName": "Lovelace",
        "Email": "Ada@Example.com",
        "Title": "Analyst",
        "Department": "Analytical Engines",
        "Description": "https://engines.example",
        "LeadSource": "Artisan AI",
    }


def test_contact_department_is_cut_to_its_own_length():
    lead = dataclasses.replace(ADA, company_name="C" * 200)

    record = map_lead(lead, ExportSettings(object_mapping="contact"), CONTACT)

    assert record.fields["Department"] == "C" * 80
    assert record.truncations == (Truncation("Department", 200, 80),)


def test_configured_mapping_changes_only_data():
    describe = dict(LEAD_DESCRIBE)
    describe["fields"] = [
        *LEAD_DESCRIBE["fields"],
        {"name": "Custom_Status__c", "type": "string", "length": 20},
        {"name": "Company_Website__c", "type": "url", "length": 10},
        {"name": "ns__source__c", "type": "string", "length": 255},
    ]
    settings = ExportSettings(
        lead_source="Partner Outbound",
        attribution_field="ns__source__c",
        attribution_value="Artisan AI Platform",
        field_name_mappings=MappingProxyType(
            {"Status": "Custom_Status__c", "Website": "Company_Website__c"}
        ),
        lead_status=MappingProxyType(
            {**ExportSettings().lead_status, "not_engaged": "Brand new lead status"}
        ),
    )

    record = map_lead(ADA, settings, ObjectSchema.from_describe(describe))

    assert "Status" not in record.fields
    assert "Website" not in record.fields
    assert record.fields["Custom_Status__c"] == "Brand new lead statu"
    assert record.fields["Company_Website__c"] == "https://en"
    assert record.fields["LeadSource"] == "Partner Outbound"
    assert record.fields["ns__source__c"] == "Artisan AI Platform"
    assert set(record.truncations) == {
        Truncation("Custom_Status__c", 21, 20),
        Truncation("Company_Website__c", 23, 10),
    }


def test_lengths_come_from_the_describe_not_constants():
    describe = dict(LEAD_DESCRIBE)
    describe["fields"] = [
        {**f, "length": 5} if f["name"] == "FirstName" else f
        for f in LEAD_DESCRIBE["fields"]
    ]

    record = map_lead(ADA, ExportSettings(), ObjectSchema.from_describe(describe))

    assert record.fields["FirstName"] == "Ada"
    long_name = dataclasses.replace(ADA, first_name="Augusta")
    record = map_lead(long_name, ExportSettings(), ObjectSchema.from_describe(describe))
    assert record.fields["FirstName"] == "Augus"


def test_first_name_cut_to_forty():
    lead = dataclasses.replace(ADA, first_name="F" * 30 + "G" * 30)

    record = map_lead(lead, ExportSettings(), LEAD)

    assert record.fields["FirstName"] == "F" * 30 + "G" * 10
    assert record.truncations == (Truncation("FirstName", 60, 40),)


def test_empty_optional_values_are_not_sent():
    lead = LeadData(
        lead_id=1, email="a@example.com", last_name="Only", company_name="X"
    )

    record = map_lead(lead, ExportSettings(), LEAD)

    assert set(record.fields) == {
        "LastName",
        "Email",
        "Company",
        "Status",
        "LeadSource",
    }


def test_missing_company_gets_placeholder_on_lead():
    lead = dataclasses.replace(ADA, company_name="   ")

    record = map_lead(lead, ExportSettings(), LEAD)

    assert record.fields["Company"] == COMPANY_PLACEHOLDER == "[not provided]"
    assert record.notes == (
        'Company was empty; sent "[not provided]" because Salesforce requires '
        "Company on a Lead.",
    )


def test_missing_company_left_out_on_contact():
    lead = dataclasses.replace(ADA, company_name="")

    record = map_lead(lead, ExportSettings(object_mapping="contact"), CONTACT)

    assert "Department" not in record.fields
    assert record.notes == ()


@pytest.mark.parametrize(
    ("changes", "code", "words"),
    [
        ({"last_name": " "}, "MISSING_LAST_NAME", "has no last name"),
        ({"email": ""}, "MISSING_EMAIL", "has no email"),
        ({"email": "not an email"}, "INVALID_EMAIL", "'not an email' is not an email"),
        ({"email": "a@213213213213213com"}, "INVALID_EMAIL", "a@213213213213213com"),
        ({"email": "a&b@ex&ample.com"}, "INVALID_EMAIL", "a&b@ex&ample.com"),
        ({"email": "a\\b@example.com"}, "INVALID_EMAIL", "a\\\\b@example.com"),
        ({"email": "x" * 70 + "@example.com"}, "EMAIL_TOO_LONG", "82 characters"),
    ],
)
def test_values_no_truncation_can_save_fail_the_lead(changes, code, words):
    lead = dataclasses.replace(ADA, **changes)

    with pytest.raises(MappingError) as raised:
        map_lead(lead, ExportSettings(), LEAD)

    assert raised.value.code == code
    assert words in raised.value.message
    assert "Artisan" in raised.value.message  # names where to fix it


@pytest.mark.parametrize(
    "email",
    ["o'brien@example.com", "first+tag@Example.COM", "x" * 68 + "@example.com"],
)
def test_unusual_but_valid_emails_are_sent(email):
    record = map_lead(dataclasses.replace(ADA, email=email), ExportSettings(), LEAD)

    assert record.fields["Email"] == email


@pytest.mark.parametrize(
    ("value", "units"),
    [
        ("", 0),
        ("abc", 3),
        ("é", 1),
        ("e\u0301", 2),
        ("漢字", 2),
        ("👍", 2),
        ("👍🏽", 4),
        ("\U00020000", 2),  # CJK Extension B, outside the BMP
        ("👨\u200d👩\u200d👧", 8),
    ],
)
def test_utf16_length_counts_code_units(value, units):
    assert utf16_length(value) == units


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdef", 4, "abcd"),
        ("abcdef", 0, ""),
        # An emoji is two units: never keep half of it.
        ("ab👍cd", 3, "ab"),
        ("ab👍cd", 4, "ab👍"),
        ("👍👍👍", 5, "👍👍"),
        # A skin-tone modifier belongs to its emoji.
        ("ab👍🏽", 5, "ab"),
        ("ab👍🏽", 6, "ab👍🏽"),
        # A ZWJ family is one character of eleven units.
        ("a👨\u200d👩\u200d👧\u200d👦", 11, "a"),
        ("a👨\u200d👩\u200d👧\u200d👦", 12, "a👨\u200d👩\u200d👧\u200d👦"),
        # Combining marks stay with their base letter.
        ("cafe\u0301", 4, "caf"),
        ("cafe\u0301s", 5, "cafe\u0301"),
        ("a\u0323\u0302b", 2, ""),
        ("xa\u0323\u0302b", 3, "x"),
        # Flags are pairs of regional indicators.
        ("🇺🇸🇫🇷", 6, "🇺🇸"),
        ("🇺🇸🇫🇷", 8, "🇺🇸🇫🇷"),
        # Keycap: digit, variation selector, combining keycap.
        ("1\ufe0f\u20e3!", 2, ""),
        # CJK: one unit each in the BMP, two outside it.
        ("東京都港区", 3, "東京都"),
        ("\U00020000\U00020001", 3, "\U00020000"),
        # Precomposed and conjoining Hangul.
        ("한국어", 2, "한국"),
        ("\u1112\u1161\u11ab\u1100", 3, "\u1112\u1161\u11ab"),
        ("\u1112\u1161\u11ab\u1100", 2, ""),
    ],
)
def test_truncation_never_splits_a_character(value, limit, expected):
    cut = truncate_utf16(value, limit)

    assert cut == expected
    assert utf16_length(cut) <= limit
    cut.encode("utf-16-le", errors="strict")  # no lone surrogate


def test_grapheme_clusters_of_a_mixed_string():
    value = "e\u0301a👨\u200d👩\u200d👧b🇺🇸🇫🇷👍🏽\r\n"

    assert grapheme_clusters(value) == [
        "e\u0301",
        "a",
        "👨\u200d👩\u200d👧",
        "b",
        "🇺🇸",
        "🇫🇷",
        "👍🏽",
        "\r\n",
    ]


def test_emoji_name_cut_whole():
    lead = dataclasses.replace(ADA, first_name="A" * 39 + "😀")

    record = map_lead(lead, ExportSettings(), LEAD)

    assert record.fields["FirstName"] == "A" * 39
    assert record.truncations == (Truncation("FirstName", 41, 39),)


@pytest.mark.parametrize(
    ("value", "limit", "expected"),
    [
        # A Devanagari conjunct (consonant, virama, consonant) is one character.
        ("क्षत्रिय", 2, ""),
        ("क्षत्रिय", 3, "क्ष"),
        # An Arabic number sign attaches to the digit after it.
        ("\u0600\u0661\u0662", 1, ""),
        # Thai SARA AM is a spacing mark of the consonant before it.
        ("กำไร", 1, ""),
        # A woman technologist with skin tone: ZWJ sequence of seven units.
        ("x👩🏽\u200d💻", 7, "x"),
        # England's flag: black flag and tag characters, fourteen units.
        (
            "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f!",
            14,
            "🏴\U000e0067\U000e0062\U000e0065\U000e006e\U000e0067\U000e007f",
        ),
        # A combining mark after a line break does not join it.
        ("a\n\u0301b", 2, "a\n"),
    ],
)
def test_truncation_keeps_clusters_of_every_script(value, limit, expected):
    assert truncate_utf16(value, limit) == expected


def test_lone_surrogate_is_replaced_and_counted():
    lead = dataclasses.replace(ADA, first_name="Ada\ud83d")

    record = map_lead(lead, ExportSettings(), LEAD)

    assert record.fields["FirstName"] == "Ada\ufffd"
    assert utf16_length("a\ud83d") == 2


def test_truncation_that_empties_last_name_fails_the_lead():
    describe = {
        **LEAD_DESCRIBE,
        "fields": [
            {**f, "length": 1} if f["name"] == "LastName" else f
            for f in LEAD_DESCRIBE["fields"]
        ],
    }
    lead = dataclasses.replace(ADA, last_name="👍")

    with pytest.raises(MappingError) as raised:
        map_lead(lead, ExportSettings(), ObjectSchema.from_describe(describe))

    assert raised.value.code == "MISSING_LAST_NAME"


def test_mapped_company_fills_both_lead_fields():
    describe = {
        **LEAD_DESCRIBE,
        "fields": [
            *LEAD_DESCRIBE["fields"],
            {"name": "Account_Name__c", "type": "string", "length": 10},
        ],
    }
    settings = ExportSettings(
        field_name_mappings=MappingProxyType({"Company": "Account_Name__c"})
    )

    record = map_lead(ADA, settings, ObjectSchema.from_describe(describe))

    assert record.fields["Company"] == "Analytical Engines"
    assert record.fields["Account_Name__c"] == "Analytical"


def test_field_names_take_the_orgs_spelling():
    settings = ExportSettings(
        field_name_mappings=MappingProxyType({"Website": "company_website__C"})
    )
    describe = {
        **LEAD_DESCRIBE,
        "fields": [
            *LEAD_DESCRIBE["fields"],
            {"name": "Company_Website__c", "type": "url", "length": 255},
        ],
    }

    record = map_lead(ADA, settings, ObjectSchema.from_describe(describe))

    assert record.fields["Company_Website__c"] == "https://engines.example"


STATUS_BY_LABEL = {
    **LEAD_DESCRIBE,
    "fields": [
        f for f in LEAD_DESCRIBE["fields"] if f["name"] not in ("Status", "LeadSource")
    ]
    + [
        {
            "name": "Status",
            "type": "picklist",
            "length": 255,
            "restrictedPicklist": True,
            "picklistValues": [
                {
                    "value": "Open",
                    "label": "Open",
                    "active": True,
                    "defaultValue": True,
                },
                {"value": "HOT", "label": "Hot lead", "active": True},
            ],
        },
        {
            "name": "LeadSource",
            "type": "picklist",
            "length": 255,
            "restrictedPicklist": True,
            "picklistValues": [{"value": "Web", "label": "Web", "active": True}],
        },
    ],
}


def test_configured_label_is_sent_as_api_value():
    settings = ExportSettings(
        lead_status=MappingProxyType({**ExportSettings().lead_status, "3": "Hot lead"}),
        configured_status_keys=frozenset({"3"}),
        lead_source="web",
        lead_source_configured=True,
    )
    lead = dataclasses.replace(ADA, replied=True, sentiment=3)

    record = map_lead(lead, settings, ObjectSchema.from_describe(STATUS_BY_LABEL))

    assert record.fields["Status"] == "HOT"
    assert record.fields["LeadSource"] == "Web"


def test_default_missing_from_restricted_picklist_omitted():
    record = map_lead(
        ADA, ExportSettings(), ObjectSchema.from_describe(STATUS_BY_LABEL)
    )

    assert "Status" not in record.fields
    assert "LeadSource" not in record.fields
    assert record.notes[0] == (
        "LeadSource 'Artisan AI' is not in this org's picklist, so it was left out "
        "and Salesforce applied the field's default. It is Artisan's default for "
        "lead_source; set a value the org has in the advanced configuration, or add "
        "this one in Salesforce."
    )
    assert record.notes[1].startswith(
        "Status 'Open - Not Contacted' is not in this org's picklist, so it was left "
        "out and Salesforce applied the field's default ('Open')."
    )


def test_configured_value_missing_from_restricted_picklist_raises():
    settings = ExportSettings(lead_source="Podcast", lead_source_configured=True)

    with pytest.raises(MappingError) as raised:
        map_lead(ADA, settings, ObjectSchema.from_describe(STATUS_BY_LABEL))

    assert raised.value.code == "VALUE_NOT_IN_PICKLIST"
    assert "lead_source is 'Podcast'" in raised.value.message


OVERWRITE = ExportSettings(
    lead_source="Partner Outbound",
    lead_source_configured=True,
    attribution_field="Source__c",
    attribution_value="Artisan",
    overwrite_fields=("LeadSource", "Source__c", "Status", "Company", "Title"),
)
LEAD_WITH_SOURCE = ObjectSchema.from_describe(
    {
        **LEAD_DESCRIBE,
        "fields": [
            *LEAD_DESCRIBE["fields"],
            {"name": "Source__c", "type": "string", "length": 5},
        ],
    }
)


def test_update_lists_only_differing_fields():
    current = {
        "LeadSource": "Web",
        "Source__c": "Artis",
        "Status": "Open - Not Contacted",
        "Company": "Old Engines",
        "Title": None,
    }

    update = map_update(ADA, OVERWRITE, LEAD_WITH_SOURCE, current)

    assert update.changes == (
        FieldChange("LeadSource", "Web", "Partner Outbound"),
        FieldChange("Company", "Old Engines", "Analytical Engines"),
        FieldChange("Title", None, "Analyst"),
    )
    assert update.truncations == ()
    assert update.payload("00Q000000000001AAA") == {
        "attributes": {"type": "Lead"},
        "id": "00Q000000000001AAA",
        "LeadSource": "Partner Outbound",
        "Company": "Analytical Engines",
        "Title": "Analyst",
    }


def test_update_without_current_values_sends_everything():
    update = map_update(ADA, OVERWRITE, LEAD_WITH_SOURCE, None)

    assert [c.field for c in update.changes] == [
        "LeadSource",
        "Source__c",
        "Status",
        "Company",
        "Title",
    ]
    assert update.truncations == (Truncation("Source__c", 7, 5),)


def test_update_never_blanks_or_uses_placeholders():
    lead = dataclasses.replace(ADA, company_name="", job_title=" ")

    update = map_update(lead, OVERWRITE, LEAD_WITH_SOURCE, None)

    assert {c.field for c in update.changes} == {"LeadSource", "Source__c", "Status"}


def test_update_of_contact_skips_status_and_missing_fields():
    update = map_update(ADA, OVERWRITE, CONTACT, {})

    assert [c.field for c in update.changes] == ["LeadSource", "Department", "Title"]
    assert update.notes == (
        "Contact has no field Source__c, so it was not overwritten.",
    )


def test_update_leaves_a_default_the_org_lacks():
    settings = dataclasses.replace(OVERWRITE, overwrite_fields=("Status",))
    lead = dataclasses.replace(ADA, replied=True, sentiment=1)
    schema = ObjectSchema.from_describe(STATUS_BY_LABEL)

    update = map_update(lead, settings, schema, {"Status": "Open"})

    assert update.changes == ()
    assert update.notes[0].startswith(
        "Status 'Unqualified' is not in this org's picklist, so Status was not "
        "overwritten."
    )

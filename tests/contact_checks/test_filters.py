"""Blocklist filters: schema messages, checks against describe, and the SOQL emitted."""

import pytest

from contact_checks.compiler import MAX_CONDITION_BYTES, compile_blocklist
from contact_checks.decisions import Outcome
from contact_checks.filters import (
    FilterError,
    describe_rule,
    parse_blocklist,
    validate_document,
)
from exports.describe import ObjectSchema


def field(name, type_="string", **extra):
    return {"name": name, "type": type_, "filterable": True, **extra}


def picklist(name, values, restricted=False):
    return field(
        name,
        "picklist",
        restrictedPicklist=restricted,
        picklistValues=[{"value": value, "active": True} for value in values],
    )


def reference(name, relationship):
    return field(
        name, "reference", referenceTo=["Account"], relationshipName=relationship
    )


SCHEMAS = {
    "Lead": ObjectSchema.from_describe(
        {
            "name": "Lead",
            "fields": [
                field("Id", "id"),
                field("Email", "email"),
                field("LastName"),
                field("Title"),
                picklist("Status", ["Open - Not Contacted", "Customer"], True),
                field("Description", "textarea", filterable=False),
                field("NumberOfEmployees", "int"),
                field("AnnualRevenue", "currency"),
                field("ConvertedDate", "date"),
                field("CreatedDate", "datetime"),
                field("HasOptedOutOfEmail", "boolean"),
                field("OwnerId", "reference", referenceTo=["User"]),
                field("Interests__c", "multipicklist"),
                reference("ConvertedAccountId", "ConvertedAccount"),
            ],
        }
    ),
    "Contact": ObjectSchema.from_describe(
        {
            "name": "Contact",
            "fields": [
                field("Id", "id"),
                field("Email", "email"),
                field("LastName"),
                field("Title"),
                field("HasOptedOutOfEmail", "boolean"),
                reference("AccountId", "Account"),
            ],
        }
    ),
    "Account": ObjectSchema.from_describe(
        {
            "name": "Account",
            "fields": [
                field("Name"),
                picklist("Type", ["Prospect", "Partner"]),
                field("NumberOfEmployees", "int"),
            ],
        }
    ),
}


def rule(when, name="R", outcome="block", **extra):
    return {"name": name, "outcome": outcome, "when": when, **extra}


def one_rule(when, **extra):
    return {"rules": [rule(when, **extra)]}


def compiled_condition(when, sobject="Lead", **extra):
    blocklist = parse_blocklist(one_rule(when, objects=[sobject], **extra))
    return compile_blocklist(blocklist, SCHEMAS).rules_for(sobject)[0][1]


def problems_of(document):
    with pytest.raises(FilterError) as raised:
        validate_document(document)
    return raised.value.problems


# --- JSON Schema: one malformed document, one clear message ----------------

STATUS = {"field": "Status", "operator": "equals", "value": "Customer"}

MALFORMED = [
    (
        ["not", "an", "object"],
        'the document: expected object, got array ["not", "an", "object"].',
    ),
    ({"otherwise": "block"}, "the document: 'rules' is missing."),
    (
        {"rules": [], "rule": []},
        "the document: unknown key(s) 'rule'; allowed keys are otherwise, rules.",
    ),
    (
        {"rules": [], "otherwise": "maybe"},
        "otherwise: 'maybe' is not allowed; use one of 'block', 'allow'.",
    ),
    ({"rules": {"name": "R"}}, 'rules: expected array, got object {"name": "R"}.'),
    ({"rules": [{"name": "R", "outcome": "block"}]}, "rules[0]: 'when' is missing."),
    (
        one_rule(STATUS, outcome="deny"),
        "rules[0].outcome: 'deny' is not allowed; use one of 'block', 'allow'.",
    ),
    (
        one_rule(STATUS, name="   "),
        "rules[0].name: the rule name is blank; name the rule.",
    ),
    (
        one_rule(STATUS, objects=["Lead", "Account"]),
        "rules[0].objects[1]: 'Account' is not allowed; use one of 'Lead', 'Contact'.",
    ),
    (
        one_rule(STATUS, objects=["Lead", "Lead"]),
        "rules[0].objects: an object is listed twice; list Lead and Contact once each.",
    ),
    (
        one_rule({"field": "Status", "operator": "equal", "value": "x"}),
        "rules[0].when.operator: 'equal' is not allowed; use one of 'equals', "
        "'not_equals', 'in', 'not_in', 'contains', 'starts_with', 'is_empty', "
        "'greater_than', 'less_than'.",
    ),
    (
        one_rule({"field": "Status", "operator": "equals"}),
        "rules[0].when: operator 'equals' needs a 'value'.",
    ),
    (
        one_rule({"operator": "is_empty"}),
        "rules[0].when: 'field' is missing.",
    ),
    (
        one_rule({"field": "Status", "operator": "in", "value": "Customer"}),
        'rules[0].when.value: expected array, got string "Customer".',
    ),
    (
        one_rule({"field": "Status", "operator": "in", "value": []}),
        "rules[0].when.value: the list is empty; give at least one item.",
    ),
    (
        one_rule({"field": "Status", "operator": "is_empty", "value": True}),
        "rules[0].when: operator 'is_empty' takes no value; remove 'value'.",
    ),
    (
        one_rule({"field": "Status", "operator": "contains", "value": 5}),
        "rules[0].when.value: expected string, got number 5.",
    ),
    (
        one_rule({"field": "Status", "operator": "equals", "value": {"a": 1}}),
        "rules[0].when.value: expected string or number or boolean, got object "
        '{"a": 1}.',
    ),
    (
        one_rule({"field": "Lead Status", "operator": "is_empty"}),
        "rules[0].when.field: 'Lead Status' is not a field API name; write the "
        "API name, such as Status, Custom_Status__c or Account.Type.",
    ),
    (
        one_rule({"field": "Owner.Name", "operator": "is_empty"}),
        "rules[0].when.field: 'Owner.Name' is not a field API name; write the "
        "API name, such as Status, Custom_Status__c or Account.Type.",
    ),
    (
        one_rule({}),
        "rules[0].when: a condition is either a comparison with 'field', "
        "'operator' and 'value', or exactly one of 'all', 'any', 'not'; got keys "
        "none.",
    ),
    (
        one_rule({"all": [STATUS], "not": STATUS}),
        "rules[0].when: a condition is either a comparison with 'field', "
        "'operator' and 'value', or exactly one of 'all', 'any', 'not'; got keys "
        "['all', 'not'].",
    ),
    (
        one_rule({"any": []}),
        "rules[0].when.any: the list is empty; give at least one item.",
    ),
    (
        one_rule({"nor": [STATUS]}),
        "rules[0].when: unknown key(s) 'nor'; allowed keys are all, any, field, "
        "not, operator, value.",
    ),
    (
        one_rule({"all": [STATUS, {"field": "Status", "operator": "like"}]}),
        "rules[0].when.all[1].operator: 'like' is not allowed; use one of "
        "'equals', 'not_equals', 'in', 'not_in', 'contains', 'starts_with', "
        "'is_empty', 'greater_than', 'less_than'.",
    ),
    (
        one_rule({"field": "Title", "operator": "contains", "value": "x" * 256}),
        "rules[0].when.value: the text has 256 characters; at most 255 are allowed.",
    ),
    (
        {"rules": [rule(STATUS, name="Customers"), rule(STATUS, name="customers ")]},
        "rules[1].name: 'customers' is also the name of rules[0]; give each rule "
        "its own name, because decisions report the rule by name.",
    ),
    (
        one_rule({"any": [STATUS] * 21}),
        "rules[0].when.any: the list has 21 items; at most 20 are allowed.",
    ),
    (
        one_rule({"all": [{"any": [STATUS] * 10}, {"any": [STATUS] * 11}]}),
        "rules[0].when has 21 comparisons; use at most 20, or split it into "
        "several rules.",
    ),
]


@pytest.mark.parametrize(
    ("document", "message"), MALFORMED, ids=[message for _, message in MALFORMED]
)
def test_malformed_filters_rejected_clearly(document, message):
    assert problems_of(document) == [message]


def test_deep_nesting_is_rejected_before_validation():
    condition = STATUS
    for _ in range(50):
        condition = {"not": condition}

    assert problems_of(one_rule(condition)) == [
        "conditions are nested too deeply: use at most 8 levels."
    ]


def test_several_problems_are_all_listed():
    document = {"rules": [rule(STATUS, outcome="deny"), {"name": "X"}]}

    assert problems_of(document) == [
        "rules[0].outcome: 'deny' is not allowed; use one of 'block', 'allow'.",
        "rules[1]: 'outcome' is missing.",
        "rules[1]: 'when' is missing.",
    ]


def test_valid_document_parses():
    document = {
        "rules": [
            rule(STATUS, name="Customers", objects=["Lead"]),
            rule(
                {"not": {"field": "Account.Type", "operator": "is_empty"}},
                name="Has a type",
                outcome="allow",
            ),
        ],
        "otherwise": "allow",
    }

    blocklist = parse_blocklist(document)

    assert [r.name for r in blocklist.rules] == ["Customers", "Has a type"]
    assert blocklist.rules[0].objects == ("Lead",)
    assert blocklist.rules[1].objects == ("Lead", "Contact")
    assert blocklist.otherwise == Outcome.ALLOW
    assert blocklist.uses_account
    assert describe_rule(blocklist.rules[0]) == (
        'Block Leads when Status equals "Customer"'
    )
    assert describe_rule(blocklist.rules[1]) == (
        "Allow Leads and Contacts when not (Account.Type is empty)"
    )


@pytest.mark.parametrize("document", [None, {}, {"rules": []}])
def test_no_filters_means_no_rules(document):
    blocklist = parse_blocklist(document)

    assert blocklist.rules == ()
    assert blocklist.otherwise == Outcome.BLOCK


# --- against the org's describe ---------------------------------------------


def describe_problems(when, **extra):
    with pytest.raises(FilterError) as raised:
        compile_blocklist(parse_blocklist(one_rule(when, **extra)), SCHEMAS)
    return raised.value.problems


DESCRIBE_PROBLEMS = [
    (
        {"field": "Statuss", "operator": "equals", "value": "x"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Lead has no field 'Statuss' that the connected user can "
        "read; check the API name.",
    ),
    (
        {"field": "Status", "operator": "equals", "value": "Customer"},
        {},
        "rules[0] ('R'): Contact has no field 'Status' that the connected user "
        "can read; check the API name or limit the rule to the objects that have "
        "it with 'objects'.",
    ),
    (
        {"field": "Account.Tier__c", "operator": "equals", "value": "Gold"},
        {"objects": ["Contact"]},
        "rules[0] ('R'): Account has no field 'Tier__c' that the connected user "
        "can read; check the API name in Setup → Object Manager.",
    ),
    (
        {"field": "Description", "operator": "contains", "value": "x"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Description on Lead cannot be filtered: Salesforce does "
        "not allow it in a WHERE clause (long text fields, for example). Use "
        "another field.",
    ),
    (
        {"field": "Interests__c", "operator": "equals", "value": "x"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Interests__c on Lead is a multipicklist field, which "
        "blocklist rules do not support; use a text, number, date, date/time, "
        "checkbox or id field.",
    ),
    (
        {"field": "NumberOfEmployees", "operator": "contains", "value": "5"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): NumberOfEmployees on Lead: operator 'contains' does not "
        "fit its type int; use one of equals, not_equals, in, not_in, is_empty, "
        "greater_than, less_than.",
    ),
    (
        {"field": "Title", "operator": "greater_than", "value": "M"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Title on Lead: operator 'greater_than' does not fit its "
        "type string; use one of equals, not_equals, in, not_in, is_empty, "
        "contains, starts_with.",
    ),
    (
        {"field": "HasOptedOutOfEmail", "operator": "is_empty"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): HasOptedOutOfEmail on Lead: operator 'is_empty' does not "
        "fit its type boolean; use one of equals, not_equals.",
    ),
    (
        {"field": "NumberOfEmployees", "operator": "greater_than", "value": "50"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): NumberOfEmployees on Lead: the value '50' is not valid; "
        "use a number, without quotes.",
    ),
    (
        {"field": "NumberOfEmployees", "operator": "less_than", "value": 2.5},
        {"objects": ["Lead"]},
        "rules[0] ('R'): NumberOfEmployees on Lead: the value 2.5 is not valid; "
        "use a whole number.",
    ),
    (
        {"field": "ConvertedDate", "operator": "greater_than", "value": "31/01/2026"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): ConvertedDate on Lead: the value '31/01/2026' is not "
        "valid; use a date such as 2026-01-31.",
    ),
    (
        {"field": "CreatedDate", "operator": "less_than", "value": "2026-01-31"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): CreatedDate on Lead: the value '2026-01-31' is not "
        "valid; use a date and time with a zone, such as 2026-01-31T09:00:00Z.",
    ),
    (
        {"field": "Status", "operator": "equals", "value": "Custmer"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Status on Lead: the value 'Custmer' is not valid; use "
        "one of the picklist's values: 'Open - Not Contacted', 'Customer'.",
    ),
    (
        {"field": "Title", "operator": "equals", "value": 5},
        {"objects": ["Lead"]},
        "rules[0] ('R'): Title on Lead: the value 5 is not valid; use text, in "
        'quotes, such as "5".',
    ),
    (
        {"field": "OwnerId", "operator": "equals", "value": "not-an-id"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): OwnerId on Lead: the value 'not-an-id' is not valid; "
        "use a 15- or 18-character record id.",
    ),
    (
        {"field": "HasOptedOutOfEmail", "operator": "equals", "value": "true"},
        {"objects": ["Lead"]},
        "rules[0] ('R'): HasOptedOutOfEmail on Lead: the value 'true' is not "
        "valid; use true or false.",
    ),
]


@pytest.mark.parametrize(
    ("when", "extra", "message"),
    DESCRIBE_PROBLEMS,
    ids=[message[16:70] for _, _, message in DESCRIBE_PROBLEMS],
)
def test_describe_mismatches_rejected(when, extra, message):
    assert describe_problems(when, **extra) == [message]


def test_account_condition_needs_reference():
    schemas = {**SCHEMAS, "Contact": ObjectSchema.from_describe({"fields": []})}
    blocklist = parse_blocklist(
        one_rule({"field": "Account.Type", "operator": "is_empty"})
    )

    with pytest.raises(FilterError) as raised:
        compile_blocklist(blocklist, schemas)

    assert raised.value.problems == [
        "rules[0] ('R'): Account.Type needs Contact.AccountId, which the "
        "connected user cannot read; grant read access to it or limit the rule "
        "to the other object with 'objects'."
    ]


def test_condition_too_long_rejected():
    values = [f"{'Title %d ' % index}{'x' * 200}" for index in range(10)]

    problems = describe_problems(
        {"field": "Title", "operator": "in", "value": values}, objects=["Lead"]
    )

    assert len(problems) == 1
    assert problems[0].startswith("rules[0] ('R'): its Lead condition takes ")
    assert problems[0].endswith(
        f"at most {MAX_CONDITION_BYTES} fit. Split it into several rules or use "
        "shorter values."
    )


# --- the SOQL emitted --------------------------------------------------------

EMITTED = [
    (
        {"field": "status", "operator": "equals", "value": "Customer"},
        "Status = 'Customer'",
    ),
    (
        {"field": "LastName", "operator": "equals", "value": "x' OR Email != '"},
        r"LastName = 'x\' OR Email != \''",
    ),
    (
        {"field": "LastName", "operator": "not_equals", "value": 'back\\slash"q'},
        r"LastName != 'back\\slash\"q'",
    ),
    (
        {"field": "Title", "operator": "contains", "value": "50%_off' OR Id != '"},
        r"Title LIKE '%50\%\_off\' OR Id != \'%'",
    ),
    (
        {"field": "Title", "operator": "starts_with", "value": "VP_"},
        r"Title LIKE 'VP\_%'",
    ),
    (
        {"field": "Title", "operator": "in", "value": ["a'b", "SELECT", "c\nd"]},
        r"Title IN ('a\'b','SELECT','c\nd')",
    ),
    (
        {"field": "Title", "operator": "not_in", "value": ["CEO"]},
        "Title NOT IN ('CEO')",
    ),
    ({"field": "Title", "operator": "is_empty"}, "Title = null"),
    (
        {"field": "NumberOfEmployees", "operator": "greater_than", "value": 50},
        "NumberOfEmployees > 50",
    ),
    (
        {"field": "AnnualRevenue", "operator": "less_than", "value": 1500.5},
        "AnnualRevenue < 1500.5",
    ),
    (
        {"field": "AnnualRevenue", "operator": "greater_than", "value": 2e6},
        "AnnualRevenue > 2000000",
    ),
    (
        {"field": "ConvertedDate", "operator": "greater_than", "value": "2026-01-31"},
        "ConvertedDate > 2026-01-31",
    ),
    (
        {
            "field": "CreatedDate",
            "operator": "less_than",
            "value": "2026-01-31T10:00:00+02:00",
        },
        "CreatedDate < 2026-01-31T08:00:00+00:00",
    ),
    (
        {"field": "HasOptedOutOfEmail", "operator": "equals", "value": False},
        "HasOptedOutOfEmail = false",
    ),
    (
        {"field": "Account.type", "operator": "equals", "value": "Partner"},
        "(ConvertedAccountId != null AND ConvertedAccount.Type = 'Partner')",
    ),
    (
        {
            "all": [
                {"field": "Status", "operator": "equals", "value": "Customer"},
                {
                    "any": [
                        {"field": "Title", "operator": "is_empty"},
                        {
                            "not": {
                                "field": "Title",
                                "operator": "contains",
                                "value": "a",
                            }
                        },
                    ]
                },
            ]
        },
        "(Status = 'Customer' AND (Title = null OR (NOT Title LIKE '%a%')))",
    ),
]


@pytest.mark.parametrize(("when", "soql"), EMITTED, ids=[soql for _, soql in EMITTED])
def test_conditions_compile_to_escaped_soql(when, soql):
    assert compiled_condition(when) == soql


def test_account_conditions_use_each_objects_relationship():
    blocklist = parse_blocklist(
        one_rule(
            {"field": "Account.Type", "operator": "not_equals", "value": "Partner"}
        )
    )

    compiled = compile_blocklist(blocklist, SCHEMAS)

    assert compiled.rules_for("Lead")[0][1] == (
        "(ConvertedAccountId != null AND ConvertedAccount.Type != 'Partner')"
    )
    assert compiled.rules_for("Contact")[0][1] == (
        "(AccountId != null AND Account.Type != 'Partner')"
    )


def test_rules_apply_only_to_their_objects():
    document = {
        "rules": [
            rule(STATUS, name="Customers", objects=["Lead"]),
            rule({"field": "Title", "operator": "is_empty"}, name="No title"),
        ]
    }

    compiled = compile_blocklist(parse_blocklist(document), SCHEMAS)

    assert [r.name for r, _ in compiled.rules_for("Lead")] == ["Customers", "No title"]
    assert [r.name for r, _ in compiled.rules_for("Contact")] == ["No title"]

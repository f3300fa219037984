"""Tests for the emulator's SOQL parser and evaluator.

The records and describe maps here are hand-written: a few Leads, Contacts,
Accounts, Users and EmailMessages, with the describe keys that the engine
reads (name, type, filterable, sortable, referenceTo, relationshipName).
"""

# Tests build SOQL statements as text on purpose: the parser is what they test.
# ruff: noqa: S608

import copy
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from sf_emulator.soql import (
    And,
    Not,
    Or,
    SoqlError,
    Wildcard,
    parse,
    run,
)

WSDL_HINT = "Please reference your WSDL or the describe call for the appropriate names."

# ---------------------------------------------------------------------------
# Describe maps
# ---------------------------------------------------------------------------


def describe(name, field_type, *, reference_to=(), relationship=None, long=False):
    """Return a describe field dict; long text is neither filterable nor sortable."""
    return {
        "name": name,
        "type": field_type,
        "filterable": not long,
        "sortable": not long,
        "referenceTo": list(reference_to),
        "relationshipName": relationship,
    }


def describe_object(*fields):
    return {field["name"]: field for field in fields}


DESCRIBES = {
    "Lead": describe_object(
        describe("Id", "id"),
        describe("FirstName", "string"),
        describe("LastName", "string"),
        describe("Company", "string"),
        describe("Email", "email"),
        describe("Status", "picklist"),
        describe("Description", "textarea", long=True),
        describe("IsConverted", "boolean"),
        describe(
            "ConvertedContactId",
            "reference",
            reference_to=["Contact"],
            relationship="ConvertedContact",
        ),
        describe("ConvertedDate", "date"),
        describe("CreatedDate", "datetime"),
        describe("NumberOfEmployees", "int"),
        describe("AnnualRevenue", "currency"),
        describe(
            "OwnerId", "reference", reference_to=["Group", "User"], relationship="Owner"
        ),
    ),
    "Contact": describe_object(
        describe("Id", "id"),
        describe("FirstName", "string"),
        describe("LastName", "string"),
        describe("Email", "email"),
        describe("Description", "textarea", long=True),
        describe(
            "AccountId", "reference", reference_to=["Account"], relationship="Account"
        ),
    ),
    "Account": describe_object(
        describe("Id", "id"),
        describe("Name", "string"),
        describe("Type", "picklist"),
    ),
    "EmailMessage": describe_object(
        describe("Id", "id"),
        describe("MessageIdentifier", "string"),
        describe("Subject", "string"),
        describe("TextBody", "textarea", long=True),
        describe("HtmlBody", "textarea", long=True),
        describe("MessageDate", "datetime"),
    ),
    "User": describe_object(
        describe("Id", "id"),
        describe("Name", "string"),
    ),
    "Group": describe_object(
        describe("Id", "id"),
        describe("Name", "string"),
    ),
}

# ---------------------------------------------------------------------------
# Records
# ---------------------------------------------------------------------------

LEAD_ANN = "00Q000000000001EAA"
LEAD_OBRIEN = "00Q000000000002EAA"
LEAD_BACKSLASH = "00Q000000000003EAA"
LEAD_CONVERTED = "00Q000000000004EAA"
# 18-character form of the 15-character id 00Qa0000000Zq9X.
LEAD_NO_EMAIL = "00Qa0000000Zq9XEAS"
CONTACT_CONVERTED = "003000000000001AAA"
CONTACT_ANN = "003000000000002AAA"
CONTACT_SOLO = "003000000000003AAA"
ACCOUNT_ACME = "001000000000001AAA"
ACCOUNT_GLOBEX = "001000000000002AAA"
USER_OWNER = "005000000000001AAA"
EMAIL_FIRST = "02s000000000001AAA"
EMAIL_SECOND = "02s000000000002AAA"


def lead(record_id, last_name, email, **fields):
    record = {
        "Id": record_id,
        "FirstName": None,
        "LastName": last_name,
        "Company": "Acme",
        "Email": email,
        "Status": "Open - Not Contacted",
        "Description": "Met at the fair.",
        "IsConverted": False,
        "ConvertedContactId": None,
        "ConvertedDate": None,
        "CreatedDate": "2026-01-01T09:00:00.000+0000",
        "NumberOfEmployees": None,
        "AnnualRevenue": None,
        "OwnerId": USER_OWNER,
    }
    record.update(fields)
    return record


RECORDS = {
    "Lead": [
        lead(
            LEAD_ANN,
            "Lee",
            "Ann@Example.com",
            FirstName="Ann",
            NumberOfEmployees=10,
            AnnualRevenue=1000.5,
        ),
        lead(
            LEAD_OBRIEN,
            "O'Brien",
            "o'brien@example.com",
            CreatedDate="2026-02-01T00:00:00.000+0000",
        ),
        lead(
            LEAD_BACKSLASH,
            "backslash",
            "a\\b@example.com",
            Company="Straße GmbH",
            NumberOfEmployees=250,
        ),
        lead(
            LEAD_CONVERTED,
            "Converted",
            "converted@example.com",
            IsConverted=True,
            ConvertedContactId=CONTACT_CONVERTED,
            ConvertedDate="2026-03-15",
            NumberOfEmployees=5,
            CreatedDate="2026-03-01T12:30:00.000+0000",
        ),
        lead(
            LEAD_NO_EMAIL,
            "Nomail",
            None,
            Company="100%_Real",
            NumberOfEmployees=10,
            OwnerId=None,
        ),
    ],
    "Contact": [
        {
            "Id": CONTACT_CONVERTED,
            "FirstName": "Cy",
            "LastName": "Converted",
            "Email": "converted@example.com",
            "Description": None,
            "AccountId": ACCOUNT_ACME,
        },
        {
            "Id": CONTACT_ANN,
            "FirstName": "Ann",
            "LastName": "Lee",
            "Email": "ann@example.com",
            "Description": None,
            "AccountId": ACCOUNT_GLOBEX,
        },
        {
            "Id": CONTACT_SOLO,
            "FirstName": "Sol",
            "LastName": "Solo",
            "Email": "solo@example.com",
            "Description": None,
            "AccountId": None,
        },
    ],
    "Account": [
        {"Id": ACCOUNT_ACME, "Name": "Acme", "Type": "Customer"},
        {"Id": ACCOUNT_GLOBEX, "Name": "Globex", "Type": "Prospect"},
    ],
    "User": [{"Id": USER_OWNER, "Name": "Olive Owner"}],
    "Group": [],
    "EmailMessage": [
        {
            "Id": EMAIL_FIRST,
            "MessageIdentifier": "<abc@mail.example.com>",
            "Subject": "Hello",
            "TextBody": "Hi there",
            "HtmlBody": "<p>Hi there</p>",
            "MessageDate": "2026-01-05T10:00:00.000+0000",
        },
        {
            "Id": EMAIL_SECOND,
            "MessageIdentifier": "<DEF@mail.example.com>",
            "Subject": "Re: Hello",
            "TextBody": "Thanks",
            "HtmlBody": None,
            "MessageDate": None,
        },
    ],
}


def get_record(sobject, record_id):
    for record in RECORDS.get(sobject, []):
        if record["Id"].casefold() == record_id.casefold():
            return record
    return None


def query(text, records=None, **options):
    """Parse and run text over RECORDS, or over records keyed by object name."""
    source = RECORDS if records is None else records
    return run(
        parse(text),
        describe_fields=DESCRIBES.get,
        fetch=lambda sobject: source.get(sobject, []),
        get=get_record,
        sobject_names=DESCRIBES.keys(),
        **options,
    )


def ids(text, **options):
    return [record["Id"] for record in query(text, **options)]


def error_of(text):
    """Return the SoqlError that parsing and running text raises."""
    with pytest.raises(SoqlError) as caught:
        query(text)
    return caught.value


def lead_url(record_id, version="62.0"):
    return f"/services/data/v{version}/sobjects/Lead/{record_id}"


# ---------------------------------------------------------------------------
# Parsing: valid statements
# ---------------------------------------------------------------------------


def test_parse_service_lead_lookup():
    parsed = parse(
        "SELECT Id, Email, IsConverted, ConvertedContactId FROM Lead "
        "WHERE Email IN ('a@x.com','o\\'brien@x.com') AND IsConverted = false"
    )
    assert parsed.sobject == "Lead"
    assert [path.text for path in parsed.select_fields] == [
        "Id",
        "Email",
        "IsConverted",
        "ConvertedContactId",
    ]
    assert parsed.is_count is False
    assert isinstance(parsed.where, And)
    email_in, converted = parsed.where.operands
    assert email_in.operator == "IN"
    assert [value.value for value in email_in.values] == ["a@x.com", "o'brien@x.com"]
    assert converted.operator == "="
    assert converted.values[0].kind == "boolean"
    assert converted.values[0].value is False


@pytest.mark.parametrize(
    ("text", "sobject", "fields"),
    [
        ("select id from lead", "lead", ["id"]),
        ("SELECT Id FROM Lead", "Lead", ["Id"]),
        ("  SELECT\n\tId ,Email\r\nFROM   Lead  ", "Lead", ["Id", "Email"]),
        (
            "SELECT Id, Account.Type, Account.Name FROM Contact",
            "Contact",
            ["Id", "Account.Type", "Account.Name"],
        ),
        (
            "SELECT Id, MessageIdentifier FROM EmailMessage "
            "WHERE MessageIdentifier IN ('<a@b>', '<c@d>')",
            "EmailMessage",
            ["Id", "MessageIdentifier"],
        ),
        ("SELECT Count FROM Order__c", "Order__c", ["Count"]),
        ("SELECT Id, Name FROM Group", "Group", ["Id", "Name"]),
        ("SELECT Id FROM Order", "Order", ["Id"]),
        ("SELECT ns__Field__c FROM ns__Thing__c", "ns__Thing__c", ["ns__Field__c"]),
    ],
)
def test_parse_valid_select(text, sobject, fields):
    parsed = parse(text)
    assert parsed.sobject == sobject
    assert [path.text for path in parsed.select_fields] == fields


def test_parse_count():
    parsed = parse("select count() from Lead where IsConverted = false limit 5")
    assert parsed.is_count is True
    assert parsed.select_fields == ()
    assert parsed.limit == 5


def test_parse_order_limit_offset():
    parsed = parse(
        "SELECT Id FROM Lead ORDER BY LastName DESC NULLS LAST, Email, "
        "CreatedDate asc nulls first LIMIT 10 OFFSET 2000"
    )
    keys = [
        (item.field.text, item.descending, item.nulls_last) for item in parsed.order_by
    ]
    assert keys == [
        ("LastName", True, True),
        ("Email", False, False),
        ("CreatedDate", False, False),
    ]
    assert parsed.limit == 10
    assert parsed.offset == 2000


def test_parse_nested_logic():
    parsed = parse(
        "SELECT Id FROM Lead WHERE NOT (Email = 'a' OR Email = 'b') "
        "AND (IsConverted = false)"
    )
    assert isinstance(parsed.where, And)
    negated, converted = parsed.where.operands
    assert isinstance(negated, Not)
    assert isinstance(negated.operand, Or)
    assert len(negated.operand.operands) == 2
    assert converted.field.text == "IsConverted"


@pytest.mark.parametrize(
    ("literal", "kind", "value"),
    [
        ("42", "number", Decimal("42")),
        ("-3.25", "number", Decimal("-3.25")),
        ("2026-01-01", "date", date(2026, 1, 1)),
        ("2026-01-01T00:00:00Z", "datetime", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T00:00:00+00:00", "datetime", datetime(2026, 1, 1, tzinfo=UTC)),
        ("2026-01-01T00:00:00.000+0000", "datetime", datetime(2026, 1, 1, tzinfo=UTC)),
        (
            "2026-01-01T08:30:00.250-08:00",
            "datetime",
            datetime(
                2026, 1, 1, 8, 30, 0, 250000, tzinfo=timezone(timedelta(hours=-8))
            ),
        ),
        ("TRUE", "boolean", True),
        ("False", "boolean", False),
        ("NULL", "null", None),
    ],
)
def test_parse_literal_values(literal, kind, value):
    parsed = parse(f"SELECT Id FROM Lead WHERE X = {literal}")
    parsed_literal = parsed.where.values[0]
    assert parsed_literal.kind == kind
    assert parsed_literal.value == value


@pytest.mark.parametrize(
    ("source", "decoded"),
    [
        (r"'plain'", "plain"),
        (r"'line\nbreak'", "line\nbreak"),
        (r"'upper\Nbreak'", "upper\nbreak"),
        (r"'\r\t\b\f'", "\r\t\b\f"),
        (r"'\R\T\B\F'", "\r\t\b\f"),
        (r"'say \"hi\"'", 'say "hi"'),
        (r"'o\'brien'", "o'brien"),
        (r"'a\\b'", "a\\b"),
        (r"'caf\u00e9'", "café"),
        (r"'\ud83d\ude00'", "\U0001f600"),
        (r"'100%_done'", "100%_done"),
    ],
)
def test_parse_string_escapes(source, decoded):
    parsed = parse(f"SELECT Id FROM Lead WHERE Email = {source}")
    assert parsed.where.values[0].value == decoded


def test_parse_like_pattern_parts():
    parsed = parse(r"SELECT Id FROM Lead WHERE Company LIKE '1\%_x%'")
    pattern = parsed.where.values[0]
    assert pattern.kind == "pattern"
    assert pattern.value == (
        "1",
        "%",
        Wildcard.ANY_CHARACTER,
        "x",
        Wildcard.ANY_SEQUENCE,
    )


def test_parse_string_at_length_limit():
    parsed = parse(f"SELECT Id FROM Lead WHERE Email = '{'a' * 4000}'")
    assert len(parsed.where.values[0].value) == 4000


# ---------------------------------------------------------------------------
# Parsing: invalid statements
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "detail"),
    [
        ("", "unexpected token: '<EOF>'"),
        ("DELETE FROM Lead", "unexpected token: 'DELETE'"),
        ("SELECT FROM Lead", "unexpected token: 'FROM'"),
        ("SELECT Id, FROM Lead", "unexpected token: 'FROM'"),
        ("SELECT Id Lead", "unexpected token: 'Lead'"),
        ("SELECT Id FROM", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM WHERE Email = 'a'", "unexpected token: 'WHERE'"),
        ("SELECT Id FROM Lead, Contact", "unexpected token: ','"),
        ("SELECT Id FROM Lead WHERE", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Email", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Email = ", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Email == 'a'", "unexpected token: '='"),
        ("SELECT Id FROM Lead WHERE Account. = 'a'", "unexpected token: '='"),
        ("SELECT Id FROM Lead WHERE Email = 'a' extra", "unexpected token: 'extra'"),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' AND Id = null OR Id != null",
            "unexpected token: 'OR'",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' OR Email = 'b' AND Id = null",
            "unexpected token: 'AND'",
        ),
        ("SELECT Id FROM Lead WHERE (Email = 'a'", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead WHERE Email IN ()", "unexpected token: ')'"),
        ("SELECT Id FROM Lead WHERE Email IN 'a'", "unexpected token: ''a''"),
        ("SELECT Id FROM Lead WHERE Email IN ('a',)", "unexpected token: ')'"),
        ("SELECT Id FROM Lead WHERE Email LIKE null", "unexpected token: 'null'"),
        ("SELECT Id FROM Lead WHERE Email NOT LIKE 'a%'", "unexpected token: 'NOT'"),
        ("SELECT Id FROM Lead WHERE Email = bare", "unexpected token: 'bare'"),
        ("SELECT Id FROM Lead WHERE Id = :leadId", "unexpected token: ':'"),
        ("SELECT Id FROM Lead WHERE Where = 'a'", "unexpected token: 'Where'"),
        ("SELECT Id FROM Lead LIMIT -1", "unexpected token: '-1'"),
        ("SELECT Id FROM Lead LIMIT 1.5", "unexpected token: '1.5'"),
        ("SELECT Id FROM Lead LIMIT ten", "unexpected token: 'ten'"),
        ("SELECT Id FROM Lead OFFSET 5 LIMIT 1", "unexpected token: 'LIMIT'"),
        ("SELECT Id FROM Lead ORDER Email", "unexpected token: 'Email'"),
        ("SELECT Id FROM Lead ORDER BY Email NULLS", "unexpected token: '<EOF>'"),
        ("SELECT Id FROM Lead ORDER BY Email NULLS TOP", "unexpected token: 'TOP'"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2026-01-01T00:00:00",
            "unexpected token: '2026-01-01T00:00:00'",
        ),
        ("SELECT Id FROM Lead WHERE X = 12abc", "unexpected token: '12abc'"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2026-13-01",
            "invalid date literal: '2026-13-01'",
        ),
        (
            "SELECT Id FROM Lead WHERE CreatedDate > 2026-02-30T00:00:00Z",
            "invalid datetime literal: '2026-02-30T00:00:00Z'",
        ),
        (
            'SELECT Id FROM Lead WHERE Email = "a@x.com"',
            "line 1:34 no viable alternative at character '\"'",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'a' $",
            "line 1:38 no viable alternative at character '$'",
        ),
        (
            "SELECT Id FROM Lead WHERE Email = 'abc",
            "mismatched character '<EOF>' expecting '''",
        ),
        (
            r"SELECT Id FROM Lead WHERE Email = 'a\qb'",
            r"Invalid string literal 'a\qb'. Illegal character sequence '\q' "
            "in string literal.",
        ),
        (
            r"SELECT Id FROM Lead WHERE Email = 'a\_b'",
            r"Invalid string literal 'a\_b'. Illegal character sequence '\_' "
            "in string literal.",
        ),
        (
            r"SELECT Id FROM Lead WHERE Email = '50\%'",
            r"Invalid string literal '50\%'. Illegal character sequence '\%' "
            "in string literal.",
        ),
        (
            r"SELECT Id FROM Lead WHERE Email = 'bad\u12'",
            r"Invalid string literal 'bad\u12'. Illegal character sequence '\u' "
            "in string literal.",
        ),
        (
            r"SELECT Id FROM Lead WHERE Email LIKE 'a\qb%'",
            r"Invalid string literal 'a\qb%'. Illegal character sequence '\q' "
            "in string literal.",
        ),
    ],
)
def test_parse_rejects_malformed(text, detail):
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert caught.value.message.endswith("\n" + detail)


@pytest.mark.parametrize(
    ("text", "feature"),
    [
        ("SELECT Id FROM Lead GROUP BY Email", "The GROUP BY clause"),
        ("SELECT Id FROM Lead WHERE Email = 'a' GROUP BY Email", "The GROUP BY clause"),
        ("SELECT Id FROM Lead WITH SECURITY_ENFORCED", "The WITH clause"),
        (
            "SELECT Id FROM Lead LIMIT 1 FOR UPDATE",
            "The FOR VIEW/REFERENCE/UPDATE clause",
        ),
        ("SELECT Id, (SELECT Id FROM Contacts) FROM Account", "A subquery in SELECT"),
        ("SELECT (SELECT Id FROM Contacts) FROM Account", "A subquery in SELECT"),
        ("SELECT Id, COUNT() FROM Lead", "The function COUNT()"),
        (
            "SELECT Id FROM Lead WHERE Id IN (SELECT LeadId FROM CampaignMember)",
            "A semi-join subquery",
        ),
        ("SELECT Id FROM Lead WHERE CreatedDate = TODAY", "The date literal TODAY"),
        (
            "SELECT Id FROM Lead WHERE CreatedDate = LAST_N_DAYS:7",
            "The date literal LAST_N_DAYS",
        ),
        ("SELECT COUNT(Id) FROM Lead", "COUNT with a field (only COUNT())"),
        ("SELECT FIELDS(ALL) FROM Lead", "The function FIELDS()"),
        ("SELECT Id FROM Lead l", "An alias in FROM"),
        ("SELECT TYPEOF What END FROM Task", "TYPEOF"),
        ("SELECT Id FROM Lead WHERE Tags__c INCLUDES ('a')", "INCLUDES"),
    ],
)
def test_parse_rejects_unsupported(text, feature):
    with pytest.raises(SoqlError) as caught:
        parse(text)
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert caught.value.message.endswith(
        f"\n{feature} is not supported by the local Salesforce emulator"
    )


def test_parse_error_excerpt_exact():
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id, FROM Lead")
    assert caught.value.message == (
        "\nSELECT Id, FROM Lead\n           ^\nERROR at Row:1:Column:12\n"
        "unexpected token: 'FROM'"
    )


def test_parse_error_at_end_of_statement():
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Account WHERE")
    assert caught.value.message == (
        "\nSELECT Id FROM Account WHERE\n                            ^\n"
        "ERROR at Row:1:Column:29\nunexpected token: '<EOF>'"
    )


def test_parse_error_excerpt_on_later_row():
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id\nFROM Lead\nWHERE Email = = 'a'")
    assert caught.value.message == (
        "\nWHERE Email = = 'a'\n              ^\nERROR at Row:3:Column:15\n"
        "unexpected token: '='"
    )


def test_parse_error_excerpt_of_long_line():
    text = (
        "SELECT Id, FirstName, LastName, Company, Email, Status FROM Lead "
        "WHERE Email = 'someone@example.com' AND Status = 'Open' AND Company = "
        "'Acme' AND LastName = 'Lee' AND FirstName = 'Ann' AND = 'x' AND Title = 'y' "
        "AND Website = 'https://example.com/a/very/long/path'"
    )
    with pytest.raises(SoqlError) as caught:
        parse(text)
    excerpt, caret, location, detail = caught.value.message.split("\n")[1:]
    column = text.index("AND = ") + 5
    assert location == f"ERROR at Row:1:Column:{column}"
    assert detail == "unexpected token: '='"
    assert excerpt in text
    assert len(excerpt) < len(text)
    assert excerpt[len(caret) - 1] == "="


def test_parse_rejects_offset_over_2000():
    with pytest.raises(SoqlError) as caught:
        parse("SELECT Id FROM Lead LIMIT 5 OFFSET 2001")
    assert caught.value.error_code == "NUMBER_OUTSIDE_VALID_RANGE"
    assert caught.value.message == "Maximum SOQL offset allowed is 2000"


def test_parse_rejects_long_where_string():
    with pytest.raises(SoqlError) as caught:
        parse(f"SELECT Id FROM Lead WHERE Email = '{'a' * 4001}'")
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert caught.value.message.endswith(
        "String literal is 4001 characters long, but a string in WHERE may have "
        "at most 4000 characters"
    )


def test_parse_rejects_long_statement():
    padding = ", ".join(["Email"] * 20_000)
    with pytest.raises(SoqlError) as caught:
        parse(f"SELECT {padding} FROM Lead")
    assert caught.value.error_code == "MALFORMED_QUERY"
    assert "the maximum is 100000 characters" in caught.value.message


# ---------------------------------------------------------------------------
# Running: the service's queries and output shape
# ---------------------------------------------------------------------------


def test_run_service_lead_lookup():
    records = query(
        "SELECT Id, Email, IsConverted, ConvertedContactId FROM Lead "
        "WHERE Email IN ('ann@example.com','o\\'brien@example.com', "
        "'converted@example.com') AND IsConverted = false"
    )
    assert records == [
        {
            "attributes": {"type": "Lead", "url": lead_url(LEAD_ANN)},
            "Id": LEAD_ANN,
            "Email": "Ann@Example.com",
            "IsConverted": False,
            "ConvertedContactId": None,
        },
        {
            "attributes": {"type": "Lead", "url": lead_url(LEAD_OBRIEN)},
            "Id": LEAD_OBRIEN,
            "Email": "o'brien@example.com",
            "IsConverted": False,
            "ConvertedContactId": None,
        },
    ]


def test_run_email_message_lookup():
    records = query(
        "SELECT Id, MessageIdentifier FROM EmailMessage "
        "WHERE MessageIdentifier IN ('<def@mail.example.com>', '<zzz@x>')"
    )
    assert records == [
        {
            "attributes": {
                "type": "EmailMessage",
                "url": f"/services/data/v62.0/sobjects/EmailMessage/{EMAIL_SECOND}",
            },
            "Id": EMAIL_SECOND,
            "MessageIdentifier": "<DEF@mail.example.com>",
        }
    ]


def test_run_fields_in_select_order():
    (record,) = query(f"SELECT LastName, Email, Id FROM Lead WHERE Id = '{LEAD_ANN}'")
    assert list(record) == ["attributes", "LastName", "Email", "Id"]


def test_run_id_only_when_selected():
    (record,) = query("SELECT Email FROM Lead WHERE LastName = 'Lee'")
    assert record == {
        "attributes": {"type": "Lead", "url": lead_url(LEAD_ANN)},
        "Email": "Ann@Example.com",
    }


def test_run_canonical_names():
    (record,) = query(
        "select ID, EMAIL, isconverted from LEAD where EMAIL = 'ann@example.com'"
    )
    assert list(record) == ["attributes", "Id", "Email", "IsConverted"]
    assert record["attributes"]["type"] == "Lead"


def test_run_api_version_in_url():
    (record,) = query("SELECT Id FROM Lead WHERE LastName = 'Lee'", api_version="65.0")
    assert record["attributes"]["url"] == lead_url(LEAD_ANN, "65.0")


def test_run_leaves_records_unchanged():
    before = copy.deepcopy(RECORDS)
    query("SELECT Id, Account.Name, Email FROM Contact ORDER BY Account.Name")
    query("SELECT Id, Email FROM Lead WHERE Email LIKE '%example%' ORDER BY Email")
    assert RECORDS == before


def test_run_object_name_as_written_without_names():
    parsed = parse("SELECT Id FROM Lead WHERE LastName = 'Lee'")
    records = run(
        parsed,
        describe_fields=DESCRIBES.get,
        fetch=lambda sobject: RECORDS[sobject],
        get=get_record,
    )
    assert [record["Id"] for record in records] == [LEAD_ANN]


# ---------------------------------------------------------------------------
# Running: string matching, escapes and injection
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "condition",
    [
        "Email = 'ann@example.com'",
        "Email = 'ANN@EXAMPLE.COM'",
        "email = 'aNn@eXaMpLe.CoM'",
        "Email IN ('nobody@example.com', 'ANN@example.com')",
        "Email LIKE 'ANN@%'",
    ],
)
def test_run_string_match_ignores_case(condition):
    assert ids(f"SELECT Id FROM Lead WHERE {condition}") == [LEAD_ANN]


def test_run_string_match_casefolds():
    assert ids("SELECT Id FROM Lead WHERE Company = 'STRASSE GMBH'") == [LEAD_BACKSLASH]


def test_run_escaped_quote_in_email():
    soql = "SELECT Id FROM Lead WHERE Email = 'O\\'Brien@example.com'"
    assert ids(soql) == [LEAD_OBRIEN]


def test_run_escaped_backslash_in_email():
    soql = "SELECT Id FROM Lead WHERE Email = 'a\\\\b@example.com'"
    assert ids(soql) == [LEAD_BACKSLASH]


def test_run_unescaped_backslash_b_is_backspace():
    # In SOQL \b is the backspace escape, so 'a\b@example.com' is no stored email.
    assert ids("SELECT Id FROM Lead WHERE Email = 'a\\b@example.com'") == []


def test_run_unescaped_backslash_rejected():
    error = error_of("SELECT Id FROM Lead WHERE Email = 'a\\x@example.com'")
    assert error.error_code == "MALFORMED_QUERY"
    assert error.message.endswith("Illegal character sequence '\\x' in string literal.")


def test_run_injection_attempt_is_literal():
    soql = "SELECT Id FROM Lead WHERE Email = 'x\\' OR Email != \\''"
    assert ids(soql) == []


def test_run_injection_text_matches_only_itself():
    records = copy.deepcopy(RECORDS)
    records["Lead"][0]["Email"] = "x' OR Email != '"
    soql = "SELECT Id FROM Lead WHERE Email = 'x\\' OR Email != \\''"
    assert [record["Id"] for record in query(soql, records=records)] == [LEAD_ANN]


def test_run_not_in():
    soql = (
        "SELECT Id FROM Lead WHERE Email NOT IN "
        "('ann@example.com', 'CONVERTED@example.com')"
    )
    assert ids(soql) == [LEAD_OBRIEN, LEAD_BACKSLASH, LEAD_NO_EMAIL]


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("'A_me'", [LEAD_ANN, LEAD_OBRIEN, LEAD_CONVERTED]),
        ("'%gmbh'", [LEAD_BACKSLASH]),
        ("'100%'", [LEAD_NO_EMAIL]),
        ("'100\\%\\_Real'", [LEAD_NO_EMAIL]),
        ("'100\\%\\_%'", [LEAD_NO_EMAIL]),
        ("'1__\\%%'", [LEAD_NO_EMAIL]),
        ("'%\\%%'", [LEAD_NO_EMAIL]),
        ("'Acm'", []),
        ("'.%'", []),
        ("'%(%'", []),
    ],
)
def test_run_like_company(pattern, expected):
    assert ids(f"SELECT Id FROM Lead WHERE Company LIKE {pattern}") == expected


def test_run_like_literal_underscore_requires_escape():
    records = copy.deepcopy(RECORDS)
    records["Lead"][0]["Company"] = "100x_Real"
    soql = "SELECT Id FROM Lead WHERE Company LIKE '100\\%\\_Real'"
    assert [record["Id"] for record in query(soql, records=records)] == [LEAD_NO_EMAIL]


def test_run_like_backslash_in_email():
    assert ids("SELECT Id FROM Lead WHERE Email LIKE 'a\\\\b%'") == [LEAD_BACKSLASH]


def test_run_like_on_id_prefix():
    assert ids("SELECT Id FROM Contact WHERE AccountId LIKE '001%'") == [
        CONTACT_CONVERTED,
        CONTACT_ANN,
    ]


# ---------------------------------------------------------------------------
# Running: nulls, booleans, ids, numbers and dates
# ---------------------------------------------------------------------------


def test_run_equals_null():
    assert ids("SELECT Id FROM Lead WHERE Email = null") == [LEAD_NO_EMAIL]


def test_run_not_equals_null():
    assert ids("SELECT Id FROM Lead WHERE Email != null") == [
        LEAD_ANN,
        LEAD_OBRIEN,
        LEAD_BACKSLASH,
        LEAD_CONVERTED,
    ]


def test_run_empty_string_is_null():
    assert ids("SELECT Id FROM Lead WHERE Email = ''") == [LEAD_NO_EMAIL]


def test_run_not_equals_includes_null():
    assert LEAD_NO_EMAIL in ids("SELECT Id FROM Lead WHERE Email <> 'ann@example.com'")


def test_run_in_list_with_null():
    soql = "SELECT Id FROM Lead WHERE Email IN (null, 'ann@example.com')"
    assert ids(soql) == [LEAD_ANN, LEAD_NO_EMAIL]


def test_run_reference_null():
    assert ids("SELECT Id FROM Lead WHERE ConvertedContactId != null") == [
        LEAD_CONVERTED
    ]


def test_run_boolean_filters():
    assert ids("SELECT Id FROM Lead WHERE IsConverted = TRUE") == [LEAD_CONVERTED]
    assert ids("SELECT Id FROM Lead WHERE IsConverted != false") == [LEAD_CONVERTED]
    assert ids("SELECT Id FROM Lead WHERE NOT IsConverted = false") == [LEAD_CONVERTED]


def test_run_boolean_null_means_false():
    records = copy.deepcopy(RECORDS)
    records["Lead"][0]["IsConverted"] = None
    soql = "SELECT Id FROM Lead WHERE IsConverted = null"
    assert [record["Id"] for record in query(soql, records=records)] == [
        LEAD_ANN,
        LEAD_OBRIEN,
        LEAD_BACKSLASH,
        LEAD_NO_EMAIL,
    ]


def test_run_id_literal_15_chars():
    assert ids("SELECT Id FROM Lead WHERE Id = '00Qa0000000Zq9X'") == [LEAD_NO_EMAIL]


def test_run_id_literal_18_chars_any_case():
    assert ids(f"SELECT Id FROM Lead WHERE Id = '{LEAD_NO_EMAIL.upper()}'") == [
        LEAD_NO_EMAIL
    ]


def test_run_id_15_chars_is_case_sensitive():
    assert ids("SELECT Id FROM Lead WHERE Id = '00QA0000000ZQ9X'") == []


def test_run_reference_in_ids():
    soql = f"SELECT Id FROM Contact WHERE AccountId IN ('{ACCOUNT_GLOBEX}', null)"
    assert ids(soql) == [CONTACT_ANN, CONTACT_SOLO]


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        ("NumberOfEmployees = 10", [LEAD_ANN, LEAD_NO_EMAIL]),
        ("NumberOfEmployees = 10.0", [LEAD_ANN, LEAD_NO_EMAIL]),
        ("NumberOfEmployees > 9", [LEAD_ANN, LEAD_BACKSLASH, LEAD_NO_EMAIL]),
        ("NumberOfEmployees <= 5", [LEAD_CONVERTED]),
        ("NumberOfEmployees < -1", []),
        ("NumberOfEmployees IN (5, 250)", [LEAD_BACKSLASH, LEAD_CONVERTED]),
        ("AnnualRevenue >= 1000.5", [LEAD_ANN]),
        ("AnnualRevenue > 1000.5", []),
        ("ConvertedDate = 2026-03-15", [LEAD_CONVERTED]),
        ("ConvertedDate < 2026-03-15", []),
        ("CreatedDate = 2026-02-01T00:00:00Z", [LEAD_OBRIEN]),
        ("CreatedDate >= 2026-02-01T00:00:00.000+0000", [LEAD_OBRIEN, LEAD_CONVERTED]),
        (
            "CreatedDate < 2026-02-01T01:00:00+01:00",
            [LEAD_ANN, LEAD_BACKSLASH, LEAD_NO_EMAIL],
        ),
        ("CreatedDate > 2026-03-01T04:29:59-08:00", [LEAD_CONVERTED]),
        ("CreatedDate > 2026-03-01T04:30:00-08:00", []),
        ("LastName < 'D'", [LEAD_BACKSLASH, LEAD_CONVERTED]),
        ("LastName < 'c'", [LEAD_BACKSLASH]),
        ("LastName >= 'NOMAIL'", [LEAD_OBRIEN, LEAD_NO_EMAIL]),
    ],
)
def test_run_comparisons(condition, expected):
    assert ids(f"SELECT Id FROM Lead WHERE {condition}") == expected


def test_run_ordering_comparison_skips_nulls():
    assert LEAD_OBRIEN not in ids("SELECT Id FROM Lead WHERE NumberOfEmployees < 1000")


def test_run_nested_logic():
    soql = (
        "SELECT Id FROM Lead WHERE (Email LIKE 'a%' OR Email = null) "
        "AND NOT (NumberOfEmployees > 100)"
    )
    assert ids(soql) == [LEAD_ANN, LEAD_NO_EMAIL]


def test_run_or_chain():
    soql = (
        "SELECT Id FROM Lead WHERE LastName = 'Lee' OR LastName = 'Nomail' OR Id = null"
    )
    assert ids(soql) == [LEAD_ANN, LEAD_NO_EMAIL]


# ---------------------------------------------------------------------------
# Running: relationships
# ---------------------------------------------------------------------------


def test_run_relationship_select_and_where():
    records = query(
        "SELECT Id, Email, Account.Type, Account.Name FROM Contact "
        "WHERE Account.Type = 'customer'"
    )
    assert records == [
        {
            "attributes": {
                "type": "Contact",
                "url": f"/services/data/v62.0/sobjects/Contact/{CONTACT_CONVERTED}",
            },
            "Id": CONTACT_CONVERTED,
            "Email": "converted@example.com",
            "Account": {
                "attributes": {
                    "type": "Account",
                    "url": f"/services/data/v62.0/sobjects/Account/{ACCOUNT_ACME}",
                },
                "Type": "Customer",
                "Name": "Acme",
            },
        }
    ]


def test_run_null_reference_outputs_null():
    (record,) = query(
        f"SELECT Id, Account.Name FROM Contact WHERE Id = '{CONTACT_SOLO}'"
    )
    assert record["Account"] is None


def test_run_null_reference_filters_as_null():
    assert ids("SELECT Id FROM Contact WHERE Account.Name = null") == [CONTACT_SOLO]
    assert ids("SELECT Id FROM Contact WHERE Account.Name != null") == [
        CONTACT_CONVERTED,
        CONTACT_ANN,
    ]


def test_run_relationship_nested_at_first_use():
    (record,) = query(
        f"SELECT account.name, Id, ACCOUNT.type FROM Contact WHERE Id = '{CONTACT_ANN}'"
    )
    assert list(record) == ["attributes", "Account", "Id"]
    assert list(record["Account"]) == ["attributes", "Name", "Type"]
    assert record["Account"]["Name"] == "Globex"


def test_run_two_level_relationship():
    (record,) = query(
        "SELECT Id, ConvertedContact.Email, ConvertedContact.Account.Name "
        "FROM Lead WHERE ConvertedContact.Account.Name = 'ACME'"
    )
    assert record["Id"] == LEAD_CONVERTED
    contact = record["ConvertedContact"]
    assert contact["attributes"]["type"] == "Contact"
    assert contact["Email"] == "converted@example.com"
    assert contact["Account"]["attributes"]["type"] == "Account"
    assert contact["Account"]["Name"] == "Acme"


def test_run_polymorphic_reference():
    records = query(
        "SELECT Id, Owner.Name FROM Lead WHERE LastName IN ('Lee', 'Nomail')"
    )
    assert records[0]["Owner"] == {
        "attributes": {
            "type": "User",
            "url": f"/services/data/v62.0/sobjects/User/{USER_OWNER}",
        },
        "Name": "Olive Owner",
    }
    assert records[1]["Owner"] is None


def test_run_dangling_reference_is_null():
    records = copy.deepcopy(RECORDS)
    records["Contact"][0]["AccountId"] = "001000000000009AAA"
    soql = f"SELECT Account.Name FROM Contact WHERE Id = '{CONTACT_CONVERTED}'"
    (record,) = query(soql, records=records)
    assert record["Account"] is None


# ---------------------------------------------------------------------------
# Running: ORDER BY, LIMIT, OFFSET and COUNT()
# ---------------------------------------------------------------------------


def test_run_order_nulls_first_by_default():
    assert ids("SELECT Id FROM Lead ORDER BY NumberOfEmployees") == [
        LEAD_OBRIEN,
        LEAD_CONVERTED,
        LEAD_ANN,
        LEAD_NO_EMAIL,
        LEAD_BACKSLASH,
    ]


def test_run_order_desc_keeps_nulls_first():
    assert ids("SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC") == [
        LEAD_OBRIEN,
        LEAD_BACKSLASH,
        LEAD_ANN,
        LEAD_NO_EMAIL,
        LEAD_CONVERTED,
    ]


def test_run_order_desc_nulls_last():
    assert ids("SELECT Id FROM Lead ORDER BY NumberOfEmployees DESC NULLS LAST") == [
        LEAD_BACKSLASH,
        LEAD_ANN,
        LEAD_NO_EMAIL,
        LEAD_CONVERTED,
        LEAD_OBRIEN,
    ]


def test_run_order_several_keys():
    soql = "SELECT Id FROM Lead ORDER BY NumberOfEmployees NULLS LAST, LastName DESC"
    assert ids(soql) == [
        LEAD_CONVERTED,
        LEAD_NO_EMAIL,
        LEAD_ANN,
        LEAD_BACKSLASH,
        LEAD_OBRIEN,
    ]


def test_run_order_strings_ignore_case():
    assert [
        record["LastName"]
        for record in query("SELECT LastName FROM Lead ORDER BY LastName")
    ] == [
        "backslash",
        "Converted",
        "Lee",
        "Nomail",
        "O'Brien",
    ]


def test_run_order_by_datetime():
    soql = "SELECT Id FROM EmailMessage ORDER BY MessageDate DESC NULLS LAST"
    assert ids(soql) == [EMAIL_FIRST, EMAIL_SECOND]


def test_run_order_by_relationship():
    soql = "SELECT Id FROM Contact ORDER BY Account.Name DESC NULLS LAST"
    assert ids(soql) == [CONTACT_ANN, CONTACT_CONVERTED, CONTACT_SOLO]


@pytest.mark.parametrize(
    ("clauses", "expected"),
    [
        ("LIMIT 2", [LEAD_ANN, LEAD_OBRIEN]),
        ("LIMIT 0", []),
        (
            "LIMIT 100",
            [LEAD_ANN, LEAD_OBRIEN, LEAD_BACKSLASH, LEAD_CONVERTED, LEAD_NO_EMAIL],
        ),
        ("OFFSET 3", [LEAD_CONVERTED, LEAD_NO_EMAIL]),
        ("LIMIT 2 OFFSET 1", [LEAD_OBRIEN, LEAD_BACKSLASH]),
        ("LIMIT 2 OFFSET 4", [LEAD_NO_EMAIL]),
        ("OFFSET 2000", []),
    ],
)
def test_run_limit_offset(clauses, expected):
    assert ids(f"SELECT Id FROM Lead {clauses}") == expected


def test_run_order_then_limit_offset():
    soql = "SELECT Id FROM Lead ORDER BY LastName DESC LIMIT 2 OFFSET 1"
    assert ids(soql) == [LEAD_NO_EMAIL, LEAD_ANN]


def test_run_count():
    parsed = parse("SELECT COUNT() FROM Lead WHERE IsConverted = false")
    records = run(
        parsed,
        describe_fields=DESCRIBES.get,
        fetch=lambda sobject: RECORDS[sobject],
        get=get_record,
    )
    assert parsed.is_count is True
    assert len(records) == 4
    assert records[0] == {"attributes": {"type": "Lead", "url": lead_url(LEAD_ANN)}}


def test_run_count_with_limit():
    assert len(query("SELECT COUNT() FROM Lead LIMIT 2")) == 2


def test_run_count_of_nothing():
    assert query("SELECT COUNT() FROM Lead WHERE Email = 'nobody@example.com'") == []


# ---------------------------------------------------------------------------
# Running: errors
# ---------------------------------------------------------------------------


def test_error_unknown_field_exact():
    error = error_of("SELECT Id, Department FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert error.message == (
        "\nSELECT Id, Department FROM Lead\n           ^\nERROR at Row:1:Column:12\n"
        "No such column 'Department' on entity 'Lead'. If you are attempting to use "
        "a custom field, be sure to append the '__c' after the custom field name. "
        + WSDL_HINT
    )


def test_error_unknown_field_in_where():
    error = error_of("SELECT Id\nFROM Lead\nWHERE Nope__c = 1")
    assert error.error_code == "INVALID_FIELD"
    assert "\nERROR at Row:3:Column:7\nNo such column 'Nope__c' on entity 'Lead'." in (
        error.message
    )


def test_error_unknown_field_in_order_by():
    error = error_of("SELECT Id FROM Lead ORDER BY Rating")
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Rating' on entity 'Lead'." in error.message


def test_error_unknown_field_through_relationship():
    error = error_of("SELECT Id, Account.Industry FROM Contact")
    assert error.error_code == "INVALID_FIELD"
    assert "No such column 'Industry' on entity 'Account'." in error.message


def test_error_unknown_relationship():
    error = error_of("SELECT Id, Company.Name FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "\nDidn't understand relationship 'Company' in field path. If you are "
        "attempting to use a custom relationship, be sure to append the '__r' after "
        "the custom relationship name. " + WSDL_HINT
    )


def test_error_reference_field_is_not_relationship():
    error = error_of("SELECT Id, AccountId.Name FROM Contact")
    assert "Didn't understand relationship 'AccountId'" in error.message


def test_error_relationship_name_is_not_field():
    error = error_of("SELECT Account FROM Contact")
    assert "No such column 'Account' on entity 'Contact'." in error.message


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ("SELECT Id FROM Lead WHERE Description = 'x'", "Description"),
        ("SELECT Id FROM Contact WHERE description != null", "Description"),
        ("SELECT Id FROM EmailMessage WHERE TextBody LIKE '%hi%'", "TextBody"),
        ("SELECT Id FROM EmailMessage WHERE HtmlBody = null", "HtmlBody"),
        (
            "SELECT Id FROM Lead WHERE ConvertedContact.Description = 'x'",
            "Description",
        ),
    ],
)
def test_error_field_not_filterable(text, field):
    error = error_of(text)
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        f"\nfield '{field}' can not be filtered in a query call"
    )


def test_error_unfilterable_field_selectable():
    (record,) = query(f"SELECT Description FROM Lead WHERE Id = '{LEAD_ANN}'")
    assert record["Description"] == "Met at the fair."


def test_error_field_not_sortable():
    error = error_of("SELECT Id FROM Lead ORDER BY Description")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith(
        "\nfield 'Description' can not be sorted in a query call"
    )


def test_error_unknown_object_exact():
    error = error_of("SELECT Id FROM Foo")
    assert error.error_code == "INVALID_TYPE"
    assert error.message == (
        "\nSELECT Id FROM Foo\n               ^\nERROR at Row:1:Column:16\n"
        "sObject type 'Foo' is not supported. If you are attempting to use a custom "
        "object, be sure to append the '__c' after the entity name. " + WSDL_HINT
    )


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        (
            "IsConverted = 'false'",
            "value of filter criterion for field 'IsConverted' must be of type "
            "boolean and should not be enclosed in quotes",
        ),
        (
            "Email = 5",
            "value of filter criterion for field 'Email' must be of type string and "
            "should be enclosed in quotes",
        ),
        (
            "Email IN ('a@x.com', true)",
            "value of filter criterion for field 'Email' must be of type string and "
            "should be enclosed in quotes",
        ),
        (
            "CreatedDate > 2026-01-01",
            "value of filter criterion for field 'CreatedDate' must be of type "
            "dateTime and should not be enclosed in quotes",
        ),
        (
            "ConvertedDate = 2026-01-01T00:00:00Z",
            "value of filter criterion for field 'ConvertedDate' must be of type date "
            "and should not be enclosed in quotes",
        ),
        (
            "NumberOfEmployees = '5'",
            "value of filter criterion for field 'NumberOfEmployees' must be of type "
            "int and should not be enclosed in quotes",
        ),
        (
            "AnnualRevenue > '5'",
            "value of filter criterion for field 'AnnualRevenue' must be of type "
            "double and should not be enclosed in quotes",
        ),
        (
            "ConvertedContactId = 5",
            "value of filter criterion for field 'ConvertedContactId' must be of type "
            "id and should be enclosed in quotes",
        ),
        (
            "ConvertedContact.Email = false",
            "value of filter criterion for field 'ConvertedContact.Email' must be of "
            "type string and should be enclosed in quotes",
        ),
    ],
)
def test_error_literal_type_mismatch(condition, detail):
    error = error_of(f"SELECT Id FROM Lead WHERE {condition}")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("\n" + detail)


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        ("Id = 'abc'", "invalid ID field: abc"),
        (
            "Id IN ('00Q000000000001EAA', 'not-an-id-at-all!')",
            "invalid ID field: not-an-id-at-all!",
        ),
        (
            "ConvertedContactId = '003000000000001AA9'",
            "invalid ID field: 003000000000001AA9",
        ),
    ],
)
def test_error_invalid_id_literal(condition, detail):
    error = error_of(f"SELECT Id FROM Lead WHERE {condition}")
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message.endswith("\n" + detail)


@pytest.mark.parametrize(
    ("condition", "detail"),
    [
        (
            "IsConverted LIKE 'tr%'",
            "operator LIKE is not valid on boolean field 'IsConverted'",
        ),
        (
            "NumberOfEmployees LIKE '1%'",
            "operator LIKE is not valid on int field 'NumberOfEmployees'",
        ),
        (
            "IsConverted > false",
            "operator > is not valid on boolean field 'IsConverted'",
        ),
    ],
)
def test_error_operator_not_valid_for_type(condition, detail):
    error = error_of(f"SELECT Id FROM Lead WHERE {condition}")
    assert error.error_code == "INVALID_QUERY_FILTER_OPERATOR"
    assert error.message.endswith("\n" + detail)


def test_error_duplicate_field():
    error = error_of("SELECT Id, Email, email FROM Lead")
    assert error.error_code == "INVALID_FIELD"
    assert error.message.endswith("\nduplicate field selected: Email")


def test_error_duplicate_relationship_field():
    error = error_of("SELECT Account.Name, account.NAME FROM Contact")
    assert error.message.endswith("\nduplicate field selected: Account.Name")


def test_errors_raised_before_fetch():
    def fetch(sobject):
        raise AssertionError(f"fetch({sobject!r}) called for an invalid query")

    for text in (
        "SELECT Id, Nope FROM Lead",
        "SELECT Id FROM Lead WHERE Description = 'x'",
        "SELECT Id FROM Lead WHERE IsConverted = 'x'",
        "SELECT Id FROM Lead ORDER BY Nope",
    ):
        with pytest.raises(SoqlError):
            run(parse(text), describe_fields=DESCRIBES.get, fetch=fetch, get=get_record)

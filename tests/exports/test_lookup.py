"""SOQL look-ups: escaping, chunking by URL length, matching what comes back."""

from urllib.parse import urlencode

import pytest

from exports.lookup import (
    CONTACT_QUERY,
    LEAD_QUERY,
    MAX_ENCODED_QUERY_BYTES,
    chunked_queries,
    encoded_length,
    find_converted_contacts,
    find_email_messages,
    find_people_by_email,
)

# What Salesforce allows for the whole request line; the budget leaves room
# for the instance URL, the API path and the headers.
SALESFORCE_URL_LIMIT = 16_384
LONGEST_INSTANCE_PREFIX = (
    "https://a-very-long-my-domain-name-for-an-enterprise--uat.sandbox."
    "my.salesforce.com/services/data/v62.0/query/?"
)


class RecordingClient:
    """Returns canned rows for queries and records every SOQL it receives."""

    def __init__(self, rows_by_object=None):
        self.rows_by_object = rows_by_object or {}
        self.queries = []

    def query(self, soql):
        self.queries.append(soql)
        sobject = soql.split(" FROM ")[1].split(" ")[0]
        return list(self.rows_by_object.get(sobject, []))


@pytest.mark.parametrize(
    ("email", "literal"),
    [
        ("o'brien@example.com", r"'o\'brien@example.com'"),
        ("a\\b@example.com", r"'a\\b@example.com'"),
        ("first+tag@Example.COM", "'first+tag@Example.COM'"),
        ('quote"d@example.com', r"'quote\"d@example.com'"),
    ],
)
def test_values_are_escaped_for_soql(email, literal):
    client = RecordingClient()

    find_people_by_email(client, [email])

    lead_query, contact_query = client.queries
    assert lead_query == LEAD_QUERY.format(f"({literal})")
    assert contact_query == CONTACT_QUERY.format(f"({literal})")


def test_one_query_per_object_for_a_whole_batch():
    client = RecordingClient()

    find_people_by_email(client, [f"lead{i}@example.com" for i in range(200)])

    assert len(client.queries) == 2
    assert client.queries[0].startswith("SELECT Id, Email, FirstName, LastName, ")
    assert " FROM Lead WHERE Email IN (" in client.queries[0]
    assert " FROM Contact WHERE Email IN (" in client.queries[1]


def test_emails_are_trimmed_deduplicated_and_hopeless_ones_skipped():
    client = RecordingClient()

    find_people_by_email(
        client, [" Ada@Example.com ", "ada@example.com", "", "x" * 81 + "@e.io"]
    )

    assert client.queries[0].endswith("IN ('Ada@Example.com')")


def test_nothing_to_look_up_costs_no_call():
    client = RecordingClient()

    assert find_people_by_email(client, ["", "   "]) == {}
    assert client.queries == []


@pytest.mark.parametrize(
    "emails",
    [
        [f"lead.number.{i}+campaign@example-company.com" for i in range(1000)],
        # Long, and full of characters that URL encoding triples or worse.
        [f"{i}'%\\+ü{'é' * 60}@example.com" for i in range(300)],
        ["x" * 70 + f"{i:04d}@ex.com" for i in range(1000)],
    ],
)
def test_chunks_keep_every_url_under_salesforces_limit(emails):
    queries = list(chunked_queries(LEAD_QUERY, emails))

    assert len(queries) > 1
    for soql in queries:
        assert encoded_length(soql) <= MAX_ENCODED_QUERY_BYTES
        url = LONGEST_INSTANCE_PREFIX + urlencode({"q": soql})
        assert len(url.encode()) < SALESFORCE_URL_LIMIT - 2_000
    sent = [value for soql in queries for value in _values(soql)]
    assert len(sent) == len(emails)


def test_chunks_filled_by_length_not_count():
    emails = [f"a{i}@e.io" for i in range(1000)]

    queries = list(chunked_queries(LEAD_QUERY, emails))

    # Short emails fit several hundred to a query.
    assert len(queries) <= 3
    assert encoded_length(queries[0]) > MAX_ENCODED_QUERY_BYTES - 50


def _values(soql):
    inside = soql[soql.index("IN (") + 4 : -1]
    return inside.split("','")


def test_returned_records_match_case_insensitively_and_trimmed():
    client = RecordingClient(
        {
            "Lead": [
                {
                    "Id": "00Q000000000001AAA",
                    "Email": "O'Brien@EXAMPLE.com",
                    "IsConverted": False,
                    "ConvertedContactId": None,
                    "CreatedDate": "2024-01-01T00:00:00.000+0000",
                },
                {
                    "Id": "00Q000000000002AAA",
                    "Email": "first+tag@example.com",
                    "IsConverted": True,
                    "ConvertedContactId": "003000000000001AAA",
                    "CreatedDate": "2023-01-01T00:00:00.000+0000",
                },
                # Salesforce's own comparison may be looser than ours.
                {"Id": "00Q000000000003AAA", "Email": "someone@else.com"},
            ],
            "Contact": [
                {
                    "Id": "003000000000002AAA",
                    "Email": "o'brien@example.com",
                    "CreatedDate": "2020-01-01T00:00:00.000+0000",
                }
            ],
        }
    )

    found = find_people_by_email(
        client, ["  o'brien@example.com", "First+Tag@Example.COM"]
    )

    assert sorted(found) == ["first+tag@example.com", "o'brien@example.com"]
    obrien = found["o'brien@example.com"]
    assert [(c.sobject, c.salesforce_id) for c in obrien] == [
        ("Lead", "00Q000000000001AAA"),
        ("Contact", "003000000000002AAA"),
    ]
    [converted] = found["first+tag@example.com"]
    assert converted.is_converted
    assert converted.converted_contact_id == "003000000000001AAA"


def test_email_messages_are_found_by_exact_identifier():
    client = RecordingClient(
        {
            "EmailMessage": [
                {"Id": "02s000000000001AAA", "MessageIdentifier": "<a1@mail.example>"},
                {"Id": "02s000000000002AAA", "MessageIdentifier": "<A2@MAIL.EXAMPLE>"},
            ]
        }
    )

    found = find_email_messages(client, ["<a1@mail.example>", "<a2@mail.example>"])

    assert found == {"<a1@mail.example>": "02s000000000001AAA"}
    [soql] = client.queries
    assert soql == (
        "SELECT Id, MessageIdentifier FROM EmailMessage WHERE MessageIdentifier IN "
        "('<a1@mail.example>','<a2@mail.example>')"
    )


def test_many_message_identifiers_are_chunked_by_url_length():
    identifiers = [f"<{i:05d}.{'x' * 150}@mail.example.com>" for i in range(500)]
    client = RecordingClient()

    find_email_messages(client, identifiers)

    assert len(client.queries) > 1
    assert all(
        encoded_length(soql) <= MAX_ENCODED_QUERY_BYTES for soql in client.queries
    )
    sent = [value.strip("()'") for soql in client.queries for value in _values(soql)]
    assert sorted(sent) == sorted(identifiers)


def test_converted_leads_are_mapped_to_their_contacts():
    client = RecordingClient(
        {
            "Lead": [
                {
                    "Id": "00Q000000000001AAA",
                    "ConvertedContactId": "003000000000001AAA",
                },
                {"Id": "00Q000000000002AAA", "ConvertedContactId": None},
            ]
        }
    )

    found = find_converted_contacts(
        client, ["00Q000000000002AAA", "00Q000000000001AAA", "00Q000000000001AAA"]
    )

    assert found == {"00Q000000000001AAA": "003000000000001AAA"}
    [soql] = client.queries
    assert soql == (
        "SELECT Id, ConvertedContactId FROM Lead WHERE IsConverted = true AND Id IN "
        "('00Q000000000001AAA','00Q000000000002AAA')"
    )

"""Batched look-ups of Salesforce records by email and by message identifier.

One SOQL query per object per chunk, never one per lead. Queries travel in
the URL of a GET, and Salesforce rejects a URL over 16,384 bytes (431 when the
URL and headers together exceed it). Chunks are therefore sized by the
URL-encoded length of the query, not by a count of values.
"""

from collections import defaultdict
from collections.abc import Iterable, Iterator
from urllib.parse import quote_plus, urlencode

from simple_salesforce.format import format_soql, quote_soql_value

from exports.mapping import utf16_length
from exports.planning import Candidate, normalize_email

# The encoded `q=` parameter may use this many bytes. The rest of the 16,384
# is left for the instance host, the API path and the headers with the token.
MAX_ENCODED_QUERY_BYTES = 12_000
# Salesforce's Email fields hold 80 characters, so a longer value cannot match
# and is not worth a place in the query.
MAX_EMAIL_LENGTH = 80

LEAD_QUERY = (
    "SELECT Id, Email, FirstName, LastName, IsConverted, ConvertedContactId, "
    "CreatedDate FROM Lead WHERE Email IN {}"
)
CONTACT_QUERY = (
    "SELECT Id, Email, FirstName, LastName, CreatedDate FROM Contact WHERE Email IN {}"
)
CONVERTED_LEAD_QUERY = (
    "SELECT Id, ConvertedContactId FROM Lead WHERE IsConverted = true AND Id IN {}"
)
EMAIL_MESSAGE_QUERY = (
    "SELECT Id, MessageIdentifier FROM EmailMessage WHERE MessageIdentifier IN {}"
)


def encoded_length(soql: str) -> int:
    """Bytes the query takes as the URL's `q` parameter."""
    return len(urlencode({"q": soql}))


def chunked_queries(
    template: str, values: Iterable[str], limit: int = MAX_ENCODED_QUERY_BYTES
) -> Iterator[str]:
    """Yield `template` filled with chunks of `values`, each within `limit` bytes."""
    for chunk in chunked_values(template, values, limit):
        yield format_soql(template, chunk)


def chunked_values(
    template: str, values: Iterable[str], limit: int = MAX_ENCODED_QUERY_BYTES
) -> Iterator[list[str]]:
    """Yield chunks of distinct `values` that fill `template` within `limit` bytes.

    URL encoding works character by character, so the encoded query is the sum
    of its encoded parts; each value's share is measured once.
    """
    empty = encoded_length(format_soql(template, []))
    chunk: list[str] = []
    size = empty
    for value in dict.fromkeys(values):
        share = len(quote_plus(quote_soql_value(value) + ","))
        if chunk and size + share > limit:
            yield chunk
            chunk, size = [], empty
        chunk.append(value)
        size += share
    if chunk:
        yield chunk


def searchable_emails(emails: Iterable[str]) -> dict[str, str]:
    """Normalized email → trimmed email to search, for those a record could hold.

    Empty emails and emails longer than Salesforce's Email fields are left out.
    """
    searched = {}
    for email in emails:
        trimmed = email.strip()
        if trimmed and utf16_length(trimmed) <= MAX_EMAIL_LENGTH:
            searched.setdefault(normalize_email(trimmed), trimmed)
    return searched


def find_people_by_email(client, emails: Iterable[str]) -> dict[str, list[Candidate]]:
    """Leads and Contacts whose email matches, keyed by normalized email."""
    searched = searchable_emails(emails)
    if not searched:
        return {}

    matches: dict[str, list[Candidate]] = defaultdict(list)
    for soql in chunked_queries(LEAD_QUERY, searched.values()):
        for row in client.query(soql):
            _add(matches, searched, _lead_candidate(row))
    for soql in chunked_queries(CONTACT_QUERY, searched.values()):
        for row in client.query(soql):
            _add(matches, searched, _contact_candidate(row))
    return dict(matches)


def _add(matches: dict, searched: dict, candidate: Candidate) -> None:
    # Salesforce compares by its own case rules; keep only what also matches
    # under ours, so a record never links to a lead whose email differs.
    key = normalize_email(candidate.email)
    if key in searched:
        matches[key].append(candidate)


def _lead_candidate(row: dict) -> Candidate:
    return Candidate(
        sobject="Lead",
        salesforce_id=row["Id"],
        email=row.get("Email") or "",
        created_date=row.get("CreatedDate") or "",
        is_converted=bool(row.get("IsConverted")),
        converted_contact_id=row.get("ConvertedContactId"),
    )


def _contact_candidate(row: dict) -> Candidate:
    return Candidate(
        sobject="Contact",
        salesforce_id=row["Id"],
        email=row.get("Email") or "",
        created_date=row.get("CreatedDate") or "",
    )


def find_converted_contacts(client, lead_ids: Iterable[str]) -> dict[str, str]:
    """Map each of these Leads that has been converted to its Contact's id."""
    found = {}
    for soql in chunked_queries(CONVERTED_LEAD_QUERY, sorted(set(lead_ids))):
        for row in client.query(soql):
            if row.get("ConvertedContactId"):
                found[row["Id"]] = row["ConvertedContactId"]
    return found


def find_email_messages(client, identifiers: Iterable[str]) -> dict[str, str]:
    """EmailMessage ids by the MessageIdentifier they carry, for those that exist."""
    searched = set(identifiers)
    found = {}
    for soql in chunked_queries(EMAIL_MESSAGE_QUERY, sorted(searched)):
        for row in client.query(soql):
            # SOQL compares case-insensitively, but a Message-ID is exact.
            if row.get("MessageIdentifier") in searched:
                found.setdefault(row["MessageIdentifier"], row["Id"])
    return found


def find_linkedin_tasks(
    client, person_ids: Iterable[str], subject_prefix: str
) -> list[dict]:
    """Tasks on these Leads or Contacts whose subject starts with `subject_prefix`."""
    template = format_soql(
        "SELECT Id, Description FROM Task WHERE Subject LIKE '{:like}%' AND WhoId IN ",
        subject_prefix,
    )
    rows = []
    for soql in chunked_queries(template + "{}", person_ids):
        rows.extend(client.query(soql))
    return rows

"""Ask an org which Leads and Contacts have some emails, and which rules they meet.

Cost of a batch, in Salesforce API calls, with E the number of URL-sized
chunks of its distinct emails and R the campaign's blocklist rules:

    at most 3 + 2 * E * (1 + R)

that is up to 3 describes (Lead, Contact, and Account when a rule reads it),
which `exports.describe` caches per org. Then each object costs one query per
chunk, and each object and rule one query per chunk that still contains
records the rule must evaluate. Every query stays below the URL limit because
chunks are sized with a rule condition's share of the URL set aside. 1,000
emails of 40 characters (letters, digits, dots and dashes) make E = 6, so with
two rules a full batch costs at most 39 calls. A query that matches more than
2,000 records costs one more call per further 2,000 (Salesforce's page size).

Salesforce's results are cached per org for `cache_seconds()`: the records
with each email, and whether each record meets each rule condition. Callers
report the age of what they used, and failures are never cached.
"""

from __future__ import annotations

import hashlib
import logging
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.conf import settings
from django.core.cache import cache
from simple_salesforce.format import format_soql

from contact_checks.compiler import MAX_CONDITION_BYTES, CompiledBlocklist
from contact_checks.decisions import OBJECT_ORDER, FoundRecord, RuleMatch
from exports.lookup import MAX_ENCODED_QUERY_BYTES, chunked_values, searchable_emails
from exports.planning import normalize_email

logger = logging.getLogger(__name__)

DEFAULT_CACHE_SECONDS = 60
OPT_OUT_FIELD = "HasOptedOutOfEmail"
# The maximum-length query of a check without a rule. Chunks are sized with
# it and with a rule condition's bytes set aside, so every query of the check
# fits.
SIZING_TEMPLATE = "SELECT Id, Email, HasOptedOutOfEmail FROM Contact WHERE Email IN {}"
CHUNK_BYTES = MAX_ENCODED_QUERY_BYTES - MAX_CONDITION_BYTES
CACHE_PREFIX = "contact_checks:v1"


def cache_seconds() -> int:
    """Return how long, in seconds, Salesforce's responses are reused.

    The CONTACT_CHECK_CACHE_SECONDS setting overrides the default; 0 turns caching off.
    """
    return int(getattr(settings, "CONTACT_CHECK_CACHE_SECONDS", DEFAULT_CACHE_SECONDS))


@dataclass(frozen=True)
class LookupResult:
    """Records per normalized email, and when the oldest fact used was fetched.

    `fetched_at` is a Unix time per normalized email.
    """

    records: dict[str, tuple[FoundRecord, ...]]
    fetched_at: dict[str, float]


def email_chunks(searched: Iterable[str]) -> list[list[str]]:
    """Chunks of emails such that every query of the check fits in a URL."""
    return list(chunked_values(SIZING_TEMPLATE, searched, CHUNK_BYTES))


def look_up(
    client,
    org_id: str,
    emails: Iterable[str],
    *,
    opt_out_visible: dict[str, bool],
    blocklist: CompiledBlocklist | None = None,
    skip_opted_out: bool = True,
) -> LookupResult:
    """Find the Leads and Contacts with each email, and the first rule each meets.

    `opt_out_visible` maps each object to whether describe lists HasOptedOutOfEmail.
    Raises SalesforceError when Salesforce cannot be queried.
    """
    searched = searchable_emails(emails)
    chunks = email_chunks(searched.values())
    now = time.time()

    records, fetched_at = _cached_records(org_id, searched)
    missing = {key for key in searched if key not in records}
    if missing:
        found = _query_records(client, chunks, missing, opt_out_visible)
        for key in missing:
            records[key] = found.get(key, ())
            fetched_at[key] = now
        _store_records(org_id, {key: records[key] for key in missing}, now)
    logger.info(
        "Looked up %s emails in org %s, %s of them from the cache",
        len(searched),
        org_id,
        len(searched) - len(missing),
        extra={"org_id": org_id},
    )

    if blocklist is not None and blocklist.rules:
        # With `skip_opted_out`, records that opted out are blocked whatever
        # the rules match, so no query is spent on them.
        _apply_rules(
            client,
            org_id,
            chunks,
            records,
            fetched_at,
            blocklist,
            skip_opted_out=skip_opted_out,
        )
    return LookupResult(records=records, fetched_at=fetched_at)


def _query_records(
    client, chunks, missing: set[str], opt_out_visible: dict[str, bool]
) -> dict[str, tuple[FoundRecord, ...]]:
    found: dict[str, list[FoundRecord]] = defaultdict(list)
    for sobject in OBJECT_ORDER:
        visible = opt_out_visible.get(sobject, False)
        fields = f"Id, Email, {OPT_OUT_FIELD}" if visible else "Id, Email"
        for chunk in chunks:
            values = [email for email in chunk if normalize_email(email) in missing]
            if not values:
                continue
            soql = format_soql(
                "SELECT {:literal} FROM {:literal} WHERE Email IN {}",
                fields,
                sobject,
                values,
            )
            for row in client.query(soql):
                key = normalize_email(row.get("Email") or "")
                # Salesforce compares by its own case rules; keep only what
                # also matches under ours.
                if key in missing:
                    found[key].append(
                        FoundRecord(
                            sobject=sobject,
                            salesforce_id=row["Id"],
                            opted_out=bool(row.get(OPT_OUT_FIELD)) if visible else None,
                        )
                    )
    return {key: tuple(items) for key, items in found.items()}


def _apply_rules(
    client,
    org_id: str,
    chunks: list[list[str]],
    records: dict[str, tuple[FoundRecord, ...]],
    fetched_at: dict[str, float],
    blocklist: CompiledBlocklist,
    *,
    skip_opted_out: bool,
) -> None:
    """Tag each record with the first rule it meets, in rule order."""
    email_of = {
        record.salesforce_id: key for key, found in records.items() for record in found
    }
    matched: dict[str, RuleMatch] = {}
    for sobject in OBJECT_ORDER:
        pending = {
            record.salesforce_id
            for found in records.values()
            for record in found
            if record.sobject == sobject and not (skip_opted_out and record.opted_out)
        }
        for rule, condition in blocklist.rules_for(sobject):
            if not pending:
                break
            meets, times = _rule_results(
                client, org_id, sobject, condition, pending, email_of, chunks
            )
            for record_id, when in times.items():
                key = email_of[record_id]
                fetched_at[key] = min(fetched_at.get(key, when), when)
            for record_id in meets:
                matched[record_id] = RuleMatch(rule.name, rule.outcome)
            pending -= meets

    for key, found in records.items():
        records[key] = tuple(
            replace(record, rule=matched.get(record.salesforce_id)) for record in found
        )


def _rule_results(
    client, org_id, sobject, condition, pending, email_of, chunks
) -> tuple[set[str], dict[str, float]]:
    """Return the pending ids that meet `condition`, and when each was fetched."""
    keys = {
        record_id: _rule_key(org_id, sobject, condition, record_id)
        for record_id in pending
    }
    cached = cache.get_many(keys.values()) if cache_seconds() > 0 else {}
    meets: set[str] = set()
    times: dict[str, float] = {}
    unknown = set()
    for record_id, key in keys.items():
        if key in cached:
            meets_rule, when = cached[key]
            times[record_id] = when
            if meets_rule:
                meets.add(record_id)
        else:
            unknown.add(record_id)
    if not unknown:
        return meets, times

    now = time.time()
    emails = {email_of[record_id] for record_id in unknown}
    answered = set()
    for chunk in chunks:
        values = [email for email in chunk if normalize_email(email) in emails]
        if not values:
            continue
        # The condition was compiled from describe names and quoted values.
        soql = format_soql(
            "SELECT Id FROM {:literal} WHERE Email IN {} AND {:literal}",
            sobject,
            values,
            condition,
        )
        answered.update(row["Id"] for row in client.query(soql))
    fresh = {}
    for record_id in unknown:
        times[record_id] = now
        meets_rule = record_id in answered
        if meets_rule:
            meets.add(record_id)
        fresh[keys[record_id]] = (meets_rule, now)
    if cache_seconds() > 0:
        cache.set_many(fresh, timeout=cache_seconds())
    return meets, times


def _cached_records(
    org_id: str, searched: dict[str, str]
) -> tuple[dict[str, tuple[FoundRecord, ...]], dict[str, float]]:
    if cache_seconds() <= 0 or not searched:
        return {}, {}
    keys = {_records_key(org_id, email): email for email in searched}
    records, fetched_at = {}, {}
    for key, (when, found) in cache.get_many(list(keys)).items():
        email = keys[key]
        records[email] = tuple(FoundRecord(*item) for item in found)
        fetched_at[email] = when
    return records, fetched_at


def _store_records(
    org_id: str, records: dict[str, tuple[FoundRecord, ...]], when: float
) -> None:
    if cache_seconds() <= 0:
        return
    cache.set_many(
        {
            _records_key(org_id, email): (
                when,
                tuple(
                    (record.sobject, record.salesforce_id, record.opted_out)
                    for record in found
                ),
            )
            for email, found in records.items()
        },
        timeout=cache_seconds(),
    )


def _records_key(org_id: str, email: str) -> str:
    digest = hashlib.sha256(email.encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:records:{org_id}:{digest}"


def _rule_key(org_id: str, sobject: str, condition: str, record_id: str) -> str:
    digest = hashlib.sha256(condition.encode()).hexdigest()[:32]
    return f"{CACHE_PREFIX}:rule:{org_id}:{sobject}:{digest}:{record_id}"

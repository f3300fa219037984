"""Run the Do Not Contact check for a campaign's emails, and record every decision.

`check_emails` gathers the policy (campaign flag, blocklist, account
setting), queries Salesforce through `contact_checks.lookup`, decides each email
with `contact_checks.decisions.decide` and stores one ContactDecision per
email. When Salesforce cannot be queried, or the blocklist does not fit the
org, every email is `unknown`, so an outage never results in `allowed`.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models.functions import Lower, Trim
from django.utils import timezone

from contact_checks.compiler import (
    CompiledBlocklist,
    compile_blocklist,
    objects_to_describe,
)
from contact_checks.decisions import (
    Decision,
    Policy,
    ReasonCode,
    Verdict,
    decide,
    unknown_decision,
)
from contact_checks.filters import (
    EMPTY_BLOCKLIST,
    Blocklist,
    FilterError,
    parse_blocklist,
)
from contact_checks.lookup import OPT_OUT_FIELD, LookupResult, look_up
from contact_checks.models import ContactCheckSettings, ContactDecision, CrmBlocklist
from exports.describe import load_schema
from exports.planning import normalize_email
from integrations.client import SalesforceAuthError, SalesforceError, client_for_account
from outreach.models import Campaign, Lead

logger = logging.getLogger(__name__)

RECORD_BATCH_SIZE = 500


@dataclass(frozen=True)
class EmailResult:
    email: str
    decision: Decision
    checked_at: datetime
    cache_age_seconds: int


@dataclass(frozen=True)
class CheckReport:
    campaign: Campaign
    org_id: str
    results: list[EmailResult]

    def totals(self) -> dict[str, int]:
        counts = Counter(result.decision.verdict for result in self.results)
        return {verdict.value: counts.get(verdict, 0) for verdict in Verdict}


class _Unanswerable(Exception):
    """Every email of the batch is `unknown`, for the reason given."""

    def __init__(self, decision: Decision, org_id: str = ""):
        super().__init__(decision.reason)
        self.decision = decision
        self.org_id = org_id


def block_opted_out(account) -> bool:
    """Return whether the account blocks opted-out addresses; on unless turned off."""
    row = ContactCheckSettings.objects.filter(account=account).first()
    return row.block_opted_out_emails if row else True


def check_emails(
    campaign: Campaign, emails: Sequence[str], *, client=None
) -> CheckReport:
    """Decide and record, for each email in order, whether it may be contacted.

    `client` replaces the account's SalesforceClient (tests pass one).
    """
    started = time.time()
    policy = Policy(
        do_not_contact=campaign.do_not_contact_crm,
        block_opted_out=block_opted_out(campaign.account),
    )
    org_id = ""
    try:
        if not policy.do_not_contact and not policy.block_opted_out:
            lookup = None
        else:
            lookup, policy, org_id = _ask_salesforce(campaign, emails, policy, client)
        results = [_result(email, lookup, policy, started) for email in emails]
    except _Unanswerable as failure:
        org_id = failure.org_id
        logger.warning(
            "Do Not Contact check for campaign %s returns unknown (%s): %s",
            campaign.pk,
            failure.decision.reason_code.value,
            failure.decision.reason,
            extra={"campaign_id": campaign.pk, "org_id": org_id},
        )
        now = datetime.fromtimestamp(started, tz=UTC)
        results = [EmailResult(email, failure.decision, now, 0) for email in emails]

    report = CheckReport(campaign=campaign, org_id=org_id, results=results)
    _record(report)
    logger.info(
        "Do Not Contact check of %s emails for campaign %s: %s",
        len(emails),
        campaign.pk,
        report.totals(),
        extra={"campaign_id": campaign.pk, "org_id": org_id},
    )
    return report


def check_blocklist(blocklist: CrmBlocklist, *, client=None) -> str:
    """Check the filters against the connected org; store and return the problem.

    Returns "" when they fit. Raises SalesforceError when Salesforce cannot be queried.
    """
    try:
        parsed = _parse(blocklist)
        if client is None:
            client = client_for_account(blocklist.campaign.account)
        _compile(client, parsed, blocklist)
    except _Unanswerable:
        pass
    return blocklist.org_problem


def _ask_salesforce(campaign, emails, policy: Policy, client):
    """Return (lookup, policy with the blocklist, org id); raises _Unanswerable."""
    blocklist = EMPTY_BLOCKLIST
    row = None
    if policy.do_not_contact:
        row = CrmBlocklist.objects.filter(campaign=campaign).first()
        blocklist = _parse(row) if row else EMPTY_BLOCKLIST

    if client is None:
        try:
            client = client_for_account(campaign.account)
        except SalesforceAuthError as error:
            raise _Unanswerable(
                unknown_decision(
                    ReasonCode.NOT_CONNECTED,
                    f"Salesforce could not be asked: {error}",
                )
            ) from error
    org_id = client.connection.org_id
    try:
        compiled, schemas = _compile(client, blocklist, row)
        lookup = look_up(
            client,
            org_id,
            emails,
            opt_out_visible={
                sobject: OPT_OUT_FIELD in schemas[sobject].fields
                for sobject in ("Lead", "Contact")
            },
            blocklist=compiled,
            skip_opted_out=policy.block_opted_out,
        )
    except SalesforceError as error:
        raise _Unanswerable(
            unknown_decision(
                ReasonCode.SALESFORCE_ERROR,
                f"Salesforce could not be asked ({error}); ask again later.",
            ),
            org_id,
        ) from error
    except _Unanswerable as failure:
        failure.org_id = org_id
        raise
    finally:
        client.save_usage()

    policy = Policy(
        do_not_contact=policy.do_not_contact,
        block_opted_out=policy.block_opted_out,
        has_rules=bool(blocklist.rules),
        otherwise=blocklist.otherwise,
    )
    return lookup, policy, org_id


def _parse(row: CrmBlocklist) -> Blocklist:
    try:
        return parse_blocklist(row.filters)
    except FilterError as error:
        problem = "; ".join(error.problems)
        _store_problem(row, problem, row.org_id)
        raise _Unanswerable(_invalid_filter(problem)) from error


def _compile(client, blocklist: Blocklist, row: CrmBlocklist | None):
    """Return (compiled blocklist, schemas) for the org; raises _Unanswerable."""
    org_id = client.connection.org_id
    schemas = {
        sobject: load_schema(client, org_id, sobject)
        for sobject in objects_to_describe(blocklist)
    }
    try:
        compiled: CompiledBlocklist = compile_blocklist(blocklist, schemas)
    except FilterError as error:
        problem = "; ".join(error.problems)
        if row is not None:
            _store_problem(row, problem, org_id)
        raise _Unanswerable(_invalid_filter(problem), org_id) from error
    if row is not None:
        _store_problem(row, "", org_id)
    return compiled, schemas


def _invalid_filter(problem: str) -> Decision:
    return unknown_decision(
        ReasonCode.INVALID_FILTER,
        "The campaign's CRM blocklist filters cannot be applied, so nothing is "
        f"guessed: {problem} Fix the filters in the admin (CRM blocklists).",
    )


def _store_problem(row: CrmBlocklist, problem: str, org_id: str) -> None:
    """Save what the last check found, writing only when something changed."""
    if row.org_problem == problem and row.org_id == org_id and row.org_checked_at:
        return
    row.org_problem = problem
    row.org_id = org_id
    row.org_checked_at = timezone.now()
    CrmBlocklist.objects.filter(pk=row.pk).update(
        org_problem=problem, org_id=org_id, org_checked_at=row.org_checked_at
    )


def _result(
    email: str, lookup: LookupResult | None, policy: Policy, started: float
) -> EmailResult:
    if lookup is None:
        decision = Decision(
            Verdict.ALLOWED,
            ReasonCode.CHECK_OFF,
            "The campaign does not exclude leads found in CRM and the account "
            "does not block opted-out addresses, so Salesforce was not asked.",
        )
        return EmailResult(email, decision, datetime.fromtimestamp(started, tz=UTC), 0)
    if not _is_email(email):
        # A record may still hold such a value, so "no match" would be a guess.
        decision = unknown_decision(
            ReasonCode.INVALID_EMAIL,
            f"{email!r} is not a valid email address, so it was not checked; "
            "correct it and check again.",
        )
        return EmailResult(email, decision, datetime.fromtimestamp(started, tz=UTC), 0)
    key = normalize_email(email)
    decision = decide(lookup.records.get(key, ()), policy)
    fetched_at = lookup.fetched_at.get(key, started)
    return EmailResult(
        email,
        decision,
        datetime.fromtimestamp(fetched_at, tz=UTC),
        max(0, round(started - fetched_at)),
    )


def _is_email(email: str) -> bool:
    try:
        validate_email(email.strip())
    except ValidationError:
        return False
    return True


def _record(report: CheckReport) -> None:
    """Store one ContactDecision per result, linked to the campaign's lead."""
    keys = {result.email.strip().lower() for result in report.results}
    leads = {
        lead.email_key: lead
        for lead in Lead.objects.filter(campaign=report.campaign)
        .annotate(email_key=Lower(Trim("email")))
        .filter(email_key__in=keys)
    }
    ContactDecision.objects.bulk_create(
        [
            ContactDecision(
                campaign=report.campaign,
                lead=leads.get(result.email.strip().lower()),
                email=result.email,
                decision=result.decision.verdict.value,
                reason_code=result.decision.reason_code.value,
                reason=result.decision.reason,
                rule=result.decision.rule or "",
                matched_object=result.decision.matched_object or "",
                matched_ids=",".join(result.decision.matched_ids),
                org_id=report.org_id,
                checked_at=result.checked_at,
            )
            for result in report.results
        ],
        batch_size=RECORD_BATCH_SIZE,
    )

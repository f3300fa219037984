"""Decide whether one email may be contacted, from the records Salesforce returned.

`decide` is pure: it reads the campaign's policy and the Leads and Contacts
found with the email, each already tagged with its opt-out flag and the first
blocklist rule it matched, and returns the decision with its reason.

Order of evaluation, for each matching record (Leads before Contacts):
1. Email opt-out: a record with HasOptedOutOfEmail blocks, whatever the
   campaign's settings, unless the account turned the opt-out check off.
2. With the campaign's "Do Not Contact leads found in CRM" off, the record
   does not block.
3. With it on, the first blocklist rule the record matches decides (block or
   allow). When no rule matches, the blocklist's `otherwise` decides, and a
   campaign without rules blocks.
Then, for the email: blocked when any record blocks (the reason names the
first one), unknown when a record could not be cleared, else allowed.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

# Leads are looked at before Contacts, as for the export's matching.
OBJECT_ORDER = ("Lead", "Contact")

RULE_OPT_OUT = "email_opt_out"
RULE_FLAG = "do_not_contact_flag"
RULE_OTHERWISE = "blocklist:otherwise"


def blocklist_rule(name: str) -> str:
    """Return the `rule` value of a decision taken by the blocklist rule `name`."""
    return f"blocklist:{name}"


class Verdict(enum.StrEnum):
    ALLOWED = "allowed"
    BLOCKED = "blocked"
    UNKNOWN = "unknown"


class Outcome(enum.StrEnum):
    """Effect of a blocklist rule on the records it matches."""

    BLOCK = "block"
    ALLOW = "allow"


class ReasonCode(enum.StrEnum):
    NO_MATCH = "no_match"
    CHECK_OFF = "check_off"
    DO_NOT_CONTACT_OFF = "do_not_contact_off"
    CRM_MATCH = "crm_match"
    FILTER_RULE = "filter_rule"
    FILTER_OTHERWISE = "filter_otherwise"
    OPTED_OUT = "opted_out"
    OPT_OUT_HIDDEN = "opt_out_hidden"
    NOT_CONNECTED = "not_connected"
    SALESFORCE_ERROR = "salesforce_error"
    INVALID_FILTER = "invalid_filter"
    INVALID_EMAIL = "invalid_email"


@dataclass(frozen=True)
class Policy:
    """Settings of the campaign and its account that the check applies."""

    do_not_contact: bool
    block_opted_out: bool = True
    has_rules: bool = False
    otherwise: Outcome = Outcome.BLOCK


@dataclass(frozen=True)
class RuleMatch:
    name: str
    outcome: Outcome


@dataclass(frozen=True)
class FoundRecord:
    """A Lead or Contact with the email.

    `opted_out` is None when field-level security hides HasOptedOutOfEmail.
    `rule` is the first blocklist rule the record matched, if it was asked.
    """

    sobject: str
    salesforce_id: str
    opted_out: bool | None
    rule: RuleMatch | None = None


@dataclass(frozen=True)
class Decision:
    verdict: Verdict
    reason_code: ReasonCode
    reason: str
    rule: str | None = None
    matched_object: str | None = None
    matched_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class _RecordVerdict:
    record: FoundRecord
    verdict: Verdict
    reason_code: ReasonCode
    rule: str | None
    explanation: str


def decide(records: Sequence[FoundRecord], policy: Policy) -> Decision:
    """Return the decision for one email from the records found with it."""
    if not records:
        return Decision(
            Verdict.ALLOWED,
            ReasonCode.NO_MATCH,
            "No Lead or Contact in the org has this email.",
        )

    ordered = sorted(records, key=_record_order)
    matched_ids = tuple(record.salesforce_id for record in ordered)
    verdicts = [_judge(record, policy) for record in ordered]
    chosen = next(
        (item for item in verdicts if item.verdict == Verdict.BLOCKED),
        None,
    ) or next(
        (item for item in verdicts if item.verdict == Verdict.UNKNOWN),
        verdicts[0],
    )
    reason = chosen.explanation
    others = [item for item in verdicts if item is not chosen]
    if others:
        reason += " Also found: " + ", ".join(
            f"{item.record.sobject} {item.record.salesforce_id} ({item.verdict.value})"
            for item in others
        )
        reason += "."
    return Decision(
        chosen.verdict,
        chosen.reason_code,
        reason,
        rule=chosen.rule,
        matched_object=chosen.record.sobject,
        matched_ids=matched_ids,
    )


def unknown_decision(reason_code: ReasonCode, reason: str) -> Decision:
    """Return the decision for an email when Salesforce could not be queried."""
    return Decision(Verdict.UNKNOWN, reason_code, reason)


def _record_order(record: FoundRecord) -> tuple[int, str]:
    rank = (
        OBJECT_ORDER.index(record.sobject)
        if record.sobject in OBJECT_ORDER
        else len(OBJECT_ORDER)
    )
    return rank, record.salesforce_id


def _judge(record: FoundRecord, policy: Policy) -> _RecordVerdict:
    """Apply the evaluation order of the module docstring to one record."""
    label = f"{record.sobject} {record.salesforce_id}"
    if policy.block_opted_out and record.opted_out:
        return _RecordVerdict(
            record,
            Verdict.BLOCKED,
            ReasonCode.OPTED_OUT,
            RULE_OPT_OUT,
            f"{label} has Email Opt Out (HasOptedOutOfEmail) set, so this "
            "address is never emailed.",
        )

    verdict = _campaign_verdict(record, policy, label)
    if (
        verdict.verdict == Verdict.ALLOWED
        and policy.block_opted_out
        and record.opted_out is None
    ):
        return _RecordVerdict(
            record,
            Verdict.UNKNOWN,
            ReasonCode.OPT_OUT_HIDDEN,
            None,
            f"{label} has this email, and field-level security hides "
            f"HasOptedOutOfEmail on {record.sobject} from the connected user, so "
            "an opt-out cannot be ruled out. Give that user read access to Email "
            "Opt Out, or turn off the opt-out check in the account's Do Not "
            "Contact settings.",
        )
    return verdict


def _campaign_verdict(
    record: FoundRecord, policy: Policy, label: str
) -> _RecordVerdict:
    if not policy.do_not_contact:
        return _RecordVerdict(
            record,
            Verdict.ALLOWED,
            ReasonCode.DO_NOT_CONTACT_OFF,
            None,
            f"{label} has this email, but the campaign does not exclude leads "
            "found in CRM.",
        )
    if record.rule is not None:
        verdict = (
            Verdict.BLOCKED if record.rule.outcome == Outcome.BLOCK else Verdict.ALLOWED
        )
        return _RecordVerdict(
            record,
            verdict,
            ReasonCode.FILTER_RULE,
            blocklist_rule(record.rule.name),
            f"{label} matches blocklist rule {record.rule.name!r}, which "
            f"{'blocks' if verdict == Verdict.BLOCKED else 'allows'} outreach.",
        )
    if policy.has_rules:
        verdict = (
            Verdict.BLOCKED if policy.otherwise == Outcome.BLOCK else Verdict.ALLOWED
        )
        return _RecordVerdict(
            record,
            verdict,
            ReasonCode.FILTER_OTHERWISE,
            RULE_OTHERWISE,
            f"{label} matches no blocklist rule, and the blocklist "
            f"{'blocks' if verdict == Verdict.BLOCKED else 'allows'} every "
            "other record.",
        )
    return _RecordVerdict(
        record,
        Verdict.BLOCKED,
        ReasonCode.CRM_MATCH,
        RULE_FLAG,
        f"{label} has this email, and the campaign excludes leads found in CRM.",
    )

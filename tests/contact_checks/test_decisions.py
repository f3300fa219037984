"""The pure decision: every branch of the evaluation order, and how records combine."""

import itertools

import pytest

from contact_checks.decisions import (
    RULE_FLAG,
    RULE_OPT_OUT,
    RULE_OTHERWISE,
    FoundRecord,
    Outcome,
    Policy,
    ReasonCode,
    RuleMatch,
    Verdict,
    decide,
    unknown_decision,
)

LEAD_ID = "00Q000000000001AAA"
LEAD_2_ID = "00Q000000000002AAA"
CONTACT_ID = "003000000000001AAA"

BLOCK_RULE = RuleMatch("Customers", Outcome.BLOCK)
ALLOW_RULE = RuleMatch("Partners", Outcome.ALLOW)


def lead(opted_out=False, rule=None, record_id=LEAD_ID):
    return FoundRecord("Lead", record_id, opted_out, rule)


def contact(opted_out=False, rule=None):
    return FoundRecord("Contact", CONTACT_ID, opted_out, rule)


FLAG_ON = Policy(do_not_contact=True)
FLAG_OFF = Policy(do_not_contact=False)


def test_no_record_is_allowed_whatever_the_policy():
    for flag, opt_out in itertools.product((True, False), repeat=2):
        decision = decide([], Policy(do_not_contact=flag, block_opted_out=opt_out))

        assert decision.verdict == Verdict.ALLOWED
        assert decision.reason_code == ReasonCode.NO_MATCH
        assert (decision.rule, decision.matched_object, decision.matched_ids) == (
            None,
            None,
            (),
        )


@pytest.mark.parametrize("record", [lead(), contact()], ids=["lead", "contact"])
def test_flag_on_blocks_a_record_found(record):
    decision = decide([record], FLAG_ON)

    assert decision.verdict == Verdict.BLOCKED
    assert decision.reason_code == ReasonCode.CRM_MATCH
    assert decision.rule == RULE_FLAG
    assert decision.matched_object == record.sobject
    assert decision.matched_ids == (record.salesforce_id,)
    assert record.salesforce_id in decision.reason


def test_flag_off_allows_a_record_found():
    decision = decide([lead()], FLAG_OFF)

    assert decision.verdict == Verdict.ALLOWED
    assert decision.reason_code == ReasonCode.DO_NOT_CONTACT_OFF
    assert decision.rule is None
    assert decision.matched_ids == (LEAD_ID,)


@pytest.mark.parametrize("policy", [FLAG_ON, FLAG_OFF], ids=["flag on", "flag off"])
@pytest.mark.parametrize("rule", [None, ALLOW_RULE], ids=["no rule", "allow rule"])
def test_opt_out_always_blocks(policy, rule):
    decision = decide([lead(opted_out=True, rule=rule)], policy)

    assert decision.verdict == Verdict.BLOCKED
    assert decision.reason_code == ReasonCode.OPTED_OUT
    assert decision.rule == RULE_OPT_OUT
    assert "HasOptedOutOfEmail" in decision.reason


def test_opt_out_ignored_when_setting_off():
    policy = Policy(do_not_contact=False, block_opted_out=False)

    decision = decide([lead(opted_out=True)], policy)

    assert decision.verdict == Verdict.ALLOWED
    assert decision.reason_code == ReasonCode.DO_NOT_CONTACT_OFF


def test_hidden_opt_out_makes_an_allowed_record_unknown():
    decision = decide([contact(opted_out=None)], FLAG_OFF)

    assert decision.verdict == Verdict.UNKNOWN
    assert decision.reason_code == ReasonCode.OPT_OUT_HIDDEN
    assert "field-level security hides HasOptedOutOfEmail on Contact" in (
        decision.reason
    )
    assert decision.matched_ids == (CONTACT_ID,)


def test_hidden_opt_out_does_not_weaken_a_block():
    decision = decide([lead(opted_out=None)], FLAG_ON)

    assert decision.verdict == Verdict.BLOCKED
    assert decision.reason_code == ReasonCode.CRM_MATCH


def test_hidden_opt_out_ignored_when_off():
    policy = Policy(do_not_contact=False, block_opted_out=False)

    assert decide([lead(opted_out=None)], policy).verdict == Verdict.ALLOWED


@pytest.mark.parametrize(
    ("rule", "verdict"),
    [(BLOCK_RULE, Verdict.BLOCKED), (ALLOW_RULE, Verdict.ALLOWED)],
    ids=["block rule", "allow rule"],
)
def test_matched_rule_decides(rule, verdict):
    policy = Policy(do_not_contact=True, has_rules=True, otherwise=Outcome.BLOCK)

    decision = decide([lead(rule=rule)], policy)

    assert decision.verdict == verdict
    assert decision.reason_code == ReasonCode.FILTER_RULE
    assert decision.rule == f"blocklist:{rule.name}"
    assert repr(rule.name) in decision.reason


@pytest.mark.parametrize(
    ("otherwise", "verdict"),
    [(Outcome.BLOCK, Verdict.BLOCKED), (Outcome.ALLOW, Verdict.ALLOWED)],
)
def test_otherwise_decides_unmatched_record(otherwise, verdict):
    policy = Policy(do_not_contact=True, has_rules=True, otherwise=otherwise)

    decision = decide([lead()], policy)

    assert decision.verdict == verdict
    assert decision.reason_code == ReasonCode.FILTER_OTHERWISE
    assert decision.rule == RULE_OTHERWISE


def test_rules_do_not_apply_with_the_flag_off():
    policy = Policy(do_not_contact=False, has_rules=True)

    decision = decide([lead(rule=BLOCK_RULE)], policy)

    assert decision.verdict == Verdict.ALLOWED
    assert decision.reason_code == ReasonCode.DO_NOT_CONTACT_OFF


def test_any_blocking_record_blocks():
    policy = Policy(do_not_contact=True, has_rules=True, otherwise=Outcome.ALLOW)
    records = [contact(rule=BLOCK_RULE), lead(rule=ALLOW_RULE)]

    decision = decide(records, policy)

    assert decision.verdict == Verdict.BLOCKED
    assert decision.matched_object == "Contact"
    assert decision.matched_ids == (LEAD_ID, CONTACT_ID)
    assert decision.reason.endswith(f"Also found: Lead {LEAD_ID} (allowed).")


def test_leads_come_before_contacts_when_both_block():
    records = [contact(), lead(record_id=LEAD_2_ID), lead()]

    decision = decide(records, FLAG_ON)

    assert decision.matched_object == "Lead"
    assert decision.matched_ids == (LEAD_ID, LEAD_2_ID, CONTACT_ID)
    assert decision.reason.startswith(f"Lead {LEAD_ID} has this email")


def test_opt_out_on_a_later_record_still_blocks():
    policy = Policy(do_not_contact=True, has_rules=True, otherwise=Outcome.ALLOW)

    decision = decide([lead(), contact(opted_out=True)], policy)

    assert decision.verdict == Verdict.BLOCKED
    assert decision.reason_code == ReasonCode.OPTED_OUT
    assert decision.matched_object == "Contact"


def test_unknown_beats_allowed_but_not_blocked():
    allowed_and_unknown = decide([lead(), contact(opted_out=None)], FLAG_OFF)
    blocked_and_unknown = decide(
        [lead(opted_out=True), contact(opted_out=None)], FLAG_OFF
    )

    assert allowed_and_unknown.verdict == Verdict.UNKNOWN
    assert allowed_and_unknown.matched_object == "Contact"
    assert blocked_and_unknown.verdict == Verdict.BLOCKED


def test_opt_out_never_allowed_exhaustively():
    """Exhaustive: with the opt-out check on, an opted-out record is never allowed."""
    rules = [None, BLOCK_RULE, ALLOW_RULE]
    for flag, has_rules, otherwise, rule, opted_out in itertools.product(
        (True, False), (True, False), Outcome, rules, (True, False, None)
    ):
        policy = Policy(flag, True, has_rules, otherwise)

        decision = decide([lead(opted_out=opted_out, rule=rule)], policy)

        if opted_out:
            assert decision.verdict == Verdict.BLOCKED, (policy, rule)
        elif opted_out is None:
            assert decision.verdict != Verdict.ALLOWED, (policy, rule)


def test_unknown_decision_carries_the_reason():
    decision = unknown_decision(ReasonCode.SALESFORCE_ERROR, "503 from Salesforce")

    assert decision.verdict == Verdict.UNKNOWN
    assert decision.reason == "503 from Salesforce"
    assert decision.matched_ids == ()

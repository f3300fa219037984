"""POST /api/v1/campaigns/{campaign_id}/contact-check: may these emails be contacted?"""

from datetime import datetime
from typing import Annotated, Literal

from ninja import Router, Schema
from ninja.errors import HttpError
from pydantic import ConfigDict, Field, StringConstraints

from api.schemas import ErrorOut
from contact_checks.decisions import ReasonCode
from contact_checks.services import CheckReport, check_emails
from outreach.models import Campaign

MAX_EMAILS = 1000

contact_check_router = Router(tags=["do not contact"])


class ContactCheckIn(Schema):
    model_config = ConfigDict(strict=True)

    emails: list[Annotated[str, StringConstraints(min_length=1, max_length=320)]] = (
        Field(
            min_length=1,
            max_length=MAX_EMAILS,
            description="1 to 1,000 email addresses, compared trimmed and "
            "case-insensitively. Results follow this order, duplicates included.",
        )
    )


class ContactCheckResultOut(Schema):
    email: str = Field(description="The email as sent.")
    decision: Literal["allowed", "blocked", "unknown"] = Field(
        description="'unknown' when Salesforce could not be asked or the "
        "campaign's filters cannot be applied: do not contact until a later "
        "check says 'allowed'."
    )
    reason_code: Literal[tuple(code.value for code in ReasonCode)]
    reason: str = Field(description="The decision in words, for people.")
    rule: str | None = Field(
        description="What decided: email_opt_out, do_not_contact_flag, "
        "blocklist:<rule name> or blocklist:otherwise; null when no record "
        "decided."
    )
    matched_object: str | None = Field(
        description="Lead or Contact: the object of the record that decided."
    )
    matched_ids: list[str] = Field(
        description="Ids of every Lead and Contact with the email, Leads first."
    )
    checked_at: datetime = Field(
        description="When Salesforce returned the data this decision used."
    )
    cache_age_seconds: int = Field(
        description="Age of that data when this response was built. Salesforce's "
        "responses are cached per org for a short time (60 s by default)."
    )


class DecisionTotalsOut(Schema):
    allowed: int
    blocked: int
    unknown: int


class ContactCheckOut(Schema):
    campaign_id: int
    org_id: str | None = Field(
        description="The org that was queried; null when none was."
    )
    totals: DecisionTotalsOut
    results: list[ContactCheckResultOut]


@contact_check_router.post(
    "/campaigns/{campaign_id}/contact-check",
    response={200: ContactCheckOut, 401: ErrorOut, 404: ErrorOut},
    summary="Check emails against the CRM before outreach",
)
def post_contact_check(request, campaign_id: int, body: ContactCheckIn):
    """Return, per email, whether outreach is allowed, blocked or unknown, and why.

    A Lead or Contact with the email blocks it when the campaign excludes leads
    found in CRM, and blocklist rules refine that. An email opt-out always blocks.
    """
    campaign = (
        Campaign.objects.select_related("account")
        .filter(pk=campaign_id, account=request.auth.account)
        .first()
    )
    if campaign is None:
        raise HttpError(
            404,
            f"Campaign {campaign_id} is not a campaign of this API key's account; "
            "use the id of one of its campaigns.",
        )
    return _response(check_emails(campaign, body.emails))


def _response(report: CheckReport) -> dict:
    return {
        "campaign_id": report.campaign.pk,
        "org_id": report.org_id or None,
        "totals": report.totals(),
        "results": [
            {
                "email": result.email,
                "decision": result.decision.verdict.value,
                "reason_code": result.decision.reason_code.value,
                "reason": result.decision.reason,
                "rule": result.decision.rule,
                "matched_object": result.decision.matched_object,
                "matched_ids": list(result.decision.matched_ids),
                "checked_at": result.checked_at,
                "cache_age_seconds": result.cache_age_seconds,
            }
            for result in report.results
        ],
    }

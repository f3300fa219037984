"""Endpoints of the intake API: parse the batch, store it, return the report."""

from ninja import Router
from ninja.errors import HttpError

from api import intake
from api.schemas import (
    ErrorOut,
    LeadBatchIn,
    LeadBatchOut,
    MessageBatchIn,
    MessageBatchOut,
)

intake_router = Router(tags=["intake"])


@intake_router.post(
    "/leads",
    response={200: LeadBatchOut, 401: ErrorOut, 404: ErrorOut},
    exclude_none=True,
    summary="Create or update leads of a campaign",
)
def post_leads(request, batch: LeadBatchIn):
    """Store 1 to 1,000 leads of one campaign, matched by email within it.

    Each item is stored or rejected on its own, and results follow the input order.
    """
    try:
        return intake.store_leads(
            request.auth.account, campaign=batch.campaign, items=batch.leads
        )
    except intake.CampaignNotFound as error:
        raise HttpError(404, str(error)) from error


@intake_router.post(
    "/messages",
    response={200: MessageBatchOut, 401: ErrorOut},
    exclude_none=True,
    summary="Append messages to existing leads",
)
def post_messages(request, batch: MessageBatchIn):
    """Store 1 to 1,000 messages, leaving those whose identifier is stored unchanged.

    Each item is stored or rejected on its own, and results follow the input order.
    """
    return intake.store_messages(request.auth.account, items=batch.messages)

"""Request and response shapes of the intake API.

Batch bodies take their items as raw JSON values, and `api.intake` validates
each one against `LeadIn` or `MessageIn`, so that one invalid item is rejected
with its reasons while the others are stored. The OpenAPI document still shows
the item schemas, through `WithJsonSchema`.
"""

from datetime import datetime
from typing import Annotated, Any, Literal

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.dateparse import parse_datetime
from ninja import Schema
from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
)
from pydantic_core import PydanticCustomError

from outreach.models import Lead, Message, Sentiment

MAX_BATCH_ITEMS = 1000
# Types of the errors raised below. Their messages already name the field,
# the value and the fix.
OWN_ERROR_TYPES = {
    "missing_email",
    "invalid_email",
    "invalid_sentiment",
    "missing_identifier",
    "invalid_identifier",
    "invalid_datetime",
    "naive_datetime",
}


def short_repr(value: Any) -> str:
    """Return a repr of `value` short enough for an error message."""
    if isinstance(value, str) and len(value) > 60:
        return f"{value[:40]!r}… ({len(value)} characters)"
    text = repr(value)
    return text if len(text) <= 60 else f"{text[:57]}…"


def _text(model, field_name: str) -> Any:
    """Build the type of a trimmed string within the model field's `max_length`."""
    max_length = model._meta.get_field(field_name).max_length
    return Annotated[
        str, StringConstraints(strip_whitespace=True, max_length=max_length)
    ]


def _check_email(value: str, field_name: str) -> str:
    if not value:
        raise PydanticCustomError(
            "missing_email", f"{field_name} is empty: send the lead's email address."
        )
    try:
        validate_email(value)
    except ValidationError:
        raise PydanticCustomError(
            "invalid_email",
            "{field} {value} is not a valid email address: expected name@domain.",
            {"field": field_name, "value": short_repr(value)},
        ) from None
    return value


# A campaign is named by its id (a JSON number) or its exact name (a string).
CampaignRef = (
    Annotated[int, Field(gt=0)]
    | Annotated[
        str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)
    ]
)


class LeadIn(BaseModel):
    """One lead of a batch. A field left out or null keeps its stored value."""

    model_config = ConfigDict(strict=True, extra="forbid")

    email: _text(Lead, "email") = Field(
        description="Identifies the lead in its campaign, trimmed and compared "
        "case-insensitively."
    )
    first_name: _text(Lead, "first_name") | None = None
    last_name: _text(Lead, "last_name") | None = None
    job_title: _text(Lead, "job_title") | None = None
    company_name: _text(Lead, "company_name") | None = None
    website: _text(Lead, "website") | None = None
    replied: bool | None = Field(
        None,
        description="True once the lead has replied. False never undoes an "
        "earlier reply.",
    )
    sentiment: Literal[1, 2, 3] | None = Field(
        None,
        description="Sentiment of the latest classified reply: 1 negative, "
        "2 neutral, 3 positive. Setting it also sets `replied`.",
    )

    @field_validator("email")
    @classmethod
    def _valid_email(cls, value: str) -> str:
        return _check_email(value, "email")

    @field_validator("sentiment", mode="before")
    @classmethod
    def _valid_sentiment(cls, value: Any) -> Any:
        # Checked by hand because pydantic's Literal accepts True for 1 and 3.0
        # for 3, even in strict mode.
        if value is None or (type(value) is int and value in Sentiment.values):
            return value
        choices = ", ".join(
            f"{number} ({label})" for number, label in Sentiment.choices
        )
        raise PydanticCustomError(
            "invalid_sentiment",
            "sentiment {value} is not valid: use {choices} or null.",
            {"value": short_repr(value), "choices": choices},
        )


class MessageIn(BaseModel):
    """One message of a batch, to or from a lead that already exists."""

    model_config = ConfigDict(strict=True, extra="forbid")

    lead_email: _text(Lead, "email") = Field(
        description="Email of the lead, compared case-insensitively."
    )
    campaign: CampaignRef | None = Field(
        None,
        description="The lead's campaign, by id or name. Needed only when the "
        "email is a lead in several campaigns of the account.",
    )
    message_identifier: _text(Message, "message_identifier") = Field(
        description="Globally unique id of the message. For email, this is its "
        "Message-ID header."
    )
    channel: Literal["email", "linkedin"]
    direction: Literal["inbound", "outbound"] = Field(
        description="An inbound message marks the lead as replied."
    )
    subject: _text(Message, "subject") | None = None
    body_text: str | None = None
    body_html: str | None = None
    from_address: _text(Message, "from_address") | None = None
    to_address: _text(Message, "to_address") | None = None
    sent_at: AwareDatetime = Field(
        description="Send or receive time, ISO 8601 with a time zone."
    )

    @field_validator("lead_email")
    @classmethod
    def _valid_lead_email(cls, value: str) -> str:
        return _check_email(value, "lead_email")

    @field_validator("message_identifier")
    @classmethod
    def _valid_identifier(cls, value: str) -> str:
        if not value:
            raise PydanticCustomError(
                "missing_identifier",
                "message_identifier is empty: send the message's unique id, "
                "for email its Message-ID header.",
            )
        if any(character.isspace() for character in value):
            raise PydanticCustomError(
                "invalid_identifier",
                "message_identifier {value} contains whitespace: send the id "
                "exactly as in the Message-ID header, e.g. <abc123@mail.example.com>.",
                {"value": short_repr(value)},
            )
        return value

    @field_validator("sent_at", mode="before")
    @classmethod
    def _parse_sent_at(cls, value: Any) -> datetime:
        # Parsed here because strict mode accepts only datetime objects, and
        # lax mode would also accept a number as a Unix time.
        example = "2026-01-05T09:30:00Z or 2026-01-05T10:30:00+01:00"
        parsed = None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:
                parsed = None
        if parsed is None:
            raise PydanticCustomError(
                "invalid_datetime",
                "sent_at {value} is not an ISO 8601 date and time: use a form "
                "such as {example}.",
                {"value": short_repr(value), "example": example},
            )
        if parsed.tzinfo is None:
            raise PydanticCustomError(
                "naive_datetime",
                "sent_at {value} has no time zone: add Z or an offset, as in "
                "{example}.",
                {"value": short_repr(value), "example": example},
            )
        return parsed


def _items_of(item_model: type[BaseModel]) -> Any:
    """Build the type of a list of 1 to MAX_BATCH_ITEMS raw items, documented as `item_model`."""
    return Annotated[
        list[Any],
        Field(min_length=1, max_length=MAX_BATCH_ITEMS),
        WithJsonSchema(
            {
                "type": "array",
                "items": item_model.model_json_schema(),
                "minItems": 1,
                "maxItems": MAX_BATCH_ITEMS,
            }
        ),
    ]


class LeadBatchIn(Schema):
    model_config = ConfigDict(strict=True)

    campaign: CampaignRef = Field(
        description="Campaign id (a number), or name (a string): a name that "
        "the account has no campaign by creates one."
    )
    leads: _items_of(LeadIn)


class MessageBatchIn(Schema):
    model_config = ConfigDict(strict=True)

    messages: _items_of(MessageIn)


class FieldErrorOut(Schema):
    field: str
    message: str


class ItemResultOut(Schema):
    index: int = Field(description="Position of the item in the request.")
    email: str | None = None
    message_identifier: str | None = None
    status: Literal["created", "updated", "unchanged", "rejected"]
    lead_id: int | None = None
    errors: list[FieldErrorOut] | None = None


class TotalsOut(Schema):
    created: int
    updated: int
    unchanged: int
    rejected: int


class CampaignOut(Schema):
    id: int
    name: str
    created: bool = Field(description="Whether this request created the campaign.")


class LeadBatchOut(Schema):
    campaign: CampaignOut
    totals: TotalsOut
    results: list[ItemResultOut]


class MessageBatchOut(Schema):
    totals: TotalsOut
    results: list[ItemResultOut]


class ErrorOut(Schema):
    detail: str

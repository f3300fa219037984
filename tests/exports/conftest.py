"""Fixtures of the export tests: a configurable org, and leads and emails to export."""

from datetime import UTC, datetime, timedelta

import pytest

from outreach.models import Lead, Message


@pytest.fixture
def org_config():
    """The configuration of the test's org; override to add fields or picklists."""
    return {"name": "Export Test Org"}


@pytest.fixture
def emulator_org(emulator, org_config) -> dict:
    """A fresh org per test, configured by `org_config`."""
    return emulator.control.create_org(**org_config)


@pytest.fixture
def sf(emulator, emulator_org):
    """simple-salesforce logged in to the test's org, to read back what arrived."""
    return emulator.control.simple_salesforce(emulator_org)


def add_lead(account, email, *, campaign=None, **values) -> Lead:
    """A lead in the account's first campaign (or `campaign`), with sane defaults."""
    values.setdefault("first_name", "Ada")
    values.setdefault("last_name", "Lovelace")
    values.setdefault("company_name", "Analytical Engines")
    return Lead.objects.create(
        campaign=campaign or account.campaigns.first(), email=email, **values
    )


def add_email(
    lead, identifier, *, inbound=False, minutes=0, channel="email", **values
) -> Message:
    values.setdefault("subject", "Quick question" if channel == "email" else "")
    values.setdefault("body_text", "Hello there")
    values.setdefault(
        "sent_at", datetime(2026, 1, 5, 9, 30, tzinfo=UTC) + timedelta(minutes=minutes)
    )
    return Message.objects.create(
        lead=lead,
        message_identifier=identifier,
        channel=channel,
        direction=Message.Direction.INBOUND if inbound else Message.Direction.OUTBOUND,
        from_address=lead.email if inbound else "rep@artisan.example",
        to_address="rep@artisan.example" if inbound else lead.email,
        **values,
    )

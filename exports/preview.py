"""The admin's preview: an export's plan for a few of an account's leads.

The preview runs the export's own steps up to the plan: the configuration
check, the check against the org (describe), the look-up by email, the read
of matched records' current values and `plan_leads`. It only reads from
Salesforce; nothing is created or updated.
"""

import logging
import re
from dataclasses import dataclass, field

from exports.config import ExportConfigError, settings_from_config
from exports.current_values import read_current_values
from exports.lookup import find_people_by_email
from exports.mapping import LeadData
from exports.models import ExportConfig, LeadLink
from exports.planning import LeadDecision, plan_leads, records_to_compare
from exports.selection import lead_data, unlinked_leads
from exports.validation import check_against_org
from integrations.client import SalesforceError, client_for_account
from integrations.models import SalesforceConnection
from outreach.models import Lead

logger = logging.getLogger(__name__)

DEFAULT_LEAD_COUNT = 10
MAX_LEAD_COUNT = 50


@dataclass
class ExportPreview:
    """The plan for the chosen leads, or the reasons an export would be refused."""

    org_id: str = ""
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    decisions: list[LeadDecision] = field(default_factory=list)
    emails_by_lead: dict[int, str] = field(default_factory=dict)
    already_linked: list[LeadLink] = field(default_factory=list)
    not_found: list[str] = field(default_factory=list)
    api_calls: int = 0


def choose_leads(account, org_id: str, wanted: str) -> tuple[list[Lead], list[str]]:
    """Return the account's leads named in `wanted` (ids or emails) and unknown names.

    With nothing named, the first leads an export would send are chosen.
    """
    names = [name for name in re.split(r"[\s,;]+", wanted) if name][:MAX_LEAD_COUNT]
    leads = Lead.objects.filter(campaign__account=account).order_by("id")
    if not names:
        config = ExportConfig.objects.filter(account=account).first()
        trigger = config.export_trigger if config else ExportConfig.Trigger.ALL
        due = list(unlinked_leads(account, org_id, trigger).order_by("id"))
        return (due or list(leads))[:DEFAULT_LEAD_COUNT], []

    chosen: dict[int, Lead] = {}
    not_found = []
    for name in names:
        found = (
            leads.filter(pk=int(name))
            if name.isdigit()
            else leads.filter(email__iexact=name)
        )
        if not found:
            not_found.append(name)
        chosen.update((lead.pk, lead) for lead in found)
    return list(chosen.values()), not_found


def preview_export(account, wanted: str = "") -> ExportPreview:
    """Plan the export of the leads named in `wanted` (ids or emails) and return it.

    Reads from Salesforce (describe, look-ups) and never writes.
    """
    connection = SalesforceConnection.objects.filter(account=account).first()
    preview = ExportPreview(org_id=connection.org_id if connection else "")
    config = ExportConfig.objects.filter(account=account).first()
    try:
        settings = settings_from_config(config or ExportConfig(account=account))
        client = client_for_account(account)
    except ExportConfigError as error:
        preview.errors = error.problems
        return preview
    except SalesforceError as error:
        preview.errors = [error.message]
        return preview

    leads, preview.not_found = choose_leads(account, preview.org_id, wanted)
    links = LeadLink.objects.filter(org_id=preview.org_id, lead__in=leads)
    preview.already_linked = list(links.select_related("lead"))
    linked = {link.lead_id for link in preview.already_linked}
    due = [lead_data(lead) for lead in leads if lead.pk not in linked]
    preview.emails_by_lead = {lead.pk: lead.email for lead in leads}
    try:
        _plan(preview, client, settings, due)
    except SalesforceError as error:
        preview.errors = [f"Salesforce refused a read: {error.message}"]
    finally:
        client.save_usage()
        preview.api_calls = client.api_calls
    logger.info(
        "Previewed the export of account %s: %s decisions, %s errors, %s API calls",
        account.slug,
        len(preview.decisions),
        len(preview.errors),
        preview.api_calls,
        extra={"account_id": account.pk, "org_id": preview.org_id},
    )
    return preview


def _plan(preview: ExportPreview, client, settings, leads: list[LeadData]) -> None:
    if not leads:
        return
    check = check_against_org(client, preview.org_id, settings)
    preview.warnings = list(check.warnings)
    if check.errors:
        preview.errors = list(check.errors)
        return
    matches = find_people_by_email(client, [lead.email for lead in leads])
    wanted = records_to_compare(settings, check.schemas, leads, matches)
    current = read_current_values(client, wanted)
    preview.decisions = plan_leads(settings, check.schemas, leads, matches, current)

"""The Do Not Contact section of the Salesforce settings page."""

from django import template

from contact_checks.filters import FilterError, describe_rule, parse_blocklist
from contact_checks.models import CrmBlocklist
from contact_checks.services import block_opted_out

register = template.Library()


@register.inclusion_tag("contact_checks/do_not_contact_section.html")
def do_not_contact_section(account):
    """Render each campaign's flag and blocklist, read-only, with any problem."""
    blocklists = {
        blocklist.campaign_id: blocklist
        for blocklist in CrmBlocklist.objects.filter(campaign__account=account)
    }
    campaigns = []
    for campaign in account.campaigns.all():
        blocklist = blocklists.get(campaign.pk)
        rules, otherwise, problem = [], None, ""
        if blocklist is not None:
            try:
                parsed = parse_blocklist(blocklist.filters)
            except FilterError as error:
                problem = "; ".join(error.problems)
            else:
                rules = [describe_rule(rule) for rule in parsed.rules]
                otherwise = parsed.otherwise.value if parsed.rules else None
            problem = problem or blocklist.org_problem
        campaigns.append(
            {
                "campaign": campaign,
                "rules": rules,
                "otherwise": otherwise,
                "problem": problem,
                "checked_at": blocklist.org_checked_at if blocklist else None,
            }
        )
    return {"campaigns": campaigns, "block_opted_out": block_opted_out(account)}

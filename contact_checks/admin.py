"""Admin of Do Not Contact: blocklists and settings are edited, decisions only read.

Saving a blocklist checks it against the connected org at once and reports the
result. A blocklist that does not fit the org makes every check of its
campaign return `unknown`, so the problem must be visible here.
"""

import logging

from django.contrib import admin, messages
from django.utils.html import format_html, format_html_join

from contact_checks.filters import FilterError, describe_rule, parse_blocklist
from contact_checks.models import ContactCheckSettings, ContactDecision, CrmBlocklist
from contact_checks.services import check_blocklist
from integrations.client import SalesforceAuthError, SalesforceError

logger = logging.getLogger(__name__)


@admin.register(CrmBlocklist)
class CrmBlocklistAdmin(admin.ModelAdmin):
    list_display = [
        "campaign",
        "account",
        "do_not_contact",
        "rule_count",
        "state",
        "org_checked_at",
    ]
    list_filter = [
        "campaign__do_not_contact_crm",
        ("org_problem", admin.EmptyFieldListFilter),
        "campaign__account",
    ]
    search_fields = ["campaign__name", "campaign__account__slug", "org_problem"]
    list_select_related = ["campaign__account"]
    autocomplete_fields = ["campaign"]
    fields = [
        "campaign",
        "filters",
        "rules_in_words",
        "org_problem",
        "org_checked_at",
        "org_id",
        "updated_at",
    ]
    readonly_fields = [
        "rules_in_words",
        "org_problem",
        "org_checked_at",
        "org_id",
        "updated_at",
    ]
    actions = ["check_against_org"]

    @admin.display(description="account", ordering="campaign__account__slug")
    def account(self, blocklist):
        return blocklist.campaign.account

    @admin.display(description="Do Not Contact on", boolean=True)
    def do_not_contact(self, blocklist):
        return blocklist.campaign.do_not_contact_crm

    @admin.display(description="rules")
    def rule_count(self, blocklist):
        rules = (blocklist.filters or {}).get("rules")
        return len(rules) if isinstance(rules, list) else "—"

    @admin.display(description="state")
    def state(self, blocklist):
        if blocklist.org_problem:
            return "does not fit the org"
        if blocklist.org_checked_at is None:
            return "not checked yet"
        return "fits the org"

    @admin.display(description="rules in words")
    def rules_in_words(self, blocklist):
        try:
            parsed = parse_blocklist(blocklist.filters)
        except FilterError as error:
            return "; ".join(error.problems)
        if not parsed.rules:
            return "No rules: every Lead or Contact with the email blocks it."
        lines = [describe_rule(rule) for rule in parsed.rules]
        lines.append(f"Otherwise: {parsed.otherwise.value}.")
        return format_html(
            "<ol>{}</ol>",
            format_html_join("", "<li>{}</li>", ((line,) for line in lines)),
        )

    def save_model(self, request, obj, form, change):
        if "filters" in form.changed_data:
            # The stored result of the last check is about the previous filters.
            obj.org_problem = ""
            obj.org_checked_at = None
        super().save_model(request, obj, form, change)
        self._check(request, obj)

    @admin.action(description="Check against the connected org")
    def check_against_org(self, request, queryset):
        for blocklist in queryset.select_related("campaign__account"):
            self._check(request, blocklist)

    def _check(self, request, blocklist):
        try:
            problem = check_blocklist(blocklist)
        except SalesforceAuthError as error:
            logger.warning(
                "CRM blocklist %s not checked against the org: %s",
                blocklist.pk,
                error,
                extra={"campaign_id": blocklist.campaign_id},
            )
            self.message_user(
                request,
                f"{blocklist}: not checked against the org ({error}). Checks of "
                "the campaign answer 'unknown' until Salesforce is connected.",
                messages.WARNING,
            )
            return
        except SalesforceError as error:
            logger.warning(
                "CRM blocklist %s not checked: Salesforce failed with %s",
                blocklist.pk,
                error,
                extra={"campaign_id": blocklist.campaign_id},
            )
            self.message_user(
                request,
                f"{blocklist}: Salesforce could not be asked ({error}); the "
                "filters are checked again at the campaign's next check.",
                messages.WARNING,
            )
            return
        if problem:
            self.message_user(
                request,
                f"{blocklist} does not fit org {blocklist.org_id}, so checks of "
                f"the campaign answer 'unknown' until it is fixed: {problem}",
                messages.ERROR,
            )
        else:
            self.message_user(
                request, f"{blocklist} fits org {blocklist.org_id}.", messages.SUCCESS
            )


@admin.register(ContactCheckSettings)
class ContactCheckSettingsAdmin(admin.ModelAdmin):
    list_display = ["account", "block_opted_out_emails", "updated_at"]
    list_filter = ["block_opted_out_emails"]
    search_fields = ["account__slug", "account__name"]
    readonly_fields = ["updated_at"]
    list_select_related = ["account"]
    autocomplete_fields = ["account"]


@admin.register(ContactDecision)
class ContactDecisionAdmin(admin.ModelAdmin):
    """Support's view of why an email was or was not contacted; read-only history."""

    list_display = [
        "email",
        "decision",
        "reason_code",
        "rule",
        "matched_object",
        "matched_ids",
        "campaign",
        "lead",
        "checked_at",
        "recorded_at",
    ]
    list_filter = [
        "decision",
        "reason_code",
        "matched_object",
        "campaign__account",
        "recorded_at",
    ]
    search_fields = ["email", "matched_ids", "lead__email"]
    list_select_related = ["campaign__account", "lead"]
    date_hierarchy = "recorded_at"
    readonly_fields = [
        "campaign",
        "lead",
        "email",
        "decision",
        "reason_code",
        "reason",
        "rule",
        "matched_object",
        "matched_ids",
        "org_id",
        "checked_at",
        "recorded_at",
    ]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

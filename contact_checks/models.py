"""Do Not Contact: per-campaign blocklists, per-account settings, recorded decisions."""

from django.core.exceptions import ValidationError
from django.db import models

from contact_checks.filters import FilterError, validate_document
from outreach.models import Account, Campaign, Lead

BLOCKLIST_HELP = (
    "JSON with 'rules' and optionally 'otherwise'. Each rule has a 'name', an "
    "'outcome' (block or allow), optionally 'objects' (Lead, Contact; default "
    "both) and a condition 'when': {'field', 'operator', 'value'}, or 'all' / "
    "'any' with a list of conditions, or 'not' with one. Operators: equals, "
    "not_equals, in, not_in, contains, starts_with, is_empty, greater_than, "
    "less_than. 'Account.Type' reads the Contact's Account (for a Lead: the "
    "Account it was converted into; false when there is none). Rules apply only "
    "while the campaign's 'Do Not Contact leads found in CRM' is on: for each "
    "Lead or Contact with the email, an email opt-out blocks first; then the "
    "first rule it meets decides; a record that meets none gets 'otherwise' "
    "(default block). The email is blocked when any of its records is."
)


class CrmBlocklist(models.Model):
    """Filter rules of one campaign that refine "Do Not Contact leads found in CRM"."""

    campaign = models.OneToOneField(
        Campaign, on_delete=models.CASCADE, related_name="crm_blocklist"
    )
    filters = models.JSONField(
        "filters",
        default=dict,
        blank=True,
        help_text=BLOCKLIST_HELP,
    )
    org_problem = models.TextField(
        "problem in the org",
        blank=True,
        help_text="Why the filters do not fit the connected org, from the last "
        "check against its describe. While set, checks answer 'unknown'.",
    )
    org_checked_at = models.DateTimeField(
        "checked against the org at", null=True, blank=True
    )
    org_id = models.CharField(
        "org id", max_length=18, blank=True, help_text="The org last checked against."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "CRM blocklist"
        ordering = ["campaign"]

    def __str__(self):
        return f"CRM blocklist of {self.campaign}"

    def clean(self):
        try:
            validate_document(self.filters or {"rules": []})
        except FilterError as error:
            raise ValidationError({"filters": error.problems}) from error


class ContactCheckSettings(models.Model):
    """An account's Do Not Contact settings that are not per campaign."""

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="contact_check_settings"
    )
    block_opted_out_emails = models.BooleanField(
        "block addresses that opted out in CRM",
        default=True,
        help_text="Block email outreach to an address whose Lead or Contact has "
        "Email Opt Out (HasOptedOutOfEmail) set, in every campaign, whatever "
        "its Do Not Contact flag says. Turn off only if the account handles "
        "opt-outs elsewhere.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "Do Not Contact settings"
        verbose_name_plural = "Do Not Contact settings"

    def __str__(self):
        return f"Do Not Contact settings of {self.account.slug}"


class ContactDecision(models.Model):
    """A decision of the Do Not Contact check: may an email be contacted, and why."""

    class Verdict(models.TextChoices):
        ALLOWED = "allowed", "allowed"
        BLOCKED = "blocked", "blocked"
        UNKNOWN = "unknown", "unknown"

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="contact_decisions"
    )
    lead = models.ForeignKey(
        Lead,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="contact_decisions",
        help_text="The campaign's Artisan lead with this email, if there is one.",
    )
    email = models.CharField(max_length=320, help_text="As the request sent it.")
    decision = models.CharField(max_length=16, choices=Verdict.choices)
    reason_code = models.CharField(max_length=32)
    reason = models.TextField()
    rule = models.CharField(
        max_length=120,
        blank=True,
        help_text="What decided: email_opt_out, do_not_contact_flag, "
        "blocklist:<rule name> or blocklist:otherwise.",
    )
    matched_object = models.CharField(
        max_length=40, blank=True, help_text="Object of the record that decided."
    )
    matched_ids = models.TextField(
        "matched record ids",
        blank=True,
        help_text="Every Lead and Contact with the email, Leads first, "
        "comma-separated.",
    )
    org_id = models.CharField("org id", max_length=18, blank=True)
    checked_at = models.DateTimeField(
        help_text="When Salesforce gave the answer used; earlier than "
        "recorded_at when the answer came from the cache."
    )
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-id"]
        indexes = [
            models.Index(fields=["campaign", "email"]),
            models.Index(fields=["recorded_at"]),
        ]

    def __str__(self):
        return f"{self.email}: {self.decision}"

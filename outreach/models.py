"""The Artisan side: accounts, their campaigns, the leads in them and messages.

These rows arrive from the outreach engine (or a CSV import) and are the input
of every export. Nothing here refers to Salesforce.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower


class Account(models.Model):
    """An Artisan customer; mapping, trigger and configuration are per account."""

    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=200)
    members = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="artisan_accounts"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["slug"]

    def __str__(self):
        return self.name


class Campaign(models.Model):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="campaigns"
    )
    name = models.CharField(max_length=200)
    do_not_contact_crm = models.BooleanField(
        "Do Not Contact leads found in CRM",
        default=False,
        help_text="Exclude leads whose email already exists as a Lead or Contact in "
        "the connected Salesforce org from outreach.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["account", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="campaign_unique_name_per_account"
            )
        ]

    def __str__(self):
        return f"{self.account.slug} / {self.name}"


class Sentiment(models.IntegerChoices):
    NEGATIVE = 1, "negative"
    NEUTRAL = 2, "neutral"
    POSITIVE = 3, "positive"


class Lead(models.Model):
    """An enriched prospect in a campaign; the email identifies it."""

    campaign = models.ForeignKey(
        Campaign, on_delete=models.CASCADE, related_name="leads"
    )
    email = models.CharField(
        max_length=320,
        help_text="Stored as received; exports compare it trimmed and case-insensitively.",
    )
    first_name = models.CharField(max_length=200, blank=True)
    last_name = models.CharField(max_length=200, blank=True)
    job_title = models.CharField(max_length=300, blank=True)
    company_name = models.CharField(max_length=300, blank=True)
    website = models.CharField(max_length=500, blank=True)
    replied = models.BooleanField(
        default=False, help_text="Engaged: the lead has replied at least once."
    )
    sentiment = models.PositiveSmallIntegerField(
        choices=Sentiment.choices,
        null=True,
        blank=True,
        help_text="Sentiment of the latest classified reply, if any.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["campaign", "email"]
        constraints = [
            models.UniqueConstraint(
                "campaign", Lower("email"), name="lead_unique_email_per_campaign"
            )
        ]
        indexes = [models.Index(Lower("email"), name="lead_email_lower")]

    def __str__(self):
        return self.email

    @property
    def account(self):
        return self.campaign.account


class Message(models.Model):
    """One email or LinkedIn message to or from a lead."""

    class Channel(models.TextChoices):
        EMAIL = "email", "email"
        LINKEDIN = "linkedin", "LinkedIn"

    class Direction(models.TextChoices):
        INBOUND = "inbound", "inbound"
        OUTBOUND = "outbound", "outbound"

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="messages")
    message_identifier = models.CharField(
        max_length=765,
        unique=True,
        help_text="Globally unique id; for email, the Message-ID header.",
    )
    channel = models.CharField(max_length=16, choices=Channel.choices)
    direction = models.CharField(max_length=16, choices=Direction.choices)
    subject = models.CharField(max_length=3000, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    from_address = models.CharField(max_length=1000, blank=True)
    to_address = models.CharField(max_length=4000, blank=True)
    sent_at = models.DateTimeField(help_text="Send or receive time.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["lead", "sent_at"]

    def __str__(self):
        return f"{self.channel} {self.direction} {self.message_identifier}"

"""Export configuration, links to Salesforce records, synced messages and runs."""

from django.conf import settings
from django.db import models
from django.utils import timezone

from outreach.models import Account, Lead, Message


class ExportConfig(models.Model):
    """Export settings of one account; `advanced_config` is the account team's JSON."""

    class ObjectMapping(models.TextChoices):
        LEAD = "lead", "Lead"
        CONTACT = "contact", "Contact"

    class Trigger(models.TextChoices):
        ALL = "all", "all leads"
        ENGAGED = "engaged", "engaged leads only"

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="export_config"
    )
    object_mapping = models.CharField(
        max_length=16, choices=ObjectMapping.choices, default=ObjectMapping.LEAD
    )
    export_trigger = models.CharField(
        max_length=16, choices=Trigger.choices, default=Trigger.ALL
    )
    apply_assignment_rules = models.BooleanField(
        default=True,
        help_text="Let the org's active lead assignment rules choose the owner of "
        "new Leads (Sforce-Auto-Assign).",
    )
    advanced_config = models.JSONField(
        "advanced configuration",
        default=dict,
        blank=True,
        help_text="The account team's JSON; checked against "
        "exports/schemas/advanced_config.schema.json when saved.",
    )
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self):
        return f"export config of {self.account.slug}"


class ExportConfigChange(models.Model):
    """One saved change of an account's export config: who, when, from what to what."""

    class Source(models.TextChoices):
        ADMIN = "admin", "Django admin"
        SETTINGS_PAGE = "settings_page", "settings page"
        CODE = "code", "code or shell"

    export_config = models.ForeignKey(
        ExportConfig, on_delete=models.CASCADE, related_name="changes"
    )
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    source = models.CharField(max_length=16, choices=Source.choices)
    changed_at = models.DateTimeField(auto_now_add=True)
    changes = models.JSONField(
        default=list,
        help_text='One entry per changed value: {"path", "change", "from", "to"}; '
        'paths inside the advanced configuration read "advanced_config.lead_status.3".',
    )

    class Meta:
        ordering = ["-changed_at", "-id"]

    def __str__(self):
        return f"change of {self.export_config} at {self.changed_at:%Y-%m-%d %H:%M}"


class ObjectDescribe(models.Model):
    """The last describe of one object in one org, which exports use as metadata.

    Kept in the database so that a refresh from the admin reaches every worker.
    """

    org_id = models.CharField("org id", max_length=18)
    sobject = models.CharField("object", max_length=80)
    describe = models.JSONField(
        help_text='The describe result\'s "name" and "fields", as Salesforce sent them.'
    )
    described_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["org_id", "sobject"], name="object_describe_unique_per_org"
            )
        ]
        verbose_name = "org metadata"
        verbose_name_plural = "org metadata"

    def __str__(self):
        return f"{self.sobject} of org {self.org_id}"


class LeadLink(models.Model):
    """An Artisan lead's Salesforce record in one org, and how the link came about."""

    class Origin(models.TextChoices):
        CREATED = "created", "created"
        MATCHED_LEAD = "matched_lead", "matched an existing Lead"
        MATCHED_CONTACT = "matched_contact", "matched an existing Contact"
        MATCHED_CONVERTED_LEAD = (
            "matched_converted_lead",
            "matched the Contact of a converted Lead",
        )

    lead = models.ForeignKey(Lead, on_delete=models.CASCADE, related_name="links")
    org_id = models.CharField("org id", max_length=18)
    salesforce_object = models.CharField(max_length=40)
    salesforce_id = models.CharField(max_length=18)
    origin = models.CharField(max_length=32, choices=Origin.choices)
    candidate_count = models.PositiveIntegerField(
        default=1, help_text="How many Salesforce records matched the email."
    )
    explanation = models.TextField()
    export_run = models.ForeignKey(
        "ExportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="links",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["lead", "org_id"], name="lead_link_unique_per_org"
            )
        ]
        indexes = [models.Index(fields=["org_id", "salesforce_id"])]

    def __str__(self):
        return f"{self.lead.email} → {self.salesforce_object} {self.salesforce_id}"


class SyncedMessage(models.Model):
    """The ledger entry of one message in one org: its EmailMessage or Task."""

    class State(models.TextChoices):
        SYNCED = "synced", "synced"
        FAILED = "failed", "failed"

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="syncs")
    org_id = models.CharField("org id", max_length=18)
    message_identifier = models.CharField(max_length=765)
    salesforce_object = models.CharField(max_length=40)
    salesforce_id = models.CharField(max_length=18, blank=True)
    state = models.CharField(max_length=16, choices=State.choices)
    last_error = models.TextField(blank=True)
    export_run = models.ForeignKey(
        "ExportRun",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="synced_messages",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["message", "org_id"], name="synced_message_unique_per_org"
            )
        ]
        indexes = [models.Index(fields=["org_id", "message_identifier"])]

    def __str__(self):
        return (
            f"{self.message_identifier} → {self.salesforce_object} {self.salesforce_id}"
        )


class ExportRun(models.Model):
    """One execution of an export for an account, with its counts."""

    class Status(models.TextChoices):
        RUNNING = "running", "running"
        SUCCEEDED = "succeeded", "succeeded"
        FAILED = "failed", "failed"
        REFUSED = "refused", "refused"

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="export_runs"
    )
    org_id = models.CharField("org id", max_length=18, blank=True)
    trigger = models.CharField(
        max_length=32, help_text="What started the run: command, task, sweep, admin."
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.RUNNING
    )
    error = models.TextField(blank=True)
    created_count = models.PositiveIntegerField(default=0)
    linked_count = models.PositiveIntegerField(default=0)
    updated_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(
        default=0, help_text="Due leads an earlier run had already linked."
    )
    failed_count = models.PositiveIntegerField(default=0)
    messages_synced_count = models.PositiveIntegerField(default=0)
    messages_failed_count = models.PositiveIntegerField(default=0)
    api_calls = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(auto_now_add=True)
    progressed_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="When the run last finished a batch; a running run that has "
        "been silent longer than the task timeout is taken to have crashed.",
    )
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [
            # The database itself guarantees that one account's exports never overlap.
            models.UniqueConstraint(
                fields=["account"],
                condition=models.Q(status="running"),
                name="export_run_one_running_per_account",
            )
        ]

    def __str__(self):
        return f"run {self.pk} of {self.account.slug} ({self.status})"

    def summary(self) -> str:
        """Return one line for logs and the command: what the run changed."""
        counts = (
            f"created {self.created_count}, linked {self.linked_count}, "
            f"updated {self.updated_count}, failed {self.failed_count}, "
            f"messages synced {self.messages_synced_count}, "
            f"messages failed {self.messages_failed_count}, "
            f"API calls {self.api_calls}"
        )
        changed = (
            self.created_count
            + self.linked_count
            + self.updated_count
            + self.failed_count
            + self.messages_synced_count
            + self.messages_failed_count
        )
        already = f"{self.skipped_count} leads already linked"
        if changed == 0:
            return f"{counts}; nothing new ({already})"
        return f"{counts}; {already}"


class RecordOutcome(models.Model):
    """The outcome of one export run for one lead or message, with the error if any."""

    class Outcome(models.TextChoices):
        CREATED = "created", "created"
        LINKED = "linked", "linked"
        UPDATED = "updated", "linked and updated"
        SKIPPED = "skipped", "skipped"
        FAILED = "failed", "failed"
        MESSAGE_SYNCED = "message_synced", "message synced"
        MESSAGE_FAILED = "message_failed", "message failed"

    export_run = models.ForeignKey(
        ExportRun, on_delete=models.CASCADE, related_name="outcomes"
    )
    lead = models.ForeignKey(Lead, null=True, blank=True, on_delete=models.SET_NULL)
    message = models.ForeignKey(
        Message, null=True, blank=True, on_delete=models.SET_NULL
    )
    outcome = models.CharField(max_length=20, choices=Outcome.choices)
    salesforce_object = models.CharField(max_length=40, blank=True)
    salesforce_id = models.CharField(max_length=18, blank=True)
    error_code = models.CharField(max_length=80, blank=True)
    error_message = models.TextField(blank=True)
    note = models.TextField(
        blank=True,
        help_text="Why the record was linked, or placeholders that were sent.",
    )
    truncations = models.JSONField(
        default=list,
        blank=True,
        help_text="Fields shortened to the org's length: field, original and sent length.",
    )
    changes = models.JSONField(
        default=list,
        blank=True,
        help_text="Fields that overwrite_fields changed on a matched record: "
        "field, the value before and the value sent.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["export_run", "id"]

    def __str__(self):
        return f"{self.outcome} in run {self.export_run_id}"


class ExportTask(models.Model):
    """The django-q2 task of one account's export: never more than one queued.

    A request while a task is queued joins it. A request while one runs is
    noted, and the running task queues one follow-up when it ends.
    """

    class State(models.TextChoices):
        IDLE = "idle", "idle"
        QUEUED = "queued", "queued"
        RUNNING = "running", "running"

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="export_task"
    )
    state = models.CharField(max_length=16, choices=State.choices, default=State.IDLE)
    task_id = models.CharField(
        max_length=64,
        blank=True,
        help_text="django-q2 id of the queued or running task, or of the last one.",
    )
    trigger = models.CharField(
        max_length=32, blank=True, help_text="What asked for the queued export."
    )
    state_changed_at = models.DateTimeField(default=timezone.now)
    requested_while_running = models.BooleanField(
        default=False,
        help_text="An export was asked for while this one ran; a follow-up is "
        "queued when it ends.",
    )

    def __str__(self):
        return f"export task of {self.account.slug} ({self.state})"
